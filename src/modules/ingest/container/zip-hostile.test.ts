import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import v8 from 'node:v8'
import vm from 'node:vm'
import { AppError } from '../../../platform/errors.js'
import { ContainerErrorCode, openPackage, type ContainerLimits, type PackageReader } from './index.js'
import { rawZip, sha256, yazlZip, zeroBomb, type RawZipEntry } from './test-support.js'

/** global.gc without --expose-gc on the command line (node --test runs files with fixed flags). */
function exposeGc(): () => void {
  v8.setFlagsFromString('--expose-gc')
  return vm.runInNewContext('gc') as () => void
}

const MANIFEST: RawZipEntry = { name: 'manifest.xml', data: Buffer.from('<ArchiveTransfer/>') }

let dir: string
let staging: string
let seq = 0

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'saeh-zip-hostile-'))
  staging = path.join(dir, 'staging')
  await mkdir(staging)
})
after(() => rm(dir, { recursive: true, force: true }))

async function write(buf: Buffer, name = `p${++seq}.zip`): Promise<string> {
  const p = path.join(dir, name)
  await writeFile(p, buf)
  return p
}

async function open(
  buf: Buffer,
  limits: Partial<ContainerLimits> = {},
  name?: string,
): Promise<PackageReader> {
  return openPackage(await write(buf, name), limits, { stagingDir: staging })
}

async function refused(
  buf: Buffer,
  code: string,
  limits: Partial<ContainerLimits> = {},
  name = `sip-${++seq}.zip`,
): Promise<AppError> {
  const err = await open(buf, limits, name).then(
    async (r) => {
      await r.close()
      assert.fail(`expected ${code}, the package opened`)
    },
    (e: unknown) => e,
  )
  assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`)
  assert.equal(err.code, code, err.message)
  assert.match(err.message, new RegExp(`« ${name.replace(/\./g, '\\.')} »`), 'the message names the file')
  assert.equal(err.details?.file, name)
  return err
}

async function streamFails(r: PackageReader, entry: string, code: string): Promise<AppError> {
  const err = await sha256(r.openEntry(entry)).then(
    () => assert.fail('expected the stream to fail'),
    (e: unknown) => e,
  )
  assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`)
  assert.equal(err.code, code, err.message)
  assert.equal(err.details?.entry, entry)
  return err
}

describe('zip: dangerous names', () => {
  const cases: [string, string | Buffer, string][] = [
    ['a ../ segment', 'Content/../../evil.txt', 'dot-segment'],
    ['an absolute path', '/etc/cron.d/evil', 'absolute'],
    ['a backslash', 'Content\\evil.txt', 'backslash'],
    ['a drive letter', 'C:/evil.txt', 'drive-letter'],
    ['a NUL', 'Content/a\u0000.txt', 'control-character'],
    ['a control character', 'Content/a\u001b[31m.txt', 'control-character'],
    ['invalid UTF-8 with the UTF-8 flag', Buffer.from([0x43, 0x2f, 0xe9, 0x2e, 0x74]), 'invalid-utf8'],
  ]
  for (const [label, name, rule] of cases) {
    it(`refuses ${label}`, async () => {
      const flags = typeof name === 'string' ? undefined : 0x800
      const err = await refused(
        rawZip([MANIFEST, { name, data: Buffer.from('x'), ...(flags === undefined ? {} : { flags }) }]),
        ContainerErrorCode.UNSAFE_ENTRY,
      )
      assert.equal(err.details?.rule, rule)
      if (typeof name === 'string' && rule !== 'control-character') {
        assert.ok(err.message.includes(`« ${name} »`), `the message names the entry: ${err.message}`)
      }
    })
  }

  it('escapes control characters in messages', async () => {
    const err = await refused(
      rawZip([MANIFEST, { name: 'Content/a\nb.txt', data: Buffer.from('x') }]),
      ContainerErrorCode.UNSAFE_ENTRY,
    )
    assert.ok(err.message.includes('« Content/a\\u000ab.txt »'), err.message)
  })

  it('reads unflagged CP437 names and unflagged UTF-8 names', async () => {
    const cp437 = Buffer.from([0x43, 0x61, 0x66, 0x82, 0x2e, 0x70, 0x64, 0x66]) // "Caf\x82.pdf"
    const r = await open(
      rawZip([
        MANIFEST,
        { name: cp437, data: Buffer.from('cp437') },
        { name: Buffer.from('Été.pdf', 'utf8'), data: Buffer.from('utf8') },
      ]),
    )
    assert.deepEqual(
      r.entries.map((e) => e.name),
      ['manifest.xml', 'Café.pdf', 'Été.pdf'],
    )
    await r.close()
  })

  it('refuses names over maxNameBytes', async () => {
    const err = await refused(
      rawZip([MANIFEST, { name: `Content/${'a'.repeat(300)}.txt` }]),
      ContainerErrorCode.LIMIT_EXCEEDED,
      { maxNameBytes: 200 },
    )
    assert.equal(err.details?.limit, 'maxNameBytes')
  })
})

