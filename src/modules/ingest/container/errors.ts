import { AppError, type ErrorKind } from '../../../platform/errors.js'

/** Stable error codes of the container reader (they end up in ingest logbook events). */
export const ContainerErrorCode = {
  /** Not a zip, tar or tar.gz (magic bytes), or a gzip that does not hold a tar. */
  UNSUPPORTED_FORMAT: 'CONTAINER_UNSUPPORTED_FORMAT',
  /** Truncated or structurally broken container (central directory, tar headers, gzip stream). */
  UNREADABLE: 'CONTAINER_UNREADABLE',
  /** No file entry at all. */
  EMPTY: 'CONTAINER_EMPTY',
  /** Dangerous entry name or entry type (link, device, FIFO…), overlapping zip entries. */
  UNSAFE_ENTRY: 'CONTAINER_UNSAFE_ENTRY',
  /** Entry we refuse to decode: encrypted, or a compression method other than stored/deflate. */
  UNSUPPORTED_ENTRY: 'CONTAINER_UNSUPPORTED_ENTRY',
  /** Two entries with the same name after NFC normalisation and case folding. */
  DUPLICATE_ENTRY: 'CONTAINER_DUPLICATE_ENTRY',
  /** A configured limit (entries, bytes, manifest size, name length, staging space). */
  LIMIT_EXCEEDED: 'CONTAINER_LIMIT_EXCEEDED',
  /** Data of an entry does not match its header: size, CRC-32, deflate stream, local header. */
  CORRUPT_ENTRY: 'CONTAINER_CORRUPT_ENTRY',
  NO_MANIFEST: 'CONTAINER_NO_MANIFEST',
  MANY_MANIFESTS: 'CONTAINER_MANY_MANIFESTS',
  /** openEntry() on a name that is not a file entry of the package. */
  ENTRY_NOT_FOUND: 'CONTAINER_ENTRY_NOT_FOUND',
  /** openEntry() after close(). */
  CLOSED: 'CONTAINER_CLOSED',
  /** Staging area failure (I/O error, disk full while writing). */
  STAGING_FAILED: 'CONTAINER_STAGING_FAILED',
} as const

export type ContainerErrorCode = (typeof ContainerErrorCode)[keyof typeof ContainerErrorCode]

/** Names of the limits, as they appear in `details.limit`. */
export type LimitName =
  | 'maxEntries'
  | 'maxEntryBytes'
  | 'maxTotalBytes'
  | 'maxManifestBytes'
  | 'maxNameBytes'
  | 'maxComponentBytes'
  | 'maxTarOverheadBytes'
  | 'stagingFreeBytes'

const LIMIT_LABELS: Record<LimitName, string> = {
  maxEntries: "du nombre d'entrées",
  maxEntryBytes: "de taille d'un fichier",
  maxTotalBytes: 'de taille totale décompressée',
  maxManifestBytes: 'de taille du bordereau',
  maxNameBytes: "de longueur d'un nom d'entrée",
  maxComponentBytes: "de longueur d'un élément de chemin",
  maxTarOverheadBytes: "d'en-têtes et de remplissage tar",
  stagingFreeBytes: "d'espace disque libre pour l'extraction",
}

const LIMIT_UNITS: Partial<Record<LimitName, string>> = { maxEntries: 'entrées' }

/** Unsafe-name and unsafe-type rules, as they appear in `details.rule`, with their French label. */
export const UNSAFE_RULES = {
  empty: 'nom vide',
  absolute: 'chemin absolu',
  'drive-letter': 'lettre de lecteur',
  'dot-segment': 'segment « . » ou « .. »',
  'empty-segment': 'segment vide (« // »)',
  backslash: 'barre oblique inverse',
  'control-character': 'caractère de contrôle ou de mise en forme bidirectionnelle',
  'invalid-utf8': 'nom qui n’est pas en UTF-8 valide',
  symlink: 'lien symbolique',
  hardlink: 'lien physique',
  device: 'fichier de périphérique',
  fifo: 'tube nommé (FIFO)',
  socket: 'socket',
  'unknown-type': "type d'entrée inconnu",
  sparse: 'fichier creux (sparse) tar',
  'directory-with-data': 'répertoire contenant des données',
  'overlapping-entries': 'entrées zip qui se chevauchent',
} as const

export type UnsafeRule = keyof typeof UNSAFE_RULES

const fr = new Intl.NumberFormat('fr-FR')

export function formatCount(n: number): string {
  return fr.format(n)
}

export function formatBytes(n: number): string {
  const units = ['octets', 'Kio', 'Mio', 'Gio', 'Tio']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return u === 0
    ? `${fr.format(n)} octets`
    : `${fr.format(n)} octets (${v.toFixed(1).replace('.', ',')} ${units[u]})`
}

// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * Makes a name safe to show in a message or a logbook: control and bidi characters escaped, length bounded.
 */
export function displayEntryName(name: string): string {
  const escaped = name.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return escaped.length > 300 ? `${escaped.slice(0, 300)}…` : escaped
}

function err(
  code: ContainerErrorCode,
  message: string,
  details: Record<string, unknown>,
  kind: ErrorKind = 'invalid',
  cause?: unknown,
): AppError {
  return new AppError(code, kind, message, details, cause === undefined ? undefined : { cause })
}

export function unsupportedFormat(file: string, what: string): AppError {
  return err(
    ContainerErrorCode.UNSUPPORTED_FORMAT,
    `Le paquet « ${file} » n'est pas dans un format accepté (zip, tar ou tar.gz) : ${what}.`,
    { file, detected: what },
  )
}

