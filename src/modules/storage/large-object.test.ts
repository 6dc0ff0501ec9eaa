import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { s3TestEnv, tempDir } from './test-support.js'

const CHILD = fileURLToPath(new URL('./large-child.ts', import.meta.url))
const SIZE = 2 * 1024 ** 3
const MEMORY_BOUND = 200 * 1024 ** 2

test('a 2 GiB object streams to every offer and back with bounded memory', async (t) => {
  const s3 = s3TestEnv()
  if ('skip' in s3) t.diagnostic(`${s3.skip}: this run covers the two fs offers only`)
  const dir = await tempDir(t, 'saeh-large-')
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(SIZE)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  assert.equal(code, 0, `child failed: ${err}`)
  const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
    expected: string
    stored: { size: number; sha512: string; createdOn: string[] }
    reads: Record<string, number>
    baseRss: number
    peakRss: number
    maxRss: number
    offers: string[]
  }
  assert.equal(r.stored.size, SIZE)
  assert.equal(r.stored.sha512, r.expected)
  assert.deepEqual(r.stored.createdOn, r.offers)
  for (const o of r.offers) assert.equal(r.reads[o], SIZE, `verified read of ${o}`)
  for (const o of ['a', 'b']) assert.equal((await stat(join(dir, o, 't1', '00', 'large-object'))).size, SIZE)
  const mb = (n: number) => `${(n / 1024 ** 2).toFixed(0)} MiB`
  t.diagnostic(
    `offers ${r.offers.join(', ')}; RSS after start-up ${mb(r.baseRss)}, peak RSS sampled ${mb(r.peakRss)}, maxRSS ${mb(r.maxRss)}`,
  )
  assert.ok(r.maxRss < MEMORY_BOUND, `peak RSS ${mb(r.maxRss)} must stay under ${mb(MEMORY_BOUND)}`)
})