describe('zip: entry types', () => {
  const types: [string, number, string][] = [
    ['a symlink (mode 0120000)', 0o120777, 'symlink'],
    ['a FIFO', 0o010644, 'fifo'],
    ['a character device', 0o020644, 'device'],
    ['a block device', 0o060644, 'device'],
    ['a socket', 0o140644, 'socket'],
  ]
  for (const [label, mode, rule] of types) {
    it(`refuses ${label}`, async () => {
      const err = await refused(
        rawZip([
          MANIFEST,
          { name: 'Content/link', data: Buffer.from('/etc/passwd'), externalAttributes: (mode << 16) >>> 0 },
        ]),
        ContainerErrorCode.UNSAFE_ENTRY,
      )
      assert.equal(err.details?.rule, rule)
      assert.equal(err.details?.entry, 'Content/link')
    })
  }

  it('refuses a symlink written by yazl (mode option)', async () => {
    const { ZipFile } = await import('yazl')
    const z = new ZipFile()
    z.addBuffer(Buffer.from('<a/>'), 'manifest.xml')
    z.addBuffer(Buffer.from('../../etc/passwd'), 'Content/passwd', { mode: 0o120777 })
    z.end()
    const { buffer } = await import('node:stream/consumers')
    const buf = await buffer(z.outputStream as never)
    const err = await refused(buf, ContainerErrorCode.UNSAFE_ENTRY)
    assert.equal(err.details?.rule, 'symlink')
  })

  it('refuses a directory entry carrying data', async () => {
    const err = await refused(
      rawZip([MANIFEST, { name: 'Content/', data: Buffer.from('hidden') }]),
      ContainerErrorCode.UNSAFE_ENTRY,
    )
    assert.equal(err.details?.rule, 'directory-with-data')
  })

  it('refuses encrypted entries and unknown compression methods', async () => {
    const enc = await refused(
      rawZip([MANIFEST, { name: 'Content/a.txt', data: Buffer.from('x'), flags: 0x801 }]),
      ContainerErrorCode.UNSUPPORTED_ENTRY,
    )
    assert.equal(enc.details?.reason, 'encrypted')
    const bz = await refused(
      rawZip([
        MANIFEST,
        { name: 'Content/a.txt', data: Buffer.from('x'), method: 12, compressed: Buffer.from('BZh9') },
      ]),
      ContainerErrorCode.UNSUPPORTED_ENTRY,
    )
    assert.equal(bz.details?.compressionMethod, 12)
  })
})

