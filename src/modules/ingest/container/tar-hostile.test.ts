import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import zlib from 'node:zlib'
import { AppError } from '../../../platform/errors.js'
import { ContainerErrorCode, openPackage, type ContainerLimits, type PackageReader } from './index.js'
import { packTar, rawTar, sha256, type TarSpec } from './test-support.js'

const MANIFEST: TarSpec = { name: 'manifest.xml', data: Buffer.from('<ArchiveTransfer/>') }

let dir: string
let staging: string
let seq = 0

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'saeh-tar-hostile-'))
  staging = path.join(dir, 'staging')
  await mkdir(staging)
})
after(() => rm(dir, { recursive: true, force: true }))

const gz = (b: Buffer) => zlib.gzipSync(b, { level: 1 })

async function open(
  buf: Buffer,
  limits: Partial<ContainerLimits> = {},
  name = `p${++seq}.tar`,
): Promise<PackageReader> {
  const p = path.join(dir, name)
  await writeFile(p, buf)
  return openPackage(p, limits, { stagingDir: staging })
}

async function refused(buf: Buffer, code: string, limits: Partial<ContainerLimits> = {}): Promise<AppError> {
  const name = `sip-${++seq}.bin`
  const err = await open(buf, limits, name).then(
    async (r) => {
      await r.close()
      assert.fail(`expected ${code}, the package opened`)
    },
    (e: unknown) => e,
  )
  assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`)
  assert.equal(err.code, code, err.message)
  assert.ok(err.message.includes(`« ${name} »`), 'the message names the file')
  assert.deepEqual(await readdir(staging), [], 'nothing staged is left after an error')
  return err
}

/** Runs a case on the plain tar and on its gzip. */
function both(label: string, build: () => Buffer, check: (buf: Buffer) => Promise<void>): void {
  it(`${label} (tar)`, () => check(build()))
  it(`${label} (tar.gz)`, () => check(gz(build())))
}

describe('tar: entry types', () => {
  const types: [string, TarSpec, string][] = [
    ['a symlink (typeflag 2)', { name: 'Content/passwd', type: '2', linkname: '/etc/passwd' }, 'symlink'],
    ['a hard link (typeflag 1)', { name: 'Content/passwd', type: '1', linkname: 'manifest.xml' }, 'hardlink'],
    ['a character device (typeflag 3)', { name: 'Content/tty', type: '3' }, 'device'],
    ['a block device (typeflag 4)', { name: 'Content/sda', type: '4' }, 'device'],
    ['a FIFO (typeflag 6)', { name: 'Content/fifo', type: '6' }, 'fifo'],
    ['a GNU sparse file (typeflag S)', { name: 'Content/sparse', type: 'S' }, 'unknown-type'],
    [
      'a pax sparse file',
      { name: 'Content/sparse', pax: { 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0' } },
      'sparse',
    ],
  ]
  for (const [label, spec, rule] of types) {
    both(
      `refuses ${label}`,
      () => rawTar([MANIFEST, spec]),
      async (buf) => {
        const err = await refused(buf, ContainerErrorCode.UNSAFE_ENTRY)
        assert.equal(err.details?.rule, rule)
        assert.equal(err.details?.entry, spec.name)
      },
    )
  }
})

describe('tar: names', () => {
  const names: [string, string, string][] = [
    ['a ../ segment', '../../evil.txt', 'dot-segment'],
    ['an absolute path', '/etc/cron.d/evil', 'absolute'],
    ['a backslash', 'Content\\evil.txt', 'backslash'],
    ['a control character', 'Content/a\u0007.txt', 'control-character'],
  ]
  for (const [label, name, rule] of names) {
    both(
      `refuses ${label}`,
      () => rawTar([MANIFEST, { name, data: Buffer.from('x') }]),
      async (buf) => {
        const err = await refused(buf, ContainerErrorCode.UNSAFE_ENTRY)
        assert.equal(err.details?.rule, rule)
      },
    )
  }

  both(
    'refuses a pax path escaping the root',
    () =>
      rawTar([
        MANIFEST,
        { name: 'Content/ok.txt', pax: { path: '../../../etc/passwd' }, data: Buffer.from('x') },
      ]),
    async (buf) => {
      const err = await refused(buf, ContainerErrorCode.UNSAFE_ENTRY)
      assert.equal(err.details?.entry, '../../../etc/passwd')
    },
  )

  both(
    'refuses names that are not UTF-8',
    () =>
      rawTar([
        MANIFEST,
        { name: '', rawName: Buffer.from([0x43, 0x2f, 0xe9, 0x2e, 0x74]), data: Buffer.from('x') },
      ]),
    async (buf) => {
      const err = await refused(buf, ContainerErrorCode.UNSAFE_ENTRY)
      assert.equal(err.details?.rule, 'invalid-utf8')
    },
  )

  both(
    'refuses duplicates (case, NFC/NFD, file and directory)',
    () => rawTar([MANIFEST, { name: 'Content/Caf\u00e9.txt' }, { name: 'content/CAFE\u0301.TXT' }]),
    async (buf) => {
      const err = await refused(buf, ContainerErrorCode.DUPLICATE_ENTRY)
      assert.equal(err.details?.conflictsWith, 'Content/Caf\u00e9.txt')
    },
  )

  both(
    'refuses the same file twice (an appended tar)',
    () =>
      rawTar([
        MANIFEST,
        { name: 'Content/a.txt', data: Buffer.from('v1') },
        { name: 'Content/a.txt', data: Buffer.from('v2') },
      ]),
    async (buf) => {
      await refused(buf, ContainerErrorCode.DUPLICATE_ENTRY)
    },
  )

  both(
    'accepts ./-prefixed names (tar -C dir .) and lists them without the prefix',
    () =>
      rawTar([
        { name: './', type: '5' },
        { name: './manifest.xml', data: Buffer.from('<a/>') },
        { name: './Content/', type: '5' },
        { name: './Content/a.txt', data: Buffer.from('a') },
      ]),
    async (buf) => {
      const r = await open(buf)
      assert.deepEqual(
        r.entries.map((e) => [e.name, e.isDirectory]),
        [
          ['manifest.xml', false],
          ['Content', true],
          ['Content/a.txt', false],
        ],
      )
      assert.equal(r.manifestName, 'manifest.xml')
      await r.close()
    },
  )
})

describe('tar: structure', () => {
  const content = randomBytes(200_000)
  const tar = () => rawTar([MANIFEST, { name: 'Content/a.bin', data: content }])

  it('refuses a tar truncated inside an entry', async () => {
    await refused(tar().subarray(0, 100_000), ContainerErrorCode.UNREADABLE)
  })

  it('refuses a tar truncated at an entry boundary (no end-of-archive blocks)', async () => {
    const t = tar()
    const err = await refused(t.subarray(0, t.length - 1024), ContainerErrorCode.UNREADABLE)
    assert.match(err.message, /fin d'archive/)
  })

  it('refuses a truncated tar.gz', async () => {
    const g = gz(tar())
    const err = await refused(g.subarray(0, g.length - 100), ContainerErrorCode.UNREADABLE)
    assert.match(err.message, /gzip/)
  })

  it('refuses a corrupt tar header (checksum)', async () => {
    const t = tar()
    t.writeUInt8((t[1024 + 10] ?? 0) ^ 0xff, 1024 + 10) // inside the second header's name
    await refused(t, ContainerErrorCode.UNREADABLE)
  })

  it('refuses a gzip that does not hold a tar', async () => {
    await refused(gz(randomBytes(10_000)), ContainerErrorCode.UNSUPPORTED_FORMAT)
  })

  it('refuses a gzip of gigabytes of zeros after the archive (bounded by the tar overhead limit)', async () => {
    const zeros = Buffer.alloc(64 * 1024 * 1024)
    const bomb = Buffer.concat([gz(tar()), gz(zeros)]) // a two-member gzip: the tar, then 64 MiB of zeros
    const err = await refused(bomb, ContainerErrorCode.LIMIT_EXCEEDED)
    assert.equal(err.details?.limit, 'maxTarOverheadBytes')
  })

  it('refuses an empty tar, no manifest, two manifests', async () => {
    await refused(rawTar([]), ContainerErrorCode.EMPTY)
    await refused(rawTar([{ name: 'Content/a.txt', data: Buffer.from('x') }]), ContainerErrorCode.NO_MANIFEST)
    await refused(
      rawTar([MANIFEST, { name: 'a-manifest.xml', data: Buffer.from('x') }]),
      ContainerErrorCode.MANY_MANIFESTS,
    )
  })
})

describe('tar: limits', () => {
  both(
    'refuses an entry over maxEntryBytes before reading it',
    () => rawTar([MANIFEST, { name: 'Content/a.bin', data: Buffer.alloc(10_000) }]),
    async (buf) => {
      const err = await refused(buf, ContainerErrorCode.LIMIT_EXCEEDED, { maxEntryBytes: 4096 })
      assert.deepEqual(
        [err.details?.limit, err.details?.entry, err.details?.actual],
        ['maxEntryBytes', 'Content/a.bin', 10_000],
      )
    },
  )

  both(
    'refuses a manifest over maxManifestBytes',
    () => rawTar([{ name: 'manifest.xml', data: Buffer.alloc(10_000, 'x') }]),
    async (buf) => {
      const err = await refused(buf, ContainerErrorCode.LIMIT_EXCEEDED, { maxManifestBytes: 4096 })
      assert.equal(err.details?.limit, 'maxManifestBytes')
    },
  )

  it('refuses 100,000 tiny entries over maxEntries, for tar and tar.gz', async () => {
    const specs: TarSpec[] = [MANIFEST]
    const one = Buffer.from('x')
    for (let i = 0; i < 100_000; i++) specs.push({ name: `Content/${i}.txt`, data: one })
    const t = rawTar(specs)
    for (const buf of [t, gz(t)]) {
      const t0 = performance.now()
      const err = await refused(buf, ContainerErrorCode.LIMIT_EXCEEDED, { maxEntries: 50_000 })
      assert.deepEqual([err.details?.limit, err.details?.actual], ['maxEntries', 50_001])
      console.log(
        `# ${buf === t ? 'tar' : 'tar.gz'} with 100,001 entries refused at 50,001 in ${(performance.now() - t0).toFixed(0)} ms`,
      )
    }
    const t0 = performance.now()
    const r = await open(t)
    assert.equal(r.entries.length, 100_001)
    assert.equal((await sha256(r.openEntry('Content/77777.txt'))).bytes, 1)
    await r.close()
    console.log(`# tar with 100,001 entries opened in ${(performance.now() - t0).toFixed(0)} ms`)
  })

  it('refuses to stage a tar.gz larger than the free space of the staging file system', async () => {
    const buf = gz(rawTar([MANIFEST, { name: 'Content/a.bin', data: Buffer.alloc(100_000) }]))
    const err = await refused(buf, ContainerErrorCode.LIMIT_EXCEEDED, {
      stagingReserveBytes: Number.MAX_SAFE_INTEGER,
    })
    assert.equal(err.details?.limit, 'stagingFreeBytes')
    assert.equal(err.kind, 'unavailable')
  })
})

