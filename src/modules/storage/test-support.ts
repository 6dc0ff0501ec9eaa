// Helpers shared by the storage tests (not exported by the module).
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { OfferConfig } from '../../config/config.js'

export async function tempDir(
  t: { after(fn: () => Promise<void>): void },
  name = 'saeh-storage-',
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), name))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export function sha512(b: Buffer | string): string {
  return createHash('sha512').update(b).digest('hex')
}

export async function collect(body: Readable | AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of body) parts.push(c as Buffer)
  return Buffer.concat(parts)
}

/** Yields `bytes` in chunks of `chunk` bytes (fresh buffers). */
export async function* chunked(bytes: Buffer, chunk = 64 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += chunk) yield Buffer.from(bytes.subarray(i, i + chunk))
}

/** Every file under a folder (relative paths), hidden ones included. */
export async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string, rel: string): Promise<void> => {
    let entries
    try {
      entries = await readdir(d, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) await walk(join(d, e.name), r)
      else out.push(r)
    }
  }
  await walk(dir, '')
  return out.sort()
}

export function random(n: number): Buffer {
  return randomBytes(n)
}

/** S3 test settings from the environment, or the reason the S3 tests are skipped. */
export function s3TestEnv():
  | { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } }
  | { skip: string } {
  const endpoint = process.env.SAEH_TEST_S3_ENDPOINT
  if (!endpoint) {
    return {
      skip: 'S3 storage tests skipped: SAEH_TEST_S3_ENDPOINT is not set (CI sets it and runs them on a real Ceph RGW)',
    }
  }
  const accessKeyId = process.env.SAEH_TEST_S3_ACCESS_KEY ?? ''
  const secretAccessKey = process.env.SAEH_TEST_S3_SECRET_KEY ?? ''
  if (!accessKeyId || !secretAccessKey) {
    return { skip: 'S3 storage tests skipped: SAEH_TEST_S3_ACCESS_KEY / SAEH_TEST_S3_SECRET_KEY are not set' }
  }
  return { endpoint, credentials: { accessKeyId, secretAccessKey } }
}

export function uniqueBucket(tag: string): string {
  return `saeh-${tag}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
}

export function s3Offer(id: string, bucket: string, endpoint: string): OfferConfig {
  return { id, kind: 's3', bucket, endpoint, region: 'us-east-1', forcePathStyle: true }
}

/** Pseudo-random bytes fully determined by a seed (AES-128-CTR of zeros): checkable after a crash. */
export function seededBytes(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16)
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()])
}

/** The size the crash test gives an object: mostly small files, some of a few MiB. */
export function seededSize(seed: string): number {
  const h = createHash('sha256').update(seed).digest()
  const sizes = [10 * 1024, 10 * 1024, 100 * 1024, 3 * 1024 * 1024 + 5]
  return sizes[(h[0] ?? 0) % sizes.length] as number
}
