import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { POSTGRES_SKIP_REASON, testDialects } from '../../../test/helpers/db.js'
import type { AppError } from '../../platform/errors.js'
import type { ReferentialError, ReferentialKind } from './index.js'
import { csv, json, openReferentialTestDb, snapshot } from './referential.test-support.js'

/**
 * Every Vitam referential file of the shared corpus, with the verdict SAEH gives it and, for a refusal,
 * the error code that must be among the errors. `disputed` marks the files whose verdict differs from
 * the corpus label (reasons in docs/referentials.md).
 */
interface Case {
  readonly file: string
  readonly kind: ReferentialKind
  readonly ok: boolean
  readonly codes?: readonly string[]
  readonly disputed?: string
}

const ok = (file: string, kind: ReferentialKind, disputed?: string): Case => ({
  file,
  kind,
  ok: true,
  ...(disputed ? { disputed } : {}),
})
const ko = (file: string, kind: ReferentialKind, codes: readonly string[], disputed?: string): Case => ({
  file,
  kind,
  ok: false,
  codes,
  ...(disputed ? { disputed } : {}),
})

const R = 'vitam/rules/'
const A = 'vitam/other/agencies/'
const C = 'vitam/other/contracts/'
const P = 'vitam/profiles/'

const CASES: readonly Case[] = [
  // ---- rules
  ko(`${R}KO_regles_duration_vide.csv`, 'rules', ['FIELD_REQUIRED']),
  ko(`${R}jeu_donnees_KO_regles_600000_DAY.csv`, 'rules', ['RULE_DURATION_TOO_LONG']),
  ko(`${R}jeu_donnees_KO_regles_CSV_90000_YEAR.csv`, 'rules', ['RULE_DURATION_TOO_LONG']),
  ko(`${R}jeu_donnees_KO_regles_CSV_AnarchyRule.csv`, 'rules', ['RULE_TYPE_UNKNOWN']),
  ko(`${R}jeu_donnees_KO_regles_CSV_Decade_Measure.csv`, 'rules', ['RULE_MEASUREMENT_INVALID']),
  ko(`${R}jeu_donnees_KO_regles_CSV_DuplicatedReference.csv`, 'rules', ['DUPLICATE_IDENTIFIER']),
  ko(`${R}jeu_donnees_KO_regles_CSV_HoldRuleWithDurationAndNoMeasure.csv`, 'rules', [
    'RULE_DURATION_MEASUREMENT_MISMATCH',
  ]),
  ko(`${R}jeu_donnees_KO_regles_CSV_HoldRuleWithMeasureAndNoDuration.csv`, 'rules', [
    'RULE_DURATION_MEASUREMENT_MISMATCH',
  ]),
  ko(`${R}jeu_donnees_KO_regles_CSV_Negative_Duration.csv`, 'rules', ['RULE_DURATION_INVALID']),
  ko(`${R}jeu_donnees_KO_regles_CSV_ReferenceWithWrongComma.csv`, 'rules', ['CSV_COLUMN_COUNT']),
  ko(`${R}jeu_donnees_KO_regles_CSV_UNKNOWN_Duration.csv`, 'rules', ['RULE_DURATION_INVALID']),
  ko(`${R}jeu_donnees_KO_regles_CSV_WrongRuleType.csv`, 'rules', ['RULE_TYPE_UNKNOWN']),
  ko(`${R}jeu_donnees_KO_regles_CSV_empty_line.csv`, 'rules', ['CSV_EMPTY_LINE']),
  ko(`${R}jeu_donnees_KO_regles_CSV_invalid_format.csv`, 'rules', ['CSV_COLUMN_COUNT']),
  ko(`${R}jeu_donnees_KO_regles_CSV_missing_column.csv`, 'rules', ['CSV_MISSING_COLUMN']),
  ko(`${R}jeu_donnees_KO_regles_CSV_test.csv`, 'rules', ['RULE_MEASUREMENT_INVALID', 'DUPLICATE_IDENTIFIER']),
  ok(`${R}jeu_donnees_OK_regles_CSV.csv`, 'rules'),
  ok(`${R}jeu_donnees_OK_regles_CSV_15000Jours.csv`, 'rules'),
  ok(`${R}jeu_donnees_OK_regles_CSV__functional-administration-rest.csv`, 'rules'),
  ok(`${R}jeu_donnees_OK_regles_CSV_delete_rule.csv`, 'rules'),
  ok(`${R}jeu_donnees_OK_regles_CSV_regles.csv`, 'rules'),
  ko(
    `${R}jeu_donnees_OK_regles_CSV_regles_latin3-1.csv`,
    'rules',
    ['ENCODING_NOT_UTF8'],
    'ISO-8859-1, not UTF-8',
  ),
  ok(`${R}jeu_donnees_OK_regles_CSV_unLimiTEd.csv`, 'rules'),
  ok(`${R}jeu_donnees_OK_regles_CSV_update_ruleDesc.csv`, 'rules'),
  ok(`${R}jeu_donnees_OK_regles_CSV_update_ruleDuration.csv`, 'rules'),
  ok(`${R}jeu_donnees_OK_regles_CSV_update_ruleType.csv`, 'rules'),
  ok(`${R}jeu_ok.csv`, 'rules'),
  ok(`${R}new_rule.csv`, 'rules'),
  ok(`${R}regle_test_duration.csv`, 'rules'),
  ok(`${R}regle_test_duration__functional-administration-core.csv`, 'rules'),
  ko(`${R}rules_ko_ACC-00004_9999.csv`, 'rules', ['RULE_MEASUREMENT_INVALID']),
  ko(`${R}rules_ko_colonne_absente.csv`, 'rules', ['CSV_MISSING_COLUMN']),
  ko(`${R}rules_ko_colonne_supplementaire.csv`, 'rules', ['CSV_UNKNOWN_COLUMN', 'CSV_UNNAMED_COLUMN']),
  ko(`${R}rules_ko_duration_excessive.csv`, 'rules', ['RULE_DURATION_TOO_LONG']),
  ko(`${R}rules_ko_duration_negative.csv`, 'rules', ['RULE_DURATION_INVALID']),
  ko(`${R}rules_ko_empty_line.csv`, 'rules', ['CSV_EMPTY_LINE']),
  ko(`${R}rules_ko_holdrule_ruleMeasurement_non_vide_ruleDuration_vide.csv`, 'rules', [
    'RULE_DURATION_MEASUREMENT_MISMATCH',
  ]),
  ko(`${R}rules_ko_holdrule_ruleMeasurement_vide_ruleDuration_non_vide.csv`, 'rules', [
    'RULE_DURATION_MEASUREMENT_MISMATCH',
  ]),
  ko(`${R}rules_ko_html_toxique.csv`, 'rules', ['HTML_FORBIDDEN']),
  ko(`${R}rules_ko_mauvais_separateur.csv`, 'rules', ['CSV_COLUMN_COUNT']),
  ko(`${R}rules_ko_ruleId_non_unique.csv`, 'rules', ['DUPLICATE_IDENTIFIER']),
  ko(`${R}rules_ko_ruleMeasurement_incorrect.csv`, 'rules', ['RULE_MEASUREMENT_INVALID']),
  ko(`${R}rules_ko_ruleMeasurement_vide.csv`, 'rules', ['FIELD_REQUIRED']),
  ko(`${R}rules_ko_ruleType_invalide.csv`, 'rules', ['RULE_TYPE_UNKNOWN']),
  ko(`${R}rules_ko_ruleType_non_autorise.csv`, 'rules', ['RULE_TYPE_UNKNOWN']),
  ko(`${R}rules_ko_ruleType_vide.csv`, 'rules', ['FIELD_REQUIRED']),
  ko(`${R}rules_ko_ruleValue_vide.csv`, 'rules', ['FIELD_REQUIRED']),
  ko(`${R}rules_ko_sans_id.csv`, 'rules', ['FIELD_REQUIRED']),
  ok(`${R}rules_ok.csv`, 'rules'),
  ok(`${R}rules_referential.csv`, 'rules'),
  ok(`${R}simple_rules_set_1.csv`, 'rules'),
  ok(`${R}simple_rules_set_2.csv`, 'rules'),
  ko(`${R}simple_rules_set_ko.csv`, 'rules', ['RULE_TYPE_UNKNOWN']),
  ko(
    `${R}vitamui_import_rules_valid.csv`,
    'rules',
    ['CSV_MISSING_COLUMN'],
    'an agencies CSV, not a rules CSV',
  ),
  ok(`${R}vitamui_import_rules_valid.csv`, 'agencies'),
  // ---- agencies
  ko(`${A}KO_agencie_missing_field.csv`, 'agencies', ['CSV_COLUMN_COUNT']),
  ko(`${A}KO_agencies.pdf`, 'agencies', ['FILE_NOT_TEXT']),
  ko(`${A}KO_agencies_HTML.csv`, 'agencies', ['HTML_FORBIDDEN']),
  ko(`${A}KO_agencies_additional_field.csv`, 'agencies', ['CSV_COLUMN_COUNT']),
  ko(`${A}KO_agencies_empty_line.csv`, 'agencies', ['CSV_EMPTY_LINE']),
  ko(`${A}KO_agencies_init_champ_manquant.csv`, 'agencies', ['FIELD_REQUIRED']),
  ok(`${A}KO_agencies_init_pas_UTF8.csv`, 'agencies', 'pure ASCII: valid UTF-8'),
  ko(`${A}KO_agencies_mauvais_separateur.csv`, 'agencies', ['CSV_WRONG_SEPARATOR']),
  ko(`${A}KO_agencies_missing_identifier_field.csv`, 'agencies', ['FIELD_REQUIRED']),
  ko(`${A}KO_agencies_missing_name_field.csv`, 'agencies', ['FIELD_REQUIRED']),
  ko(`${A}KO_agencies_same_identifer.csv`, 'agencies', ['DUPLICATE_IDENTIFIER']),
  ok(`${A}agencies.csv`, 'agencies'),
  ok(`${A}agencies_init.csv`, 'agencies'),
  ok(`${A}agencies_init_delete_unused_agencies.csv`, 'agencies'),
  ok(`${A}agencies_init_description.csv`, 'agencies'),
  ok(`${A}agencies_init_description_nouveau_service_agent.csv`, 'agencies'),
  ok(`${A}agencies_init_sans_RATP.csv`, 'agencies'),
  ok(`${A}agencies_init_sans_VitamTNR.csv`, 'agencies'),
  ok(`${A}agencies_unknown_headers.csv`, 'agencies'),
  ok(`${A}agencies_with_additional_fields.csv`, 'agencies'),
  // ---- access contracts
  ko(`${C}access/KO_Contrat_acces_Statut_errone.json`, 'access-contracts', ['FIELD_ENUM']),
  ko(`${C}access/KO_Contrat_acces_originatingagencie_unknown.json`, 'access-contracts', [
    'REFERENCE_UNKNOWN',
  ]),
  ok(
    `${C}access/KO_EveryDataObjectVersion_TRUE_champ_complete.json`,
    'access-contracts',
    'no EveryDataObjectVersion in it',
  ),
  ko(`${C}access/KO_OA_inconnu.json`, 'access-contracts', ['REFERENCE_UNKNOWN']),
  ko(`${C}access/KO_contrat_acces_HTML.json`, 'access-contracts', ['HTML_FORBIDDEN']),
  ko(`${C}access/KO_contrat_acces_absence_champ_name.json`, 'access-contracts', ['FIELD_REQUIRED']),
  ko(`${C}access/KO_contrat_acces_accesslog_vide.json`, 'access-contracts', ['FIELD_REQUIRED']),
  ko(`${C}access/KO_contrat_acces_champ_supplementaire.json`, 'access-contracts', ['JSON_SYNTAX']),
  ko(`${C}access/KO_contrat_acces_date_mauvais_format.json`, 'access-contracts', ['DATE_INVALID']),
  ko(`${C}access/KO_contrat_acces_noeud_inaccesible_inconnu.json`, 'access-contracts', ['REFERENCE_UNKNOWN']),
  ko(`${C}access/KO_contrat_acces_usage_inexistant.json`, 'access-contracts', ['FIELD_ENUM']),
  ko(`${C}access/KO_contrat_access_JSON_ne_correspond_pas_au_modele_attendu.json`, 'access-contracts', [
    'JSON_SYNTAX',
  ]),
  ko(`${C}access/KO_erreur_valeur_champ-EveryOriginatingAgency.json`, 'access-contracts', ['FIELD_TYPE']),
  ko(`${C}access/KO_erreur_valeur_champ-WritingPermission.json`, 'access-contracts', ['FIELD_TYPE']),
  ok(`${C}access/contract_acces_TNR.json`, 'access-contracts'),
  ok(`${C}access/contract_acces_nodes.json`, 'access-contracts'),
  ok(`${C}access/contract_access_every_originating_agency.json`, 'access-contracts'),
  ok(`${C}access/contrat_inactif_tous_producteurs.json`, 'access-contracts'),
  ok(`${C}access/contrat_modification_autorisees.json`, 'access-contracts'),
  ok(`${C}access/contrat_modification_interdites.json`, 'access-contracts'),
  ok(`${C}access/contrat_producteur1.json`, 'access-contracts'),
  ok(`${C}access/contrat_tous_producteur.json`, 'access-contracts'),
  ok(`${C}access/contrat_usage_dissemination_seulement.json`, 'access-contracts'),
  ok(`${C}access/contrats_acces_ok.json`, 'access-contracts'),
  ok(`${C}access/contrats_acces_ok_sort.json`, 'access-contracts'),
  ok(`${C}access/contrats_acces_permission.json`, 'access-contracts'),
  ko(`${C}access/ko_contrat_acces.xml`, 'access-contracts', ['JSON_SYNTAX']),
  ko(`${C}access/ko_contrat_acces_name_manquant.json`, 'access-contracts', ['FIELD_REQUIRED']),
  ok(`${C}contract_acces_TNR.json`, 'access-contracts'),
  ok(`${C}contract_acces_TNR_tenant_1.json`, 'access-contracts'),
  ok(`${C}contract_access_every_originating_agency.json`, 'access-contracts'),
  ok(`${C}contrats_acces_ok.json`, 'access-contracts'),
  ok(`${C}contrats_acces_ok_sort.json`, 'access-contracts'),
  ko(
    `${C}two_same_name_access_contracts.json`,
    'access-contracts',
    ['DUPLICATE_NAME'],
    'two contracts named alike',
  ),
  // ---- ingest contracts
  ko(`${C}ingest/KO_Contrat_entree_JSON_ne_correspond_pas_au_modele_attendu.json`, 'ingest-contracts', [
    'JSON_SYNTAX',
  ]),
  ko(`${C}ingest/KO_Contrat_entree_date_mauvais_format.json`, 'ingest-contracts', ['DATE_INVALID']),
  ko(`${C}ingest/KO_Contrat_entree_injectionHTML.json`, 'ingest-contracts', ['HTML_FORBIDDEN']),
  ko(`${C}ingest/KO_IC_INVALID_CheckParentLink.json`, 'ingest-contracts', ['FIELD_ENUM']),
  ko(`${C}ingest/KO_contractIngest_ArchiveProfile_inconnu.json`, 'ingest-contracts', ['REFERENCE_UNKNOWN']),
  ko(`${C}ingest/KO_contractIngest_FormatType_inconnu.json`, 'ingest-contracts', [
    'CONTRADICTORY_FIELDS',
    'FIELD_FORMAT',
  ]),
  ko(`${C}ingest/KO_contract_EveryFormatType_1.json`, 'ingest-contracts', ['CONTRADICTORY_FIELDS']),
  ko(`${C}ingest/KO_contract_EveryFormatType_true_pas_de_valeur.json`, 'ingest-contracts', [
    'CONTRADICTORY_FIELDS',
  ]),
  ko(`${C}ingest/KO_contract_FormatType_empty.json`, 'ingest-contracts', ['FIELD_REQUIRED']),
  ko(`${C}ingest/KO_contract_FormatType_false_toto.json`, 'ingest-contracts', ['FIELD_REQUIRED']),
  ko(`${C}ingest/KO_contract_FormatType_unknown.json`, 'ingest-contracts', ['FIELD_FORMAT']),
  ko(`${C}ingest/KO_erreur_valeur_champ-Status.json`, 'ingest-contracts', ['FIELD_ENUM']),
  ko(`${C}ingest/KO_referential_contracts_Champ_obligatoire_non_renseigne.json`, 'ingest-contracts', [
    'FIELD_REQUIRED',
  ]),
  ok(`${C}ingest/OK_contract_FormatUnidentifiedAuthorized_absent.json`, 'ingest-contracts'),
  ok(`${C}ingest/OK_contracts_FormatUnidentifiedAuthorized_ok.json`, 'ingest-contracts'),
  ko(`${C}ingest/contract_EveryFormatType_ko_2.json`, 'ingest-contracts', [
    'CONTRADICTORY_FIELDS',
    'FIELD_FORMAT',
  ]),
  ko(`${C}ingest/contract_EveryFormatType_ko_5.json`, 'ingest-contracts', ['FIELD_REQUIRED']),
  ok(`${C}ingest/contract_EveryFormatType_ok.json`, 'ingest-contracts'),
  ko(`${C}ingest/contract_FormatUnidentifiedAuthorized_ko_1.json`, 'ingest-contracts', ['FIELD_TYPE']),
  ok(`${C}ingest/contract_FormatUnidentifiedAuthorized_ok.json`, 'ingest-contracts'),
  ok(`${C}ingest/contract_minimal.json`, 'ingest-contracts'),
  ok(`${C}ingest/contract_not_used_to_update.json`, 'ingest-contracts'),
  ok(`${C}ingest/contract_with_profil.json`, 'ingest-contracts'),
  ko(`${C}ingest/ko_referential_contracts_INVALID_MissingName.json`, 'ingest-contracts', ['FIELD_REQUIRED']),
  ok(`${C}ingest/referential_contracts_KO.pdf`, 'ingest-contracts', 'valid JSON content under a .pdf name'),
  ok(`${C}ingest/referential_contracts_ark.json`, 'ingest-contracts'),
  ok(`${C}ingest/referential_contracts_for_tnr_ok.json`, 'ingest-contracts'),
  ok(`${C}ingest/referential_contracts_ok.json`, 'ingest-contracts'),
  ok(`${C}ingest/referential_contracts_ok_sort.json`, 'ingest-contracts'),
  ko(`${C}ingest/referential_contracts_unknowID_ko.json`, 'ingest-contracts', ['REFERENCE_UNKNOWN']),
  ok(`${C}IC_2194.json`, 'ingest-contracts'),
  ko(`${C}JSON_HTML.json`, 'ingest-contracts', ['HTML_FORBIDDEN'], 'HTML in Name'),
  ok(`${C}contract_with_profil.json`, 'ingest-contracts'),
  ok(`${C}contract_with_profil_seda_2.2.json`, 'ingest-contracts'),
  ko(`${C}ko_contrat_acces.xml`, 'ingest-contracts', ['JSON_SYNTAX']),
  ko(`${C}ko_contrat_acces_name_manquant.json`, 'ingest-contracts', ['FIELD_REQUIRED']),
  ko(`${C}ko_referential_contracts.xml`, 'ingest-contracts', ['JSON_SYNTAX']),
  ko(`${C}ko_referential_contracts_INVALID_MissingName.json`, 'ingest-contracts', ['FIELD_REQUIRED']),
  ok(`${C}referential_contracts_for_tnr_ok.json`, 'ingest-contracts'),
  ok(`${C}referential_contracts_ok.json`, 'ingest-contracts'),
  ok(`${C}referential_contracts_ok_sort.json`, 'ingest-contracts'),
  ko(`${C}referential_contracts_unknowID_ko.json`, 'ingest-contracts', ['REFERENCE_UNKNOWN']),
  ko(
    `${C}two_same_name_ingest_contracts.json`,
    'ingest-contracts',
    ['DUPLICATE_NAME'],
    'two contracts named alike',
  ),
  // ---- management contracts
  ko(
    `${C}management/KO_contract_management_Binary_Master_version_retention_policy.json`,
    'management-contracts',
    ['RETENTION_POLICY_INVALID'],
  ),
  ko(
    `${C}management/KO_contract_management_Dissemniation_version_retention_policy.json`,
    'management-contracts',
    ['FIELD_TYPE'],
  ),
  ko(
    `${C}management/KO_contract_management_UsageName_version_retention_policy.json`,
    'management-contracts',
    ['FIELD_ENUM'],
  ),
  ko(`${C}management/KO_contract_management_additional_field.json`, 'management-contracts', [
    'FIELD_UNKNOWN',
  ]),
  ko(`${C}management/KO_contract_management_default_version_retention_policy.json`, 'management-contracts', [
    'RETENTION_POLICY_INVALID',
  ]),
  ko(`${C}management/KO_contract_management_html.json`, 'management-contracts', ['HTML_FORBIDDEN']),
  ko(`${C}management/KO_contract_management_invalid_date.json`, 'management-contracts', ['DATE_INVALID']),
  ko(`${C}management/KO_contract_management_invalid_json_format.json`, 'management-contracts', [
    'JSON_SYNTAX',
  ]),
  ko(`${C}management/KO_contract_management_invalid_status.json`, 'management-contracts', ['FIELD_ENUM']),
  ko(`${C}management/KO_contract_management_missing_name.json`, 'management-contracts', ['FIELD_REQUIRED']),
  ko(`${C}management/KO_contract_management_not_json.xml`, 'management-contracts', ['JSON_SYNTAX']),
  ko(`${C}management/KO_contract_management_storage_strategy.json`, 'management-contracts', [
    'REFERENCE_UNKNOWN',
  ]),
  ok(`${C}management/OK_contract_management_IdentificationPolicy.json`, 'management-contracts'),
  ok(`${C}management/OK_contract_management_ark.json`, 'management-contracts'),
  ok(`${C}management/OK_contract_management_default.json`, 'management-contracts'),
  // ---- archive profiles (the JSON descriptions; the RNG/XSD files are attached, not imported)
  ok(`${P}PR_2194.json`, 'profiles'),
  ok(`${P}profiles_for_tnr_rng_ok.json`, 'profiles'),
  ok(`${P}profiles_for_tnr_rng_seda_2.2_ok.json`, 'profiles'),
  ok(`${P}profiles_for_tnr_xsd_ok.json`, 'profiles'),
  ok(`${P}two_name_profiles_ok.json`, 'profiles'),
  // ---- archive-unit profiles
  ok(`${P}archive-unit-profiles/OK_AUP_schema_mail_Seda2.2.json`, 'archive-unit-profiles'),
  ok(`${P}archive-unit-profiles/aup_BASE_CUSTOM_ok.json`, 'archive-unit-profiles'),
  ko(`${P}archive-unit-profiles/aup_ko_champs_requis_vides.json`, 'archive-unit-profiles', [
    'FIELD_REQUIRED',
  ]),
  ko(`${P}archive-unit-profiles/aup_ko_incorrect_values.json`, 'archive-unit-profiles', [
    'FIELD_ENUM',
    'DATE_INVALID',
  ]),
  ko(`${P}archive-unit-profiles/aup_ko_injection_html_description.json`, 'archive-unit-profiles', [
    'HTML_FORBIDDEN',
  ]),
  ko(`${P}archive-unit-profiles/aup_ko_injection_html_identifier.json`, 'archive-unit-profiles', [
    'HTML_FORBIDDEN',
  ]),
  ko(`${P}archive-unit-profiles/aup_ko_mauvais_format.csv`, 'archive-unit-profiles', ['JSON_SYNTAX']),
  ko(
    `${P}archive-unit-profiles/aup_ko_notice_schema_voc_ext_incorrect_scheme.json`,
    'archive-unit-profiles',
    ['SCHEMA_INVALID'],
  ),
  ko(`${P}archive-unit-profiles/aup_ko_notice_schema_voc_ext_unknown.json`, 'archive-unit-profiles', [
    'REFERENCE_UNKNOWN',
  ]),
  ko(`${P}archive-unit-profiles/aup_ko_notice_schema_voc_ext_unknown_type.json`, 'archive-unit-profiles', [
    'SCHEMA_INVALID',
  ]),
  ok(`${P}archive-unit-profiles/aup_ok.json`, 'archive-unit-profiles'),
  ok(`${P}archive-unit-profiles/aup_ok_masseupdate_schema_masseUpdate.json`, 'archive-unit-profiles'),
  ok(`${P}archive-unit-profiles/aup_ok_notice_mail_schema_masseUpdate.json`, 'archive-unit-profiles'),
  ok(`${P}archive-unit-profiles/aup_ok_schemaControl_vocExtAllTypes.json`, 'archive-unit-profiles'),
]

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const CORPUS = ((p: string) => (isAbsolute(p) ? p : resolve(PROJECT_ROOT, p)))(
  process.env.SAEH_CORPUS ?? '../shared/corpus',
)
const HAVE_CORPUS = existsSync(join(CORPUS, 'vitam', 'rules'))

