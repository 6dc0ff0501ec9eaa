export { CatalogService, CatalogErrors } from './catalog.service.js'
export type {
  UnitSummary,
  UnitDetail,
  UnitObject,
  UnitRuleView,
  ObjectRecord,
  RulesReader,
} from './catalog.types.js'
