export {
  EliminationService,
  ELIMINATION_ANALYSIS_QUEUE,
  ELIMINATION_EXECUTE_QUEUE,
  stateDigest,
  type EliminationDeps,
  type UnitState,
} from './elimination.service.js'
export { HoldService, type LegalHold, type HoldInput } from './holds.service.js'
export { ElimErrors } from './errors.js'
export * from './elimination.types.js'
