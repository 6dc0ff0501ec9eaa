/** Storage offers: the BlobStore port, its fs and s3 backends, the N-offer strategy, blob records. */
export type {
  BadCopyEvent,
  BadCopyHook,
  BlobHead,
  BlobStore,
  ByteRange,
  ByteSource,
  Durability,
  GetResult,
  OpenWriteOptions,
  PutOptions,
  PutResult,
  StagedWrite,
  SweepOptions,
  WriteTarget,
} from './types.js'
export { blobKey, validateKey } from './keys.js'
export { CHUNK_SIZE, isSha512Hex } from './digest.js'
export { FsBlobStore, type FsStoreOptions } from './fs-store.js'
export { S3BlobStore, type S3StoreOptions } from './s3-store.js'
export {
  createBlobStore,
  createStorage,
  type OfferStatus,
  type OpenOptions,
  type OpenedBlob,
  type StorageBatch,
  type StorageDeps,
  type StorageStrategy,
  type StoredBlob,
} from './strategy.js'
export {
  createBlobRepository,
  markRepairOnBadCopy,
  type BlobCopy,
  type BlobRecord,
  type BlobRepository,
  type CopyState,
  type RepairItem,
} from './blob-repository.js'
