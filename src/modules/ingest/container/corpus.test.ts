import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { buffer as streamToBuffer } from 'node:stream/consumers'
import { after, before, describe, it } from 'node:test'
import { AppError } from '../../../platform/errors.js'
import { ContainerErrorCode, openPackage, type PackageReader } from './index.js'
import { corpusDir, packTar, sha256, type PackEntry } from './test-support.js'

const corpus = corpusDir()
const vitam = path.join(corpus.dir, 'vitam')

let dir: string
let staging: string

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'saeh-container-corpus-'))
  staging = path.join(dir, 'staging')
  await mkdir(staging)
})
after(() => rm(dir, { recursive: true, force: true }))

async function readAll(
  r: PackageReader,
): Promise<Map<string, { size: number; isDirectory: boolean; hash?: string }>> {
  const out = new Map<string, { size: number; isDirectory: boolean; hash?: string }>()
  for (const e of r.entries) {
    if (e.isDirectory) {
      out.set(e.name, { size: 0, isDirectory: true })
      continue
    }
    const { hash, bytes } = await sha256(r.openEntry(e.name))
    assert.equal(bytes, e.size, `${e.name}: streamed ${bytes} bytes, listed ${e.size}`)
    out.set(e.name, { size: e.size, isDirectory: false, hash })
  }
  return out
}

if (corpus.skip) it('Vitam corpus', { skip: corpus.skip }, () => undefined)
else
  describe('Vitam corpus', () => {
    it('opens every sip-ok package and streams every entry at its listed size', async () => {
      const files = (await readdir(path.join(vitam, 'sip-ok')))
        .filter((f) => /\.(zip|tar\.gz|tar)$/.test(f))
        .sort()
      assert.ok(files.length >= 70)
      for (const f of files) {
        const r = await openPackage(path.join(vitam, 'sip-ok', f), undefined, { stagingDir: staging })
        await readAll(r)
        if (f === 'toto_manifest.xml_OK.zip') assert.equal(r.manifestName, 'toto_manifest.xml')
        if (f === 'underscore_manifest.xml_OK.zip') assert.equal(r.manifestName, '_manifest.xml')
        if (f.endsWith('.tar.gz')) assert.equal(r.kind, 'tar.gz')
        await r.close()
      }
      assert.deepEqual(await readdir(staging), [])
    })

    it('refuses the sip-ko packages whose fault is the container, and opens the others', async () => {
      const expected: Record<string, [string, string?]> = {
        'KO_BORD_absent.zip': [ContainerErrorCode.NO_MANIFEST],
        'KO_manifest_name_with_dollar.zip': [ContainerErrorCode.NO_MANIFEST],
        'SIP_KO_BackSlashInFileName.zip': [ContainerErrorCode.UNSAFE_ENTRY, 'backslash'],
        'SIP_KO_PathTraversalInFileName.zip': [ContainerErrorCode.UNSAFE_ENTRY, 'dot-segment'],
        'vitamui_zip-slip.zip': [ContainerErrorCode.UNSAFE_ENTRY, 'dot-segment'],
        'empty_zip.zip': [ContainerErrorCode.EMPTY],
      }
      for (const f of (await readdir(path.join(vitam, 'sip-ko'))).sort()) {
        const outcome = await openPackage(path.join(vitam, 'sip-ko', f), undefined, {
          stagingDir: staging,
        }).then(
          async (r) => {
            await readAll(r)
            await r.close()
            return undefined
          },
          (e: unknown) => e,
        )
        const want = expected[f]
        if (want === undefined) {
          // KO later in the ingest (SEDA, digests, rules…), not at the container. Two of them are KO in
          // Vitam for name reasons we deliberately do not copy: SIP_KO_PlusSignInFileName.zip ('+' is
          // outside Vitam's ASCII file-name whitelist) and KO_manifest_name_too_long.zip (its 57-character
          // prefix does match Vitam's own regex; no Vitam test asserts this file).
          assert.equal(outcome, undefined, `${f}: ${String(outcome)}`)
          continue
        }
        assert.ok(outcome instanceof AppError, `${f} should be refused`)
        assert.equal(outcome.code, want[0], `${f}: ${outcome.message}`)
        if (want[1] !== undefined) assert.equal(outcome.details?.rule, want[1], f)
        assert.ok(outcome.message.includes(`« ${f} »`))
      }
    })

    for (const name of ['OK_SIP_2_GO.zip', 'SIP-1000-102400.zip']) {
      it(`reads ${name} identically as zip, tar and tar.gz`, async () => {
        const folder = name.startsWith('SIP-1000') ? 'sip-perf' : 'sip-ok'
        const zip = await openPackage(path.join(vitam, folder, name), undefined, { stagingDir: staging })
        const fromZip = await readAll(zip)
        const entries: PackEntry[] = []
        for (const e of zip.entries) {
          entries.push(
            e.isDirectory
              ? { name: e.name, directory: true }
              : { name: e.name, data: await streamToBuffer(zip.openEntry(e.name)) },
          )
        }
        for (const gzip of [false, true]) {
          const p = path.join(dir, `${name}.${gzip ? 'tar.gz' : 'tar'}`)
          await writeFile(p, await packTar(entries, gzip))
          const t = await openPackage(p, undefined, { stagingDir: staging })
          assert.equal(t.kind, gzip ? 'tar.gz' : 'tar')
          assert.equal(t.manifestName, zip.manifestName)
          assert.deepEqual(
            t.entries.map((e) => [e.name, e.size, e.isDirectory]),
            zip.entries.map((e) => [e.name, e.size, e.isDirectory]),
          )
          assert.deepEqual(await readAll(t), fromZip)
          await t.close()
        }
        await zip.close()
        assert.deepEqual(await readdir(staging), [])
      })
    }
  })