describe('zip: duplicates', () => {
  const cases: [string, RawZipEntry[]][] = [
    ['the same name twice', [{ name: 'Content/a.txt' }, { name: 'Content/a.txt' }]],
    ['names differing by case', [{ name: 'Content/Rapport.PDF' }, { name: 'content/rapport.pdf' }]],
    ['Café NFC and NFD', [{ name: 'Content/Caf\u00e9.txt' }, { name: 'Content/Cafe\u0301.txt' }]],
    ['a file and a directory of the same name', [{ name: 'Content/x' }, { name: 'Content/x/' }]],
    ['a file and an implied directory', [{ name: 'Content/x' }, { name: 'Content/X/y.txt' }]],
    ['two manifests differing by case', [{ name: 'MANIFEST.xml' }]],
  ]
  for (const [label, entries] of cases) {
    it(`refuses ${label}`, async () => {
      const err = await refused(
        rawZip([
          MANIFEST,
          ...entries.map((e) => ((e.name as string).endsWith('/') ? e : { ...e, data: Buffer.from('x') })),
        ]),
        ContainerErrorCode.DUPLICATE_ENTRY,
      )
      const last = entries[entries.length - 1] as RawZipEntry
      const shown = (last.name as string).replace(/\/$/, '')
      assert.equal(err.details?.entry, shown)
      if (label.startsWith('Café')) assert.equal(err.details?.differsBy, 'unicode-normalization')
      if (label.includes('case')) assert.equal(err.details?.differsBy, 'case')
      assert.ok(err.message.includes(`« ${shown} »`), err.message)
    })
  }
})

describe('zip: sizes that lie', () => {
  const data = Buffer.alloc(100_000, 'archive ')

  it('catches a central directory declaring fewer bytes than the data inflates to', async () => {
    const r = await open(rawZip([MANIFEST, { name: 'Content/a.txt', data, size: 1000, localSize: 1000 }]))
    const err = await streamFails(r, 'Content/a.txt', ContainerErrorCode.CORRUPT_ENTRY)
    assert.equal(err.details?.reason, 'size-mismatch')
    await r.close()
  })

  it('catches a central directory declaring more bytes than the data inflates to', async () => {
    const r = await open(
      rawZip([MANIFEST, { name: 'Content/a.txt', data, size: 200_000, localSize: 200_000 }]),
    )
    const err = await streamFails(r, 'Content/a.txt', ContainerErrorCode.CORRUPT_ENTRY)
    assert.equal(err.details?.reason, 'size-mismatch')
    await r.close()
  })

  it('catches a local header that disagrees with the central directory', async () => {
    const r = await open(rawZip([MANIFEST, { name: 'Content/a.txt', data, localSize: 5 }]))
    const err = await streamFails(r, 'Content/a.txt', ContainerErrorCode.CORRUPT_ENTRY)
    assert.equal(err.details?.reason, 'local-header')
    await r.close()
  })

  it('catches a stored entry whose sizes differ, at open', async () => {
    const err = await refused(
      rawZip([MANIFEST, { name: 'Content/a.txt', data, method: 0, size: 10 }]),
      ContainerErrorCode.CORRUPT_ENTRY,
    )
    assert.equal(err.details?.entry, 'Content/a.txt')
  })

  it('catches a wrong CRC-32', async () => {
    const r = await open(rawZip([MANIFEST, { name: 'Content/a.txt', data, crc: 12345 }]))
    const err = await streamFails(r, 'Content/a.txt', ContainerErrorCode.CORRUPT_ENTRY)
    assert.equal(err.details?.reason, 'crc32')
    await r.close()
  })

  it('catches corrupt deflate data', async () => {
    const compressed = Buffer.from(randomBytes(4096))
    const r = await open(rawZip([MANIFEST, { name: 'Content/a.bin', data, compressed }]))
    const err = await streamFails(r, 'Content/a.bin', ContainerErrorCode.CORRUPT_ENTRY)
    assert.ok(
      ['deflate', 'size-mismatch'].includes(err.details?.reason as string),
      String(err.details?.reason),
    )
    await r.close()
  })

  it('refuses entries whose data overlap (many records on the same bytes)', async () => {
    const zip = rawZip([
      MANIFEST,
      { name: 'Content/a.bin', data },
      { name: 'Content/b.bin', data, centralOffset: 30 + 'manifest.xml'.length + 20 },
    ])
    // Point b at a's local header: compute a's real offset.
    const manifestCompressed = (await import('node:zlib')).deflateRawSync(MANIFEST.data as Buffer).length
    const aOffset = 30 + 'manifest.xml'.length + manifestCompressed
    const fixed = rawZip([
      MANIFEST,
      { name: 'Content/a.bin', data },
      { name: 'Content/b.bin', data, centralOffset: aOffset },
    ])
    assert.ok(zip.length > 0)
    const err = await refused(fixed, ContainerErrorCode.UNSAFE_ENTRY)
    assert.equal(err.details?.rule, 'overlapping-entries')
  })
})

