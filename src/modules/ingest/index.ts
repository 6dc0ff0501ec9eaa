export { IngestService, INGEST_QUEUE, blobKeyFor, type IngestDeps } from './ingest.service.js'
export type { IngestEvent, IngestRequest, IngestResult, IngestStatus, IngestLimits } from './ingest.types.js'
export { normaliseDate, computeEndDate, containsHtml } from './metadata-checks.js'
export { ProfileSchemas, type SchemaFormat } from './profiles.js'
