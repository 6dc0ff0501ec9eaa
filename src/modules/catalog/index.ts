export { CatalogService, CatalogErrors } from './catalog.service.js'
export { deleteUnits, type DeletedObject, type UnitIndexRemover } from './catalog.delete.js'
export type {
  UnitSummary,
  UnitDetail,
  UnitObject,
  UnitRuleView,
  ObjectRecord,
  RulesReader,
} from './catalog.types.js'
