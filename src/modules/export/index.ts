/** Reversibility: a tenant exported as a BagIt bag (RFC 8493) and imported into another instance. */
export {
  ExportService,
  ExportErrors,
  RECREATED_TABLES,
  STORAGE_MAP,
  type ExportDeps,
  type ExportResult,
  type ImportResult,
  type StorageMapEntry,
} from './export.service.js'
export { TECHNICAL_TABLES, introspect, planExport, type ExportPlan, type TableInfo } from './introspect.js'
export { checkBag, checkBagPath, BagErrors, type CheckedBag } from './bagit.js'
