/**
 * ATR reply codes. SEDA 2.x leaves `ReplyCode` free; SAEH uses the legacy SEDA 0.2/1.0 list that
 * Pastell and As@lae read (`000` = accepted, anything else = refused), and maps each refusal from the
 * detail code (Vitam logbook vocabulary) of the operation's first KO event. See docs/seda-validation.md.
 */
import type { Outcome } from './seda.types.js'

/** The legacy SEDA 0.2 / 1.0 reply codes (seda-0.2 `archives_echanges_v0-2_reply_code.xsd`). */
export const LEGACY_REPLY_CODES: Readonly<Record<string, string>> = Object.freeze({
  '000': 'OK',
  '001': 'OK (voir commentaires)',
  '002': 'OK (demande aux autorités de contrôle effectuée)',
  '101': 'Message mal formé',
  '102': 'Système momentanément indisponible',
  '200': 'Service producteur non reconnu',
  '201': "Service d'archive non reconnu",
  '202': 'Service versant non reconnu',
  '203': 'Dépôt non conforme au profil de données',
  '204': 'Format de document non géré',
  '205': 'Format non conforme au format déclaré',
  '206': 'Signature du message invalide',
  '207': 'Empreinte(s) invalide(s)',
  '208': 'Archive indisponible, délai de communication non écoulé',
  '209': 'Archive absente (élimination, restitution, transfert)',
  '210': 'Archive inconnue',
  '211': 'Pièce attachée absente',
  '212': 'Dérogation refusée',
  '300': 'Convention invalide',
  '301': 'Dépôt non conforme à la convention : quota dépassé',
  '302': 'Dépôt non conforme à la convention : identifiant du producteur',
  '303': 'Dépôt non conforme à la convention : identifiant du service versant',
  '304': "Dépôt non conforme à la convention : identifiant du service d'archives",
  '305': 'Dépôt non conforme à la convention : signatures absentes',
  '306': 'Dépôt non conforme à la convention : volume',
  '307': 'Dépôt non conforme à la convention : format',
  '308': 'Dépôt non conforme à la convention : empreintes non transmises',
  '309': 'Dépôt non conforme à la convention : absence de signature du message',
  '310': 'Dépôt non conforme à la convention : signatures non valides',
  '311': 'Dépôt non conforme à la convention : signatures non vérifiées',
  '312': 'Dépôt non conforme à la convention : dates de début ou de fin non respectées',
})

/**
 * Detail-code prefixes → reply code. The longest matching prefix of an event's `detail` (else of
 * its `type`) wins; prefixes match whole dot-separated segments.
 */
export const REPLY_CODE_RULES: readonly (readonly [prefix: string, code: string])[] = Object.freeze([
  // The package itself: container, manifest name, manifest XML/XSD/version, antivirus, upload.
  ['SANITY_CHECK_SIP', '101'],
  ['CHECK_CONTAINER', '101'],
  ['UPLOAD_SIP', '101'],
  ['MANIFEST_FILE_NAME_CHECK', '101'],
  ['MANIFEST_DIGEST_CHECK', '101'],
  ['CHECK_SEDA', '101'],
  // Agents.
  ['CHECK_HEADER.CHECK_AGENT', '200'],
  ['CHECK_HEADER.CHECK_AGENT.ARCHIVAL_AGENCY', '201'],
  ['CHECK_HEADER.CHECK_AGENT.TRANSFERRING_AGENCY', '202'],
  ['CHECK_HEADER.CHECK_AGENT.SUBMISSION_AGENCY', '202'],
  // Contract and profile.
  ['CHECK_HEADER.CHECK_CONTRACT_INGEST', '300'],
  ['CHECK_HEADER.CHECK_IC_AP_RELATION', '300'],
  ['CHECK_HEADER.CHECK_ARCHIVEPROFILE', '203'],
  ['CHECK_HEADER', '203'],
  ['CHECK_ARCHIVE_UNIT_PROFILE', '203'],
  // Manifest vs content.
  ['CHECK_DATAOBJECTPACKAGE', '203'],
  ['CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_OBJECTNUMBER', '211'],
  ['CHECK_MANIFEST_OBJECTNUMBER', '211'],
  ['CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.INVALIDE_ALGO', '207'],
  ['CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.NOT_FOUND_ATTACHMENT', '210'],
  ['CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.INVALID_GUID_ATTACHMENT', '210'],
  ['CHECK_ATTACHEMENT', '210'],
  // Objects.
  ['CHECK_DIGEST', '207'],
  ['CHECK_OBJECT_SIZE', '203'],
  ['OG_OBJECTS_FORMAT_CHECK', '204'],
  ['OG_OBJECTS_FORMAT_CHECK.MISMATCH', '205'],
  ['OG_OBJECTS_FORMAT_CHECK.NOT_AUTHORIZED', '307'],
  ['CHECK_OBJECT_GROUP_SCHEMA', '203'],
  // Units.
  ['CHECK_UNIT_SCHEMA', '203'],
  ['CHECK_CLASSIFICATION_LEVEL', '203'],
  ['UNITS_RULES_COMPUTE', '203'],
  // Signatures (when checked).
  ['CHECK_SIGNATURE', '310'],
  // Storage and anything technical that ended KO rather than FATAL.
  ['STORAGE_AVAILABILITY_CHECK', '102'],
  ['OBJ_STORAGE', '102'],
])

/** Reply code of a refusal nobody mapped: the data deposited does not conform. */
export const DEFAULT_REFUSAL_CODE = '203'
/** Reply code of a technical failure (FATAL). */
export const TECHNICAL_FAILURE_CODE = '102'

function matches(code: string, prefix: string): boolean {
  return code === prefix || code.startsWith(`${prefix}.`)
}

/** Reply code for one event detail or type (e.g. `CHECK_DIGEST.KO` → `207`); null when unmapped. */
export function replyCodeForDetail(detail: string): string | null {
  let best: readonly [string, string] | null = null
  for (const rule of REPLY_CODE_RULES) {
    if (matches(detail, rule[0]) && (best === null || rule[0].length > best[0].length)) best = rule
  }
  return best ? best[1] : null
}

export interface ReplyCodeEvent {
  type: string
  outcome: Outcome
  detail?: string
}

/**
 * The ATR reply code of an operation: `000` when it ended OK or WARNING; `102` for FATAL; for KO,
 * the code of the first KO event whose detail (or type) is mapped, else `203`.
 */
export function replyCodeFor(status: Outcome, events: readonly ReplyCodeEvent[] = []): string {
  if (status === 'OK' || status === 'WARNING') return '000'
  if (status === 'FATAL') return TECHNICAL_FAILURE_CODE
  for (const e of events) {
    if (e.outcome !== 'KO') continue
    const code = (e.detail ? replyCodeForDetail(e.detail) : null) ?? replyCodeForDetail(e.type)
    if (code) return code
  }
  return DEFAULT_REFUSAL_CODE
}
