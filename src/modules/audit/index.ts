export {
  AuditService,
  worstOutcome,
  chainOf,
  type OperationWithEvents,
  type OperationEvent,
  type EventSink,
} from './audit.service.js'
export { eventHash, eventBody, GENESIS_HASH } from './chain.js'
export { toEvent as toEventRow } from './audit.repository.js'
export {
  PLATFORM_CHAIN,
  type NewEvent,
  type LogbookEvent,
  type Operation,
  type OperationStatus,
  type Outcome,
  type VerifyReport,
  type ChainReport,
  type ChainBreak,
} from './audit.types.js'
