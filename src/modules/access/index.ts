export {
  AccessService,
  AccessErrors,
  DEFAULT_ACCESS_CONTRACT,
  REQUEST_ROUTE,
  scopeOf,
  usageBase,
  type AccessContext,
  type ContractScope,
  type UnitAccess,
  type UnitWhere,
} from './access.service.js'
export { AccessLog, type AccessEvent, type AccessLogOptions } from './access-log.js'
export {
  DipService,
  DipErrors,
  DIP_QUEUE,
  DIP_USAGES,
  deliveryReplyXml,
  dipToSip,
  transferManifestOfDip,
  type DipDeps,
  type DipRequest,
  type DipState,
  type DipView,
} from './dip.service.js'