describe('tar: staging', () => {
  it('reads a plain tar in place, stages a tar.gz once and removes it on close', async () => {
    const a = randomBytes(1_500_000)
    const entries = [
      { name: 'manifest.xml', data: Buffer.from('<ArchiveTransfer/>') },
      { name: 'Content', directory: true },
      { name: 'Content/a.bin', data: a },
      { name: 'Content/b.txt', data: Buffer.from('b') },
    ]
    const plain = await open(await packTar(entries, false))
    assert.equal(plain.kind, 'tar')
    assert.deepEqual(await readdir(staging), [])
    const zipped = await open(await packTar(entries, true))
    assert.equal(zipped.kind, 'tar.gz')
    const staged = await readdir(staging)
    assert.equal(staged.length, 1)
    assert.deepEqual(await readdir(path.join(staging, staged[0] as string)), ['package.tar'])
    for (const r of [plain, zipped]) {
      assert.deepEqual(
        r.entries.map((e) => [e.name, e.size, e.isDirectory, e.sizeSource]),
        [
          ['manifest.xml', 18, false, 'measured'],
          ['Content', 0, true, 'measured'],
          ['Content/a.bin', a.length, false, 'measured'],
          ['Content/b.txt', 1, false, 'measured'],
        ],
      )
      const got = await sha256(r.openEntry('Content/a.bin'))
      assert.equal(got.bytes, a.length)
      assert.equal(got.hash, (await import('node:crypto')).createHash('sha256').update(a).digest('hex'))
      await r.close()
    }
    assert.deepEqual(await readdir(staging), [])
  })
})