/** `kind` is `internal` when the file could not even be opened (a technical fault, not the package's). */
export function unreadable(
  file: string,
  reason: string,
  cause?: unknown,
  kind: ErrorKind = 'invalid',
): AppError {
  const technical = cause instanceof Error ? cause.message : cause === undefined ? undefined : String(cause)
  return err(
    ContainerErrorCode.UNREADABLE,
    `Le paquet « ${file} » est illisible ou tronqué : ${reason}.`,
    { file, reason, ...(technical === undefined ? {} : { cause: technical }) },
    kind,
    cause,
  )
}

export function emptyContainer(file: string): AppError {
  return err(ContainerErrorCode.EMPTY, `Le paquet « ${file} » ne contient aucun fichier.`, { file })
}

export function unsafeEntry(
  file: string,
  entry: string,
  rule: UnsafeRule,
  extra?: Record<string, unknown>,
): AppError {
  const shown = displayEntryName(entry)
  return err(
    ContainerErrorCode.UNSAFE_ENTRY,
    `Le paquet « ${file} » contient une entrée refusée pour raison de sécurité : « ${shown} » (${UNSAFE_RULES[rule]}).`,
    { file, entry: shown, rule, ...extra },
  )
}

export function unsupportedEntry(
  file: string,
  entry: string,
  why: string,
  extra?: Record<string, unknown>,
): AppError {
  const shown = displayEntryName(entry)
  return err(
    ContainerErrorCode.UNSUPPORTED_ENTRY,
    `L'entrée « ${shown} » du paquet « ${file} » ne peut pas être lue : ${why}.`,
    { file, entry: shown, ...extra },
  )
}

export function duplicateEntry(file: string, entry: string, other: string): AppError {
  const a = displayEntryName(other)
  const b = displayEntryName(entry)
  const differsBy =
    entry === other
      ? 'nothing'
      : entry.normalize('NFC') === other.normalize('NFC')
        ? 'unicode-normalization'
        : 'case'
  const hint =
    differsBy === 'unicode-normalization'
      ? ' ; les deux noms ne diffèrent que par la forme Unicode des caractères accentués (NFC/NFD)'
      : differsBy === 'case'
        ? ' ; les deux noms ne diffèrent que par les majuscules et minuscules'
        : ''
  return err(
    ContainerErrorCode.DUPLICATE_ENTRY,
    `Le paquet « ${file} » contient deux entrées de même nom : « ${a} » et « ${b} »${hint}.`,
    { file, entry: b, conflictsWith: a, differsBy },
  )
}

export function limitExceeded(
  file: string,
  limit: LimitName,
  max: number,
  actual: number,
  entry?: string,
  kind: ErrorKind = 'invalid',
): AppError {
  const unit = LIMIT_UNITS[limit]
  const show = (n: number) => (unit ? `${formatCount(n)} ${unit}` : formatBytes(n))
  const shown = entry === undefined ? undefined : displayEntryName(entry)
  const where = shown === undefined ? '' : ` (entrée « ${shown} »)`
  const amount =
    limit === 'stagingFreeBytes'
      ? `${show(actual)} nécessaires pour ${show(max)} utilisables`
      : `au moins ${show(actual)} pour un maximum de ${show(max)}`
  return err(
    ContainerErrorCode.LIMIT_EXCEEDED,
    `Le paquet « ${file} » dépasse la limite ${LIMIT_LABELS[limit]}${where} : ${amount}.`,
    { file, limit, max, actual, ...(shown === undefined ? {} : { entry: shown }) },
    kind,
  )
}

export function corruptEntry(
  file: string,
  entry: string,
  why: string,
  extra?: Record<string, unknown>,
  cause?: unknown,
): AppError {
  const shown = displayEntryName(entry)
  return err(
    ContainerErrorCode.CORRUPT_ENTRY,
    `L'entrée « ${shown} » du paquet « ${file} » est corrompue : ${why}.`,
    { file, entry: shown, ...extra },
    'invalid',
    cause,
  )
}

export function noManifest(file: string, rootFiles: readonly string[]): AppError {
  return err(
    ContainerErrorCode.NO_MANIFEST,
    `Le paquet « ${file} » ne contient pas de bordereau à sa racine (nom attendu : « manifest.xml », éventuellement précédé d'un préfixe terminé par « _ » ou « - », par exemple « versement_manifest.xml »).`,
    { file, rootFiles: rootFiles.slice(0, 20).map(displayEntryName) },
  )
}

export function manyManifests(file: string, names: readonly string[]): AppError {
  const shown = names.slice(0, 20).map(displayEntryName)
  return err(
    ContainerErrorCode.MANY_MANIFESTS,
    `Le paquet « ${file} » contient plusieurs bordereaux à sa racine (${shown.map((n) => `« ${n} »`).join(', ')}) ; un seul est attendu.`,
    { file, manifests: shown },
  )
}

export function entryNotFound(file: string, entry: string): AppError {
  const shown = displayEntryName(entry)
  return err(
    ContainerErrorCode.ENTRY_NOT_FOUND,
    `L'entrée « ${shown} » n'est pas un fichier du paquet « ${file} ».`,
    { file, entry: shown },
    'not_found',
  )
}

export function closedReader(file: string): AppError {
  return err(ContainerErrorCode.CLOSED, `Le paquet « ${file} » a déjà été fermé.`, { file }, 'internal')
}

export function stagingFailed(file: string, cause: unknown): AppError {
  const technical = cause instanceof Error ? cause.message : String(cause)
  return err(
    ContainerErrorCode.STAGING_FAILED,
    `L'extraction temporaire du paquet « ${file} » a échoué (erreur d'entrée-sortie sur l'espace de travail).`,
    { file, cause: technical },
    'unavailable',
    cause,
  )
}
