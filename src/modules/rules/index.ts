export { RulesService, RulesErrors, type RuleExtraSource } from './rules.service.js'
export { computeUnit, communicabilityOf, isNever, L213_1, type ParentState } from './engine.js'
export * from './rules.types.js'