const read = (file: string) => readFileSync(join(CORPUS, file))

function listFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(join(CORPUS, dir))) {
    const rel = `${dir}/${name}`
    if (statSync(join(CORPUS, rel)).isDirectory()) out.push(...listFiles(rel))
    else out.push(rel)
  }
  return out
}

/** Values of a field across the JSON files of the given cases (to build the referentials they point to). */
function collect(cases: readonly Case[], field: string): string[] {
  const found = new Set<string>()
  for (const c of cases) {
    const v = JSON.parse(read(c.file).toString('utf8')) as Array<Record<string, unknown>>
    for (const e of v) {
      const x = e[field]
      for (const id of Array.isArray(x) ? x : [x]) if (typeof id === 'string' && id !== '') found.add(id)
    }
  }
  return [...found].sort()
}

if (!HAVE_CORPUS) {
  it.skip(
    `Vitam corpus tests skipped: no corpus at ${CORPUS}/vitam (set SAEH_CORPUS to the shared corpus folder)`,
  )
} else {
  if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`Vitam corpus on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

  it('classifies every referential file of the corpus', () => {
    const files = [
      ...listFiles('vitam/rules'),
      ...listFiles('vitam/other/agencies'),
      ...listFiles('vitam/other/contracts'),
      ...listFiles('vitam/profiles').filter((f) => /\.json$/.test(f) || f.includes('archive-unit-profiles/')),
    ].sort()
    const listed = new Set(CASES.map((c) => c.file))
    assert.deepEqual(
      files.filter((f) => !listed.has(f)),
      [],
      'every corpus file has a verdict',
    )
    assert.deepEqual(
      [...listed].filter((f) => !files.includes(f)),
      [],
      'every listed file exists',
    )
  })

  for (const dialect of testDialects()) {
    describe(`Vitam corpus (${dialect})`, () => {
      let t: Awaited<ReturnType<typeof openReferentialTestDb>>
      const tenantOf = (k: ReferentialKind) => `t-${k}`

      before(async () => {
        t = await openReferentialTestDb(
          dialect,
          (
            [
              'rules',
              'agencies',
              'ingest-contracts',
              'access-contracts',
              'management-contracts',
              'profiles',
              'archive-unit-profiles',
            ] as const
          ).map(tenantOf),
        )
        // What the corpus contracts point to: the agencies, profiles and management contracts they name.
        const okOf = (k: ReferentialKind) => CASES.filter((c) => c.kind === k && c.ok)
        const agencies = collect(okOf('access-contracts'), 'OriginatingAgencies')
        await t.service.import(
          tenantOf('access-contracts'),
          'agencies',
          csv(['Identifier,Name,Description', ...agencies.map((a) => `${a},Service ${a},`)]),
          'test',
        )
        const profiles = collect(okOf('ingest-contracts'), 'ArchiveProfiles')
        await t.service.import(
          tenantOf('ingest-contracts'),
          'profiles',
          json(profiles.map((id) => ({ Identifier: id, Name: id, Format: 'RNG', Status: 'ACTIVE' }))),
          'test',
        )
        const mcs = collect(okOf('ingest-contracts'), 'ManagementContractId')
        await t.service.import(
          tenantOf('ingest-contracts'),
          'management-contracts',
          json(mcs.map((id) => ({ Identifier: id, Name: id, Status: 'ACTIVE' }))),
          'test',
        )
        // An ontology: Vitam's own, plus the external vocabulary of Vitam's tests (MyKeyword, MyText…).
        const ontology = new Set<string>()
        for (const f of [
          'vitam/ontology/VitamOntology.json',
          'vitam/ontology/ok_ontology_voc_ext_all_types.json',
        ]) {
          for (const e of JSON.parse(read(f).toString('utf8')) as Array<{ Identifier: string }>)
            ontology.add(e.Identifier)
        }
        t.service.registerReferenceResolver('ontology', async (_trx, _tenant, ids) =>
          ids.filter((i) => ontology.has(i)),
        )
      })
      after(() => t.close())

      // Refusals first, against a referential that already holds data, then every accepted file.
      const ordered = [...CASES.filter((c) => !c.ok), ...CASES.filter((c) => c.ok)]
      let seeded = false
      for (const c of ordered) {
        const label = `${c.ok ? 'imports' : 'refuses'} ${relative('vitam', c.file)} as ${c.kind}${c.disputed ? ` (verdict disputed: ${c.disputed})` : ''}`
        it(label, async () => {
          const tenant = tenantOf(c.kind)
          if (!seeded) {
            for (const seed of CASES.filter((x) => x.ok && !x.file.includes('KO'))) {
              if ((await t.service.list(tenantOf(seed.kind), seed.kind)).length === 0) {
                await t.service.import(tenantOf(seed.kind), seed.kind, read(seed.file), 'test')
              }
            }
            seeded = true
          }
          const bytes = read(c.file)
          if (c.ok) {
            const r = await t.service.import(tenant, c.kind, bytes, 'test')
            assert.ok(r.total > 0)
            const again = await t.service.import(tenant, c.kind, bytes, 'test')
            assert.deepEqual(
              [again.created, again.updated, again.deleted, again.unchanged],
              [0, 0, 0, r.total],
              'a re-import changes nothing',
            )
            return
          }
          const before = await snapshot(t.db, tenant)
          let err: AppError | undefined
          try {
            await t.service.import(tenant, c.kind, bytes, 'test')
          } catch (e) {
            err = e as AppError
          }
          assert.ok(err, 'the file must be refused')
          assert.equal(err.code, 'REFERENTIAL_INVALID', err.message)
          const errors = err.details?.errors as ReferentialError[]
          assert.ok(errors.length > 0)
          for (const e of errors) {
            assert.ok(Number.isInteger(e.line) && e.line >= 1, `line of ${JSON.stringify(e)}`)
            assert.ok(e.message.length > 0)
          }
          const got = new Set(errors.map((e) => e.code))
          for (const code of c.codes ?? [])
            assert.ok(got.has(code), `${code} expected among ${[...got].join(', ')}`)
          assert.equal(await snapshot(t.db, tenant), before, 'a refused file changes nothing')
        })
      }
    })
  }
}
