import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import yauzl from 'yauzl'
import { writeStoredZip } from './zip-writer.js'

function readAll(path: string, only?: (name: string) => boolean): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, validateEntrySizes: true }, (err, zip) => {
      if (err) return reject(err)
      const out = new Map<string, Buffer>()
      zip.on('error', reject)
      zip.on('end', () => resolve(out))
      zip.on('entry', (e: yauzl.Entry) => {
        if (only && !only(e.fileName)) {
          out.set(e.fileName, Buffer.alloc(0))
          return zip.readEntry()
        }
        zip.openReadStream(e, (er, s) => {
          if (er) return reject(er)
          const chunks: Buffer[] = []
          s.on('data', (c: Buffer) => chunks.push(c))
          s.on('error', reject)
          s.on('end', () => {
            out.set(e.fileName, Buffer.concat(chunks))
            zip.readEntry()
          })
        })
      })
      zip.readEntry()
    })
  })
}

describe('STORE zip writer', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'saeh-zip-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('writes entries yauzl reads back byte for byte (CRC-32 checked), UTF-8 names', async () => {
    const a = randomBytes(300_000)
    const b = Buffer.from('')
    const p = join(dir, 'a.zip')
    const size = await writeStoredZip(p, [
      { name: 'manifest.xml', size: 5, bytes: () => [Buffer.from('<a/>\n')] },
      {
        name: 'Content/été.bin',
        size: a.length,
        bytes: async () =>
          (async function* () {
            yield a.subarray(0, 1000)
            yield a.subarray(1000)
          })(),
      },
      { name: 'Content/empty', size: 0, bytes: () => [b] },
    ])
    assert.ok(size > a.length)
    const got = await readAll(p)
    assert.deepEqual([...got.keys()], ['manifest.xml', 'Content/été.bin', 'Content/empty'])
    assert.ok(got.get('Content/été.bin')!.equals(a))
    assert.equal(got.get('manifest.xml')!.toString(), '<a/>\n')
  })

  it('refuses an entry whose bytes do not match its declared size, and never overwrites a file', async () => {
    await assert.rejects(
      writeStoredZip(join(dir, 'b.zip'), [{ name: 'x', size: 10, bytes: () => [Buffer.alloc(9)] }]),
      /9 bytes read, 10 expected/,
    )
    await writeFile(join(dir, 'c.zip'), 'keep')
    await assert.rejects(writeStoredZip(join(dir, 'c.zip'), []), { code: 'EEXIST' })
  })

  it('writes ZIP64 end records past 65,535 entries', async () => {
    const n = 70_000
    const p = join(dir, 'many.zip')
    await writeStoredZip(
      p,
      Array.from({ length: n }, (_, i) => ({
        name: `f${i}`,
        size: 1,
        bytes: () => [Buffer.from([i & 0xff])],
      })),
    )
    const got = await readAll(p, (name) => name === 'f69999')
    assert.equal(got.size, n)
    assert.equal(got.get('f69999')![0], 69999 & 0xff)
  })
})