describe('zip: structure', () => {
  it('refuses a truncated zip', async () => {
    const zip = await yazlZip([
      { name: 'manifest.xml', data: Buffer.from('<a/>') },
      { name: 'Content/a.bin', data: randomBytes(50_000) },
    ])
    const err = await refused(zip.subarray(0, zip.length - 30), ContainerErrorCode.UNREADABLE)
    assert.ok(typeof err.details?.cause === 'string')
    await refused(zip.subarray(0, Math.floor(zip.length / 2)), ContainerErrorCode.UNREADABLE)
  })

  it('refuses random bytes, an empty file and a zip signature followed by garbage', async () => {
    const random = randomBytes(100_000)
    random[0] = 0x00
    await refused(random, ContainerErrorCode.UNSUPPORTED_FORMAT)
    await refused(Buffer.alloc(0), ContainerErrorCode.UNREADABLE)
    await refused(
      Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), randomBytes(10_000)]),
      ContainerErrorCode.UNREADABLE,
    )
  })

  it('refuses an empty zip and a zip holding only directories', async () => {
    await refused(rawZip([]), ContainerErrorCode.EMPTY)
    await refused(rawZip([{ name: 'Content/' }]), ContainerErrorCode.EMPTY)
  })

  it('refuses a package without manifest, or a manifest only in a sub-folder', async () => {
    const err = await refused(
      rawZip([{ name: 'Content/a.txt', data: Buffer.from('x') }, { name: 'bordereau.xml' }]),
      ContainerErrorCode.NO_MANIFEST,
    )
    assert.deepEqual(err.details?.rootFiles, ['bordereau.xml'])
    await refused(rawZip([{ name: 'Content/manifest.xml' }]), ContainerErrorCode.NO_MANIFEST)
    await refused(rawZip([{ name: 'Manifest.xml' }]), ContainerErrorCode.NO_MANIFEST)
  })

  it('refuses two manifests', async () => {
    const err = await refused(
      rawZip([MANIFEST, { name: 'versement_manifest.xml' }]),
      ContainerErrorCode.MANY_MANIFESTS,
    )
    assert.deepEqual(err.details?.manifests, ['manifest.xml', 'versement_manifest.xml'])
    assert.ok(err.message.includes('« versement_manifest.xml »'))
  })
})

