/** Logbook seals (Merkle root + RFC 3161 token), their verification, and evidence bundles. */
export { SealService, SEAL_QUEUE, SEAL_FORMAT, MERKLE_RULE, sealKeys, type SealDeps } from './seal.service.js'
export { EvidenceService, type EvidenceResult } from './evidence.js'
export {
  ensureBuiltinAuthority,
  authorityFiles,
  buildTimestampRequest,
  verifyToken,
  readToken,
  BuiltinAuthority,
  HttpAuthority,
  type TimestampAuthority,
  type AuthorityFiles,
  type TokenInfo,
} from './tsa.js'
export { merkleRoot, leafHash, nodeHash, inclusionProof, rootFromProof, type ProofStep } from './merkle.js'
export type * from './seal.types.js'
