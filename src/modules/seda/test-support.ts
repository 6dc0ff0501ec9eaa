/**
 * Test and bench helpers for the SEDA module: corpus location (SAEH_CORPUS), manifest extraction
 * from the corpus SIPs (`unzip -p` / `tar -xzOf`), and a generator of valid synthetic manifests.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isManifestFileName } from './manifest-name.js'
import type { SedaVersion } from './seda.types.js'

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** The Vitam corpus folder, or a reason why it is not there. */
export function vitamCorpus(): { dir: string } | { skip: string } {
  const base = process.env.SAEH_CORPUS
    ? resolve(projectRoot, process.env.SAEH_CORPUS)
    : resolve(projectRoot, '..', 'shared', 'corpus')
  const dir = join(base, 'vitam')
  if (!existsSync(join(dir, 'index.json'))) {
    return { skip: `corpus SEDA absent (${dir}/index.json introuvable ; définir SAEH_CORPUS)` }
  }
  return { dir }
}

export interface CorpusEntry {
  file: string
  expected: string | null
  meta: string | null
  note: string
}

export function corpusIndex(dir: string): CorpusEntry[] {
  return JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as CorpusEntry[]
}

/** Names of the entries of a zip or tar(.gz) archive. */
export function archiveEntries(path: string): string[] {
  const out = path.endsWith('.zip')
    ? execFileSync('unzip', ['-Z1', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    : execFileSync('tar', ['-tzf', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  return out.split('\n').filter(Boolean)
}

/** The manifest of a SIP (first root entry matching the manifest name rule), or null. */
export function extractManifest(path: string): { name: string; bytes: Buffer } | null {
  let entries: string[]
  try {
    entries = archiveEntries(path)
  } catch {
    return null
  }
  const name = entries.find((e) => !e.includes('/') && isManifestFileName(e))
  if (!name) return null
  const bytes = path.endsWith('.zip')
    ? execFileSync('unzip', ['-p', path, name], { maxBuffer: 512 * 1024 * 1024 })
    : execFileSync('tar', ['-xzOf', path, name], { maxBuffer: 512 * 1024 * 1024 })
  return { name, bytes }
}

/** AU/BDO/PDO counts the corpus index states (`meta`), when it states them. */
export function indexCounts(meta: string | null): { au: number; bdo: number; pdo: number } | null {
  const m = /AU=(\d+) BDO=(\d+) PDO=(\d+)/.exec(meta ?? '')
  return m ? { au: Number(m[1]), bdo: Number(m[2]), pdo: Number(m[3]) } : null
}

// ---------------------------------------------------------------------------------------------
// Synthetic manifests
// ---------------------------------------------------------------------------------------------

export interface GenerateOptions {
  version: SedaVersion
  /** Approximate size to reach, in bytes. */
  targetBytes: number
  /** Adds free extension metadata in each unit's Content (as Vitam accepts). */
  extensions?: boolean
}

export interface Generated {
  bytes: number
  units: number
  objects: number
}

const LOREM =
  "Délibérations du conseil municipal relatives au budget primitif, aux subventions versées aux associations et à l'entretien de la voirie communale"

/** Writes a valid ArchiveTransfer of about `targetBytes` (one group + one object + one unit per item). */
export async function generateManifest(path: string, options: GenerateOptions): Promise<Generated> {
  const ns = `fr:gouv:culture:archivesdefrance:seda:v${options.version}`
  const out = createWriteStream(path)
  let bytes = 0
  const write = async (s: string): Promise<void> => {
    bytes += Buffer.byteLength(s)
    if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()))
  }
  const head = `<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="${ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Comment>Versement synthétique de test</Comment>
  <Date>2024-03-01T10:15:00+01:00</Date>
  <MessageIdentifier>SAEH-GEN-${options.version}-${options.targetBytes}</MessageIdentifier>
  <ArchivalAgreement>IC-000001</ArchivalAgreement>
  <CodeListVersions>
    <ReplyCodeListVersion>ReplyCodeListVersion0</ReplyCodeListVersion>
    <MessageDigestAlgorithmCodeListVersion>MessageDigestAlgorithmCodeListVersion0</MessageDigestAlgorithmCodeListVersion>
  </CodeListVersions>
  <DataObjectPackage>
`
  const tail1 = `    <ManagementMetadata>
      <AcquisitionInformation>Versement</AcquisitionInformation>
      <LegalStatus>Public Archive</LegalStatus>
      <OriginatingAgencyIdentifier>FRAN_NP_000001</OriginatingAgencyIdentifier>
      <SubmissionAgencyIdentifier>FRAN_NP_000001</SubmissionAgencyIdentifier>
      <AppraisalRule><Rule>APP-00001</Rule><StartDate>2020-01-01</StartDate><FinalAction>Keep</FinalAction></AppraisalRule>
    </ManagementMetadata>
  </DataObjectPackage>
  <ArchivalAgency><Identifier>AD99</Identifier></ArchivalAgency>
  <TransferringAgency><Identifier>FRAN_NP_000001</Identifier></TransferringAgency>
</ArchiveTransfer>
`
  await write(head)
  // Each item is ~1.2 KiB: groups first, then units, as SEDA orders them. Two passes over i.
  const perItem = 1250
  const items = Math.max(1, Math.floor((options.targetBytes - head.length - tail1.length) / perItem))
  for (let i = 1; i <= items; i++) {
    const digest = createHash('sha512').update(`objet-${i}`).digest('hex')
    await write(`    <DataObjectGroup id="GOT${i}">
      <BinaryDataObject id="BDO${i}">
        <DataObjectVersion>BinaryMaster_1</DataObjectVersion>
        <Uri>content/doc-${i}.pdf</Uri>
        <MessageDigest algorithm="SHA-512">${digest}</MessageDigest>
        <Size>${1000 + i}</Size>
        <FormatIdentification><MimeType>application/pdf</MimeType><FormatId>fmt/354</FormatId></FormatIdentification>
        <FileInfo><Filename>Délibération ${i}.pdf</Filename><LastModified>2023-02-15T09:00:00</LastModified></FileInfo>
      </BinaryDataObject>
    </DataObjectGroup>
`)
  }
  await write(
    '    <DescriptiveMetadata>\n      <ArchiveUnit id="AU0">\n        <Content><DescriptionLevel>Series</DescriptionLevel><Title>Série synthétique</Title></Content>\n',
  )
  for (let i = 1; i <= items; i++) {
    const ext = options.extensions
      ? `\n          <MonChampLibre>Valeur libre ${i}</MonChampLibre><Dossier><Cote>3E ${i}</Cote></Dossier>`
      : ''
    await write(`      <ArchiveUnit id="AU${i}">
        <Management><AccessRule><Rule>ACC-00001</Rule><StartDate>2023-12-31</StartDate></AccessRule></Management>
        <Content>
          <DescriptionLevel>Item</DescriptionLevel>
          <Title xml:lang="fr">Délibération n° ${i}</Title>
          <Description>${LOREM} (${i}).</Description>
          <StartDate>2023-01-12</StartDate><EndDate>2023-12-14</EndDate>${ext}
        </Content>
        <DataObjectReference><DataObjectGroupReferenceId>GOT${i}</DataObjectGroupReferenceId></DataObjectReference>
      </ArchiveUnit>
`)
  }
  await write('      </ArchiveUnit>\n    </DescriptiveMetadata>\n')
  await write(tail1)
  await new Promise<void>((r, j) => {
    out.once('error', j)
    out.end(() => r())
  })
  return { bytes, units: items + 1, objects: items }
}
