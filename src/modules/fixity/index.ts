/** Fixity audits: existence and integrity of every copy on every offer, automatic repair, reports. */
export {
  FixityService,
  FIXITY_QUEUE,
  FIXITY_SCHEDULE_QUEUE,
  AUDIT_OPERATION,
  type FixityDeps,
} from './fixity.service.js'
export {
  AUDIT_TYPES,
  type AnomalyKind,
  type AuditAnomaly,
  type AuditReport,
  type AuditRequest,
  type AuditTotals,
  type AuditTrigger,
  type AuditType,
  type CopyFixity,
  type CopyOutcome,
  type FixityHistory,
  type LostObject,
  type OfferTotals,
} from './fixity.types.js'
