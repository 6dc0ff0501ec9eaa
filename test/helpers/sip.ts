import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import yazl from 'yazl'

/**
 * Builds SEDA 2.2 transfer packages for tests, valid against the official schema and the shipped
 * default referentials (agency AD99, ingest contract IC-DEFAUT, rules APP-COM-0001 and ACC-00003),
 * with hooks to make them hostile.
 */
export interface SipFile {
  readonly name: string
  readonly bytes: Buffer
  /** Declared digest, if it must differ from the real one. */
  readonly declaredSha512?: string
  readonly declaredAlgorithm?: string
  readonly declaredSize?: number
  readonly title?: string
}

export interface SipOptions {
  readonly files?: readonly SipFile[]
  readonly agency?: string
  readonly contract?: string | null
  /** Extra manifest text replacing the whole XML (after generation): hostile manifests. */
  readonly transformManifest?: (xml: string) => string
  /** Extra zip entries (name → bytes) not declared in the manifest. */
  readonly extraEntries?: Readonly<Record<string, Buffer>>
  readonly unitTitle?: string
  readonly startDate?: string
  readonly endDate?: string
  readonly rules?: string
  readonly physical?: { readonly id: string; readonly physicalId: string } | null
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export const PDF_BYTES = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
)

export function manifestXml(o: SipOptions = {}): string {
  const files = o.files ?? [
    { name: 'deliberation-2024-01.pdf', bytes: PDF_BYTES, title: 'Délibération du 12 janvier 2024' },
  ]
  const objects = files
    .map((f, i) => {
      const sha = f.declaredSha512 ?? createHash('sha512').update(f.bytes).digest('hex')
      return `<DataObjectGroup id="G${i}"><BinaryDataObject id="O${i}"><DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>Content/${esc(f.name)}</Uri><MessageDigest algorithm="${f.declaredAlgorithm ?? 'SHA-512'}">${sha}</MessageDigest><Size>${f.declaredSize ?? f.bytes.length}</Size><FileInfo><Filename>${esc(f.name)}</Filename></FileInfo></BinaryDataObject></DataObjectGroup>`
    })
    .join('')
  const physical = o.physical
    ? `<DataObjectGroup id="GP"><PhysicalDataObject id="${o.physical.id}"><DataObjectVersion>PhysicalMaster_1</DataObjectVersion><PhysicalId>${esc(o.physical.physicalId)}</PhysicalId><PhysicalDimensions><Width unit="centimetre">24</Width><Height unit="centimetre">32</Height></PhysicalDimensions></PhysicalDataObject></DataObjectGroup>`
    : ''
  const items = files
    .map(
      (f, i) =>
        `<ArchiveUnit id="U${i}"><Content><DescriptionLevel>Item</DescriptionLevel><Title>${esc(f.title ?? f.name)}</Title><StartDate>2024-01-12</StartDate></Content><DataObjectReference><DataObjectGroupReferenceId>G${i}</DataObjectGroupReferenceId></DataObjectReference></ArchiveUnit>`,
    )
    .join('')
  const physUnit = o.physical
    ? `<ArchiveUnit id="UP"><Content><DescriptionLevel>Item</DescriptionLevel><Title>Registre papier</Title></Content><DataObjectReference><DataObjectGroupReferenceId>GP</DataObjectGroupReferenceId></DataObjectReference></ArchiveUnit>`
    : ''
  const rules =
    o.rules ??
    '<AppraisalRule><Rule>APP-COM-0001</Rule><StartDate>2024-01-12</StartDate><FinalAction>Keep</FinalAction></AppraisalRule><AccessRule><Rule>ACC-00003</Rule><StartDate>2024-01-12</StartDate></AccessRule>'
  const contract = o.contract === undefined ? 'IC-DEFAUT' : o.contract
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.2" xmlns:xlink="http://www.w3.org/1999/xlink">
<Comment>Versement de test</Comment><Date>2024-02-01T10:00:00</Date><MessageIdentifier>TEST-${Date.now()}</MessageIdentifier>${contract ? `<ArchivalAgreement>${esc(contract)}</ArchivalAgreement>` : ''}
<CodeListVersions><ReplyCodeListVersion>ReplyCodeListVersion0</ReplyCodeListVersion><MessageDigestAlgorithmCodeListVersion>MessageDigestAlgorithmCodeListVersion0</MessageDigestAlgorithmCodeListVersion><MimeTypeCodeListVersion>MimeTypeCodeListVersion0</MimeTypeCodeListVersion><EncodingCodeListVersion>EncodingCodeListVersion0</EncodingCodeListVersion><FileFormatCodeListVersion>FileFormatCodeListVersion0</FileFormatCodeListVersion><CompressionAlgorithmCodeListVersion>CompressionAlgorithmCodeListVersion0</CompressionAlgorithmCodeListVersion><DataObjectVersionCodeListVersion>DataObjectVersionCodeListVersion0</DataObjectVersionCodeListVersion><StorageRuleCodeListVersion>StorageRuleCodeListVersion0</StorageRuleCodeListVersion><AppraisalRuleCodeListVersion>AppraisalRuleCodeListVersion0</AppraisalRuleCodeListVersion><AccessRuleCodeListVersion>AccessRuleCodeListVersion0</AccessRuleCodeListVersion><DisseminationRuleCodeListVersion>DisseminationRuleCodeListVersion0</DisseminationRuleCodeListVersion><ReuseRuleCodeListVersion>ReuseRuleCodeListVersion0</ReuseRuleCodeListVersion><ClassificationRuleCodeListVersion>ClassificationRuleCodeListVersion0</ClassificationRuleCodeListVersion><AuthorizationReasonCodeListVersion>AuthorizationReasonCodeListVersion0</AuthorizationReasonCodeListVersion><RelationshipCodeListVersion>RelationshipCodeListVersion0</RelationshipCodeListVersion></CodeListVersions>
<DataObjectPackage>${objects}${physical}
<DescriptiveMetadata><ArchiveUnit id="ROOT"><Management>${rules}</Management><Content><DescriptionLevel>File</DescriptionLevel><Title>${esc(o.unitTitle ?? 'Délibérations du conseil municipal 2024')}</Title><StartDate>${o.startDate ?? '2024-01-01'}</StartDate><EndDate>${o.endDate ?? '2024-12-31'}</EndDate></Content>${items}${physUnit}</ArchiveUnit></DescriptiveMetadata>
<ManagementMetadata><OriginatingAgencyIdentifier>${esc(o.agency ?? 'AD99')}</OriginatingAgencyIdentifier><SubmissionAgencyIdentifier>${esc(o.agency ?? 'AD99')}</SubmissionAgencyIdentifier></ManagementMetadata>
</DataObjectPackage>
<ArchivalAgency><Identifier>AD99</Identifier></ArchivalAgency><TransferringAgency><Identifier>${esc(o.agency ?? 'AD99')}</Identifier></TransferringAgency>
</ArchiveTransfer>
`
  return o.transformManifest ? o.transformManifest(xml) : xml
}

/** Writes a zip SIP to `path`. */
export async function writeSipZip(path: string, o: SipOptions = {}): Promise<string> {
  const zip = new yazl.ZipFile()
  zip.addBuffer(Buffer.from(manifestXml(o)), 'manifest.xml')
  for (const f of o.files ?? [{ name: 'deliberation-2024-01.pdf', bytes: PDF_BYTES }])
    zip.addBuffer(f.bytes, `Content/${f.name}`)
  for (const [name, bytes] of Object.entries(o.extraEntries ?? {})) zip.addBuffer(bytes, name)
  zip.end()
  const out = createWriteStream(path)
  zip.outputStream.pipe(out)
  await once(out, 'close')
  return path
}
