import type { ContainerKind } from './types.js'

export type Detected = { kind: ContainerKind } | { kind: 'unsupported'; what: string }

const SIGNATURES: readonly { bytes: readonly number[]; what: string }[] = [
  { bytes: [0x50, 0x4b, 0x07, 0x08], what: 'archive zip multi-volume' },
  { bytes: [0x42, 0x5a, 0x68], what: 'fichier bzip2 (tar.bz2 non pris en charge)' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'fichier xz' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'fichier zstd' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'archive 7z' },
  { bytes: [0x52, 0x61, 0x72, 0x21], what: 'archive rar' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'document PDF' },
  { bytes: [0x3c, 0x3f, 0x78, 0x6d, 0x6c], what: 'fichier XML seul' },
]

function startsWith(head: Uint8Array, bytes: readonly number[]): boolean {
  return head.length >= bytes.length && bytes.every((b, i) => head[i] === b)
}

/**
 * Container kind from the first bytes (at least 512 when the file is that long). zip: a local header
 * (`PK\x03\x04`) or, for an empty zip, the end of central directory (`PK\x05\x06`); gzip: `1F 8B 08`
 * (the tar inside is checked while decompressing); tar: `ustar` at offset 257 (POSIX and GNU formats;
 * pre-POSIX v7 tars are not accepted), or a first block of zeros (an empty tar).
 */
export function detectContainer(head: Uint8Array): Detected {
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06]))
    return { kind: 'zip' }
  if (startsWith(head, [0x1f, 0x8b, 0x08])) return { kind: 'tar.gz' }
  if (
    head.length >= 512 &&
    Buffer.from(head.buffer, head.byteOffset + 257, 5).toString('latin1') === 'ustar'
  ) {
    return { kind: 'tar' }
  }
  // An empty tar is only end-of-archive zero blocks.
  if (head.length >= 512 && head.subarray(0, 512).every((b) => b === 0)) return { kind: 'tar' }
  for (const s of SIGNATURES) if (startsWith(head, s.bytes)) return { kind: 'unsupported', what: s.what }
  return { kind: 'unsupported', what: 'signature non reconnue' }
}
