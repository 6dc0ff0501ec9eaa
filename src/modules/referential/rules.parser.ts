import { readCsvTable } from './csv-table.js'
import { failed, type Parsed } from './issues.js'
import { RULE_TYPES, type RuleMeasurement, type RuleType } from './referential.types.js'

export const RULE_COLUMNS = [
  'RuleId',
  'RuleType',
  'RuleValue',
  'RuleDescription',
  'RuleDuration',
  'RuleMeasurement',
] as const

/**
 * Longest rule duration, per unit: 999 years, as Vitam enforces (the corpus accepts 999 YEAR and
 * 15000 DAY, refuses 9999, 90000, 600000 and 900000 YEAR). Months and days are bounded to the same
 * span: 999 × 12 months, 999 × 365 days.
 */
export const MAX_RULE_DURATION: Readonly<Record<RuleMeasurement, number>> = {
  YEAR: 999,
  MONTH: 999 * 12,
  DAY: 999 * 365,
}

/** Rule ids: ASCII letters, digits, `_ . : -` (no space, no accent, as the Vitam vademecum asks). */
const RULE_ID = /^[A-Za-z0-9_.:-]{1,100}$/

export interface ParsedRule {
  readonly line: number
  readonly ruleId: string
  readonly ruleType: RuleType
  readonly ruleValue: string
  readonly ruleDescription: string | null
  readonly ruleDuration: string | null
  readonly ruleMeasurement: RuleMeasurement | null
}

const UNIT_LABEL: Record<RuleMeasurement, string> = { YEAR: 'ans', MONTH: 'mois', DAY: 'jours' }

/** Parses and validates a Vitam rules CSV; returns every rule, or every error. */
export function parseRulesCsv(bytes: Uint8Array): Parsed<ParsedRule[]> {
  const { issues, header, rows } = readCsvTable(bytes, {
    required: RULE_COLUMNS,
    allowExtra: false,
    noEntries: 'Le fichier ne contient aucune règle',
  })
  const col = (name: string) => header.indexOf(name) + 1
  const out: ParsedRule[] = []
  const firstLine = new Map<string, number>()
  for (const row of rows) {
    const v = (name: (typeof RULE_COLUMNS)[number]) => row.values.get(name) ?? ''
    const err = (field: (typeof RULE_COLUMNS)[number], code: string, message: string) =>
      issues.add({ line: row.line, column: col(field), field, code, message })
    let ok = true

    const ruleId = v('RuleId')
    if (ruleId === '') {
      err('RuleId', 'FIELD_REQUIRED', 'RuleId obligatoire : la règle n’a pas d’identifiant')
      ok = false
    } else if (!RULE_ID.test(ruleId)) {
      err(
        'RuleId',
        'IDENTIFIER_INVALID',
        `RuleId « ${ruleId} » invalide : lettres sans accent, chiffres et « _ . : - » uniquement, sans espace`,
      )
      ok = false
    } else if (firstLine.has(ruleId)) {
      err(
        'RuleId',
        'DUPLICATE_IDENTIFIER',
        `RuleId « ${ruleId} » en double (déjà défini ligne ${firstLine.get(ruleId)})`,
      )
      ok = false
    } else {
      firstLine.set(ruleId, row.line)
    }

    const typeRaw = v('RuleType')
    const ruleType = RULE_TYPES.find((t) => t === typeRaw)
    if (typeRaw === '') {
      err('RuleType', 'FIELD_REQUIRED', 'RuleType obligatoire')
      ok = false
    } else if (!ruleType) {
      const near = RULE_TYPES.find((t) => t.toLowerCase() === typeRaw.toLowerCase())
      err(
        'RuleType',
        'RULE_TYPE_UNKNOWN',
        near
          ? `RuleType « ${typeRaw} » : écrivez « ${near} » (la casse compte)`
          : `RuleType « ${typeRaw} » inconnu : ${RULE_TYPES.join(', ')} attendu`,
      )
      ok = false
    }

    const ruleValue = v('RuleValue')
    if (ruleValue === '') {
      err('RuleValue', 'FIELD_REQUIRED', 'RuleValue obligatoire : l’intitulé de la règle manque')
      ok = false
    }

    const durRaw = v('RuleDuration')
    const measRaw = v('RuleMeasurement')
    let ruleDuration: string | null = null
    let ruleMeasurement: RuleMeasurement | null = null
    if (ruleType === 'HoldRule' && durRaw === '' && measRaw === '') {
      // A hold without end: both empty is Vitam's way to write it.
    } else if (ruleType === 'HoldRule' && (durRaw === '') !== (measRaw === '')) {
      err(
        durRaw === '' ? 'RuleDuration' : 'RuleMeasurement',
        'RULE_DURATION_MEASUREMENT_MISMATCH',
        `Règle de gel : RuleDuration et RuleMeasurement sont soit tous deux renseignés, soit tous deux vides (ici ${durRaw === '' ? 'RuleDuration' : 'RuleMeasurement'} est vide)`,
      )
      ok = false
    } else {
      let amount: number | null = null
      if (durRaw === '') {
        err('RuleDuration', 'FIELD_REQUIRED', 'RuleDuration obligatoire : un entier positif ou « unlimited »')
        ok = false
      } else if (/^unlimited$/i.test(durRaw)) {
        ruleDuration = 'unlimited'
      } else if (/^\d{1,9}$/.test(durRaw)) {
        amount = Number(durRaw)
        ruleDuration = String(amount)
      } else {
        err(
          'RuleDuration',
          'RULE_DURATION_INVALID',
          /^-\d+$/.test(durRaw)
            ? `RuleDuration « ${durRaw} » négative : un entier positif ou nul est attendu`
            : `RuleDuration « ${durRaw} » invalide : un entier positif ou « unlimited » est attendu`,
        )
        ok = false
      }
      if (measRaw === '') {
        err('RuleMeasurement', 'FIELD_REQUIRED', 'RuleMeasurement obligatoire : YEAR, MONTH ou DAY')
        ok = false
      } else {
        const m = measRaw.toUpperCase()
        if (m === 'YEAR' || m === 'MONTH' || m === 'DAY') {
          ruleMeasurement = m
          if (amount !== null && amount > MAX_RULE_DURATION[m]) {
            err(
              'RuleDuration',
              'RULE_DURATION_TOO_LONG',
              `Durée de ${amount} ${UNIT_LABEL[m]} trop longue : ${MAX_RULE_DURATION[m]} ${UNIT_LABEL[m]} au plus${m === 'YEAR' ? '' : ' (999 ans)'} ; « unlimited » pour une durée illimitée`,
            )
            ok = false
          }
        } else {
          err(
            'RuleMeasurement',
            'RULE_MEASUREMENT_INVALID',
            `RuleMeasurement « ${measRaw} » invalide : YEAR, MONTH ou DAY est attendu (en anglais)`,
          )
          ok = false
        }
      }
    }
    if (ok && ruleType) {
      const description = v('RuleDescription')
      out.push({
        line: row.line,
        ruleId,
        ruleType,
        ruleValue,
        ruleDescription: description === '' ? null : description,
        ruleDuration,
        ruleMeasurement,
      })
    }
  }
  return issues.empty ? { ok: true, value: out } : failed(issues)
}