describe('zip: limits', () => {
  it('refuses a manifest over maxManifestBytes, naming it', async () => {
    const err = await refused(
      rawZip([{ name: 'manifest.xml', data: Buffer.alloc(5000, 'x') }]),
      ContainerErrorCode.LIMIT_EXCEEDED,
      { maxManifestBytes: 4096 },
    )
    assert.deepEqual(
      {
        limit: err.details?.limit,
        max: err.details?.max,
        actual: err.details?.actual,
        entry: err.details?.entry,
      },
      { limit: 'maxManifestBytes', max: 4096, actual: 5000, entry: 'manifest.xml' },
    )
    assert.ok(err.message.includes('« manifest.xml »'))
  })

  it('accepts and streams a 50 MB manifest under the default limits', async () => {
    const line = Buffer.from(
      '<ArchiveUnit id="AU1"><Title>Délibération du conseil municipal</Title></ArchiveUnit>\n',
    )
    const manifest = Buffer.alloc(50_000_000)
    for (let i = 0; i < manifest.length; i += line.length) line.copy(manifest, i)
    const r = await open(rawZip([{ name: 'manifest.xml', data: manifest }]))
    const { bytes } = await sha256(r.openEntry(r.manifestName))
    assert.equal(bytes, 50_000_000)
    await r.close()
  })

  it('refuses an entry or a total over the limits from the declared sizes, at open', async () => {
    const big = await refused(
      rawZip([MANIFEST, { name: 'Content/a.bin', data: Buffer.alloc(3000) }]),
      ContainerErrorCode.LIMIT_EXCEEDED,
      { maxEntryBytes: 2048 },
    )
    assert.equal(big.details?.limit, 'maxEntryBytes')
    assert.equal(big.details?.entry, 'Content/a.bin')
    const total = await refused(
      rawZip([
        MANIFEST,
        { name: 'Content/a.bin', data: Buffer.alloc(3000) },
        { name: 'Content/b.bin', data: Buffer.alloc(3000) },
      ]),
      ContainerErrorCode.LIMIT_EXCEEDED,
      { maxTotalBytes: 5000 },
    )
    assert.equal(total.details?.limit, 'maxTotalBytes')
    assert.equal(total.details?.entry, 'Content/b.bin')
  })

  it('refuses 100,000 tiny entries over maxEntries fast, and opens them under the limit with bounded memory', async () => {
    const entries: RawZipEntry[] = [MANIFEST]
    const one = Buffer.from('x')
    for (let i = 0; i < 100_000; i++) entries.push({ name: `Content/${i}.txt`, data: one, method: 0 })
    const zip = rawZip(entries)
    let t0 = performance.now()
    const err = await refused(zip, ContainerErrorCode.LIMIT_EXCEEDED, { maxEntries: 50_000 })
    const refuseMs = performance.now() - t0
    assert.equal(err.details?.limit, 'maxEntries')
    assert.equal(err.details?.actual, 100_001)
    // Refused from the end-of-central-directory count, before any record is read: the same package
    // with its central records overwritten is refused the same way (not as unreadable).
    const cdOffset = zip.readUInt32LE(zip.length - 22 + 16)
    const cdEnd = zip.length - 22 - 20 - 56 // before the zip64 record (56 bytes) and its locator (20)
    const scrambled = Buffer.from(zip)
    scrambled.fill(0xee, cdOffset, cdEnd)
    await refused(scrambled, ContainerErrorCode.UNREADABLE) // walking these records fails…
    const again = await refused(scrambled, ContainerErrorCode.LIMIT_EXCEEDED, { maxEntries: 50_000 }) // …the limit comes first
    assert.equal(again.details?.limit, 'maxEntries')
    assert.ok(refuseMs < 5000, `refused in ${refuseMs.toFixed(0)} ms`)

    const gc = exposeGc()
    gc()
    const heapBefore = process.memoryUsage().heapUsed
    t0 = performance.now()
    const r = await open(zip)
    const openMs = performance.now() - t0
    gc()
    const heapDelta = process.memoryUsage().heapUsed - heapBefore
    assert.equal(r.entries.length, 100_001)
    assert.ok(heapDelta < 64 * 1024 * 1024, `the reader retains ${(heapDelta / 1048576).toFixed(0)} MiB`)
    const { bytes } = await sha256(r.openEntry('Content/99999.txt'))
    assert.equal(bytes, 1)
    await r.close()
    console.log(
      `# 100,001 entries: refused in ${refuseMs.toFixed(0)} ms, opened in ${openMs.toFixed(0)} ms, reader retains ${(heapDelta / 1048576).toFixed(1)} MiB of heap`,
    )
  })
})

