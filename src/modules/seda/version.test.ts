import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { SEDA_NAMESPACES, detectSedaVersion } from './index.js'

const root = (ns: string, name = 'ArchiveTransfer') =>
  Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<${name} xmlns="${ns}"><Date>2024-01-01T00:00:00</Date></${name}>`,
  )

describe('detectSedaVersion', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seda-version-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('the namespaces are the official XSDs targetNamespace', () => {
    assert.equal(SEDA_NAMESPACES['2.1'], 'fr:gouv:culture:archivesdefrance:seda:v2.1')
    assert.equal(SEDA_NAMESPACES['2.2'], 'fr:gouv:culture:archivesdefrance:seda:v2.2')
    assert.equal(SEDA_NAMESPACES['2.3'], 'fr:gouv:culture:archivesdefrance:seda:v2.3')
  })

  for (const v of ['2.1', '2.2', '2.3'] as const) {
    test(`SEDA ${v} is detected (from bytes and from a file)`, async () => {
      const bytes = root(SEDA_NAMESPACES[v])
      assert.deepEqual(await detectSedaVersion(bytes), {
        ok: true,
        version: v,
        namespace: SEDA_NAMESPACES[v],
        rootName: 'ArchiveTransfer',
      })
      const path = join(dir, `m${v}.xml`)
      writeFileSync(path, bytes)
      const r = await detectSedaVersion(path)
      assert.equal(r.ok && r.version, v)
    })
  }

  test('a prefixed root is fine', async () => {
    const r = await detectSedaVersion(Buffer.from(`<s:ArchiveTransfer xmlns:s="${SEDA_NAMESPACES['2.2']}"/>`))
    assert.equal(r.ok && r.version, '2.2')
  })

  for (const v of ['0.2', '1.0', '2.0'] as const) {
    test(`SEDA ${v} → UNSUPPORTED_SEDA_VERSION naming the version and namespace`, async () => {
      const r = await detectSedaVersion(root(SEDA_NAMESPACES[v]))
      assert.equal(r.ok, false)
      if (r.ok) return
      assert.equal(r.code, 'UNSUPPORTED_SEDA_VERSION')
      assert.equal(r.detail, 'CHECK_SEDA.UNSUPPORTED_SEDA_VERSION.KO')
      assert.equal(r.knownVersion, v)
      assert.equal(r.namespace, SEDA_NAMESPACES[v])
      assert.ok(r.message.includes(`SEDA ${v}`) && r.message.includes(SEDA_NAMESPACES[v]), r.message)
    })
  }

  test('an unknown namespace (v9.99, as in Vitam KO_SIP_INSUPPORTED_SEDA_VERSION) and no namespace', async () => {
    const r = await detectSedaVersion(root('fr:gouv:culture:archivesdefrance:seda:v9.99'))
    assert.equal(r.ok, false)
    if (!r.ok) {
      assert.equal(r.code, 'UNSUPPORTED_SEDA_VERSION')
      assert.equal(r.knownVersion, null)
      assert.match(r.message, /« fr:gouv:culture:archivesdefrance:seda:v9\.99 »/)
    }
    const none = await detectSedaVersion(Buffer.from('<ArchiveTransfer/>'))
    assert.equal(none.ok, false)
    if (!none.ok) assert.match(none.message, /n'a pas d'espace de noms/)
  })

  test('a wrong root in a supported namespace is refused for ingest, accepted when any root is allowed', async () => {
    const reply = root(SEDA_NAMESPACES['2.1'], 'ArchiveTransferReply')
    const r = await detectSedaVersion(reply)
    assert.equal(r.ok, false)
    if (!r.ok) {
      assert.equal(r.code, 'UNSUPPORTED_SEDA_VERSION')
      assert.equal(r.rootName, 'ArchiveTransferReply')
      assert.match(r.message, /ArchiveTransferReply/)
    }
    const any = await detectSedaVersion(reply, { expectedRoot: null })
    assert.equal(any.ok && any.rootName, 'ArchiveTransferReply')
  })

  test('a file that is not XML → NOT_XML (CHECK_SEDA.NOT_XML_FILE.KO)', async () => {
    const r = await detectSedaVersion(Buffer.from('%PDF-1.4\n1 0 obj\n'))
    assert.equal(r.ok, false)
    if (!r.ok) {
      assert.equal(r.code, 'NOT_XML')
      assert.equal(r.detail, 'CHECK_SEDA.NOT_XML_FILE.KO')
      assert.equal(r.issue?.code, 'XML_MALFORMED')
    }
  })

  test('detection reads only up to the root: a broken document body does not matter', async () => {
    const r = await detectSedaVersion(
      Buffer.from(`<ArchiveTransfer xmlns="${SEDA_NAMESPACES['2.3']}"><a></b>`),
    )
    assert.equal(r.ok && r.version, '2.3')
  })
})

describe('isManifestFileName (Vitam MANIFEST_FILE_NAME_REGEX, anchored)', () => {
  test('accepted and refused names', async () => {
    const { isManifestFileName } = await import('./index.js')
    for (const ok of [
      'manifest.xml',
      'toto_manifest.xml',
      '_manifest.xml',
      'SIP-2024-manifest.xml',
      `${'a'.repeat(56)}_manifest.xml`,
    ]) {
      assert.equal(isManifestFileName(ok), true, ok)
    }
    for (const ko of [
      '$_manifest.xml',
      'manifest.xml.bak',
      'content/manifest.xml',
      'seda.xml',
      'Manifest.xml',
      `${'a'.repeat(57)}_manifest.xml`,
      'totomanifest.xml',
    ]) {
      assert.equal(isManifestFileName(ko), false, ko)
    }
  })
})
