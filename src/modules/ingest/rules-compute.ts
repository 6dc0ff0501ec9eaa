import type { ManagementData, RuleBlock } from '../seda/index.js'
import type { RuleEntry as RefRule } from '../referential/index.js'
import { computeEndDate, normaliseDate } from './metadata-checks.js'
import type { IngestEvent } from './ingest.types.js'

export interface ComputedRule {
  readonly category: string
  readonly ruleId: string | null
  readonly startDate: string | null
  readonly endDate: string | null
  readonly finalAction: string | null
  readonly data: Record<string, unknown>
}

/** Classification levels the platform accepts (Vitam's `classificationLevel.allowList`). */
export const CLASSIFICATION_LEVELS = [
  'Non protégé',
  'Diffusion Restreinte',
  'Confidentiel Défense',
  'Secret Défense',
  'Secret',
  'Très Secret',
  'Très Secret Défense',
]

/**
 * UNITS_RULES_COMPUTE and CHECK_CLASSIFICATION_LEVEL for one Management block: every rule exists in
 * the tenant's referential in the right category, RefNonRuleId names rules of the block's category,
 * hold dates are coherent, and each rule's end date is computed (start + duration).
 */
export function computeRules(
  where: string,
  mgmt: ManagementData | undefined,
  rules: ReadonlyMap<string, RefRule>,
): { rules: ComputedRule[]; events: IngestEvent[] } {
  const out: ComputedRule[] = []
  const events: IngestEvent[] = []
  const ko = (detail: string, message: string, type = 'UNITS_RULES_COMPUTE') =>
    events.push({ type, outcome: 'KO', detail, message: `${where} : ${message}` })
  for (const block of mgmt?.rules ?? []) {
    checkBlock(block)
  }
  return { rules: out, events }

  function checkBlock(block: RuleBlock): void {
    const cat = block.category
    if (cat === 'ClassificationRule' && block.classificationLevel !== undefined) {
      if (!CLASSIFICATION_LEVELS.includes(block.classificationLevel)) {
        ko(
          'CHECK_CLASSIFICATION_LEVEL.KO',
          `niveau de classification « ${block.classificationLevel} » non admis par la plate-forme`,
          'CHECK_CLASSIFICATION_LEVEL',
        )
      }
    }
    for (const ref of block.refNonRuleIds) {
      const r = rules.get(ref)
      if (!r)
        ko(
          'UNITS_RULES_COMPUTE.UNKNOWN.KO',
          `RefNonRuleId ${ref} (${cat}) inconnue du référentiel des règles`,
        )
      else if (r.ruleType !== cat) {
        ko(
          'UNITS_RULES_COMPUTE.REF_INCONSISTENCY.KO',
          `RefNonRuleId ${ref} est une règle ${r.ruleType}, pas ${cat}`,
        )
      }
    }
    const base = {
      preventInheritance: block.preventInheritance ?? false,
      refNonRuleIds: block.refNonRuleIds,
      ...(block.classificationLevel ? { classificationLevel: block.classificationLevel } : {}),
      ...(block.classificationOwner ? { classificationOwner: block.classificationOwner } : {}),
      ...(block.needReassessingAuthorization !== undefined
        ? { needReassessingAuthorization: block.needReassessingAuthorization }
        : {}),
    }
    if (block.rules.length === 0) {
      out.push({
        category: cat,
        ruleId: null,
        startDate: null,
        endDate: null,
        finalAction: block.finalAction ?? null,
        data: base,
      })
      return
    }
    for (const entry of block.rules) {
      const r = rules.get(entry.rule)
      if (!r) {
        ko(
          'UNITS_RULES_COMPUTE.UNKNOWN.KO',
          `règle ${entry.rule} (${cat}) inconnue du référentiel des règles`,
        )
        continue
      }
      if (r.ruleType !== cat) {
        ko(
          'UNITS_RULES_COMPUTE.CONSISTENCY.KO',
          `la règle ${entry.rule} est de catégorie ${r.ruleType}, déclarée en ${cat}`,
        )
        continue
      }
      let start: string | null = null
      if (entry.startDate !== undefined) {
        const d = normaliseDate(entry.startDate)
        if ('error' in d) {
          ko('UNITS_RULES_COMPUTE.KO', `date de début de la règle ${entry.rule} : ${d.error}`)
          continue
        }
        start = d.start
      }
      let end = start ? computeEndDate(start, r.ruleDuration, r.ruleMeasurement) : null
      const data: Record<string, unknown> = { ...base }
      if (cat === 'HoldRule' && entry.holdEndDate !== undefined) {
        const h = normaliseDate(entry.holdEndDate)
        if ('error' in h) {
          ko('UNITS_RULES_COMPUTE.KO', `HoldEndDate de la règle ${entry.rule} : ${h.error}`)
          continue
        }
        if (r.ruleDuration !== null && r.ruleDuration !== '') {
          ko(
            'UNITS_RULES_COMPUTE.CONSISTENCY.KO',
            `HoldEndDate donnée pour la règle de gel ${entry.rule} qui a déjà une durée (${r.ruleDuration} ${r.ruleMeasurement ?? ''})`,
          )
          continue
        }
        if (start !== null && h.start < start) {
          ko(
            'UNITS_RULES_COMPUTE.CONSISTENCY.KO',
            `HoldEndDate (${entry.holdEndDate}) antérieure à la date de début de la règle ${entry.rule}`,
          )
          continue
        }
        end = h.start
      }
      for (const k of ['holdOwner', 'holdReason', 'holdReassessingDate', 'preventRearrangement'] as const) {
        if (entry[k] !== undefined) data[k] = entry[k]
      }
      out.push({
        category: cat,
        ruleId: entry.rule,
        startDate: start,
        endDate: end,
        finalAction: block.finalAction ?? null,
        data,
      })
    }
  }
}
