export {
  TransferService,
  TransferErrors,
  TRANSFER_QUEUE,
  parseAtr,
  type TransferDeps,
  type TransferRequest,
  type TransferView,
  type TransferType,
  type TransferState,
  type ParsedAtr,
} from './transfer.service.js'
export {
  archiveTransferXml,
  dataObjectPackageXml,
  elementXml,
  layoutOf,
  managementXml,
  writeZip,
  type PackageHeader,
  type PackageLayout,
  type PackageObject,
  type PackageRule,
  type PackageUnit,
} from './package-writer.js'
export { resolveSelection, SelectionErrors, type Selection, type UnitLister } from './selection.js'
export {
  ChangesService,
  type ChangesDeps,
  type ChangeResult,
  type Move,
  type RuleChange,
} from './changes.service.js'
export {
  RegisterService,
  registerCsv,
  type Register,
  type RegisterLine,
  type Totals as RegisterTotals,
} from './register.service.js'
export { loadPackage } from './package-loader.js'