describe('zip: bombs', () => {
  const GIB2 = 2 * 1024 * 1024 * 1024
  let bomb: { compressed: Buffer; size: number; crc: number }
  before(() => {
    bomb = zeroBomb(GIB2)
  })

  it('refuses 2 GiB of deflated zeros over maxEntryBytes from its declared size, at open', async () => {
    const zip = rawZip([
      MANIFEST,
      { name: 'Content/zeros.bin', compressed: bomb.compressed, size: bomb.size, crc: bomb.crc },
    ])
    assert.ok(zip.length < 3_000_000, `the bomb is ${zip.length} bytes`)
    const err = await refused(zip, ContainerErrorCode.LIMIT_EXCEEDED, { maxEntryBytes: 1024 ** 3 })
    assert.equal(err.details?.limit, 'maxEntryBytes')
    assert.equal(err.details?.actual, GIB2)
  })

  it('stops a bomb that declares 1 MiB after 1 MiB, with bounded memory', async () => {
    const MIB = 1024 * 1024
    const zip = rawZip([
      MANIFEST,
      { name: 'Content/zeros.bin', compressed: bomb.compressed, size: MIB, localSize: MIB, crc: 0 },
    ])
    const r = await open(zip)
    const rss0 = process.memoryUsage().rss
    let seen = 0
    const err = await new Promise<unknown>((resolve) => {
      const s = r.openEntry('Content/zeros.bin')
      s.on('data', (c: Buffer) => (seen += c.length))
      s.on('error', resolve)
      s.on('end', () => resolve(undefined))
    })
    assert.ok(err instanceof AppError && err.code === ContainerErrorCode.CORRUPT_ENTRY, String(err))
    assert.equal(err.details?.reason, 'size-mismatch')
    assert.ok(seen <= MIB, `delivered ${seen} bytes`)
    assert.ok(process.memoryUsage().rss - rss0 < 100 * MIB)
    await r.close()
  })

  it('opens a package holding a nested zip bomb without expanding it', async () => {
    const inner = rawZip([{ name: 'zeros.bin', compressed: bomb.compressed, size: bomb.size, crc: bomb.crc }])
    const outer = rawZip([MANIFEST, { name: 'Content/bomb.zip', data: inner }])
    const r = await open(outer)
    const entry = r.findEntry('Content/bomb.zip')
    assert.equal(entry?.size, inner.length)
    const { bytes } = await sha256(r.openEntry('Content/bomb.zip'))
    assert.equal(bytes, inner.length)
    await r.close()
  })
})

describe('zip: reader behaviour', () => {
  it('finds entries by NFC-equal name, refuses unknown names and use after close', async () => {
    const r = await open(rawZip([MANIFEST, { name: 'Content/Cafe\u0301.txt', data: Buffer.from('nfd') }]))
    assert.equal(r.findEntry('Content/Caf\u00e9.txt')?.name, 'Content/Cafe\u0301.txt')
    assert.equal((await sha256(r.openEntry('Content/Caf\u00e9.txt'))).bytes, 3)
    assert.throws(
      () => r.openEntry('Content/none.txt'),
      (e: unknown) => e instanceof AppError && e.code === ContainerErrorCode.ENTRY_NOT_FOUND,
    )
    assert.throws(
      () => r.openEntry('Content'),
      (e: unknown) => e instanceof AppError && e.code === ContainerErrorCode.ENTRY_NOT_FOUND,
    )
    await r.close()
    await r.close()
    assert.throws(
      () => r.openEntry(r.manifestName),
      (e: unknown) => e instanceof AppError && e.code === ContainerErrorCode.CLOSED,
    )
    assert.deepEqual(await readdir(staging), [], 'a zip stages nothing')
  })

  it('reads zip64 records (yazl forceZip64Format)', async () => {
    const data = randomBytes(300_000)
    const r = await open(
      await yazlZip(
        [
          { name: 'manifest.xml', data: Buffer.from('<a/>') },
          { name: 'Content/a.bin', data },
        ],
        { zip64: true },
      ),
    )
    assert.equal((await sha256(r.openEntry('Content/a.bin'))).bytes, data.length)
    await r.close()
  })

  it('fails the streams still open when the reader is closed', async () => {
    const r = await open(rawZip([MANIFEST, { name: 'Content/a', data: randomBytes(5_000_000), method: 0 }]))
    const s = r.openEntry('Content/a')
    const done = sha256(s).then(
      () => 'ended',
      (e: unknown) => (e instanceof AppError ? e.code : String(e)),
    )
    await new Promise((resolve) => s.once('readable', resolve))
    await r.close()
    assert.equal(await done, ContainerErrorCode.CLOSED)
  })

  it('streams several entries at once and an entry twice', async () => {
    const a = randomBytes(3_000_000)
    const b = Buffer.alloc(2_000_000, 'b')
    const r = await open(
      rawZip([MANIFEST, { name: 'Content/a', data: a, method: 0 }, { name: 'Content/b', data: b }]),
    )
    const [x, y, z] = await Promise.all([
      sha256(r.openEntry('Content/a')),
      sha256(r.openEntry('Content/b')),
      sha256(r.openEntry('Content/a')),
    ])
    assert.equal(x.bytes, a.length)
    assert.equal(y.bytes, b.length)
    assert.equal(z.hash, x.hash)
    await r.close()
  })
})
