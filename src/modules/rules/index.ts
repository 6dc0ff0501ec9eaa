export { RulesService, RulesErrors } from './rules.service.js'
export {
  PRESET_NAMES,
  PRESETS_DIR,
  readPreset,
  isPresetName,
  type Preset,
  type PresetName,
  type PresetRuleMeta,
} from './presets.js'
export { computeUnit, communicabilityOf, isNever, L213_1, type ParentState } from './engine.js'
export * from './rules.types.js'
