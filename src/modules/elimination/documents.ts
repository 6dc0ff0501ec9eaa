import PDFDocument from 'pdfkit'

/** What the bordereau and the certificate say of one unit. */
export interface DocUnit {
  readonly unitId: string
  readonly sedaId: string | null
  readonly title: string
  readonly startDate: string | null
  readonly endDate: string | null
  readonly appraisalEndDate: string | null
  readonly ruleIds: readonly string[]
  readonly objects: number
  readonly bytes: number
}

export interface DocRequest {
  readonly id: string
  readonly tenant: { readonly id: string; readonly name: string }
  readonly controlAuthority: { readonly id: string; readonly name: string }
  readonly createdAt: string
  readonly createdBy: string
  readonly observations: string | null
  readonly units: readonly DocUnit[]
  readonly startDate: string | null
  readonly endDate: string | null
}

/** A box destroyed with the units it held (physical archives). */
export interface DestroyedBoxDoc {
  readonly boxId: string
  readonly barcode: string
  readonly cote: string | null
  readonly title: string | null
  readonly linearMetres: number
  readonly lastPlace: string | null
}

export interface DocVisa {
  readonly id: string
  readonly by: string
  readonly at: string
  readonly comment: string
}

const SEDA_NS = 'fr:gouv:culture:archivesdefrance:seda:v2.2'

// XML 1.0 forbids most control characters even escaped: they are replaced.
const clean = (s: string): string =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
export const xmlEsc = (s: string): string =>
  clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function org(tag: string, id: string, indent: string): string {
  return `${indent}<${tag}>\n${indent}  <Identifier>${xmlEsc(id)}</Identifier>\n${indent}</${tag}>`
}

/** SEDA 2.2 `AuthorizationControlAuthorityRequest`: the bordereau d'élimination sent for visa. */
export function authorizationRequestXml(r: DocRequest, messageId: string, date: string): string {
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<AuthorizationControlAuthorityRequest xmlns="${SEDA_NS}">`,
  ]
  out.push(`  <Comment>Demande d'autorisation d'élimination ${xmlEsc(r.id)}</Comment>`)
  out.push(`  <Date>${date}</Date>`)
  out.push(`  <MessageIdentifier>${xmlEsc(messageId)}</MessageIdentifier>`)
  out.push('  <CodeListVersions>')
  out.push('    <AuthorizationReasonCodeListVersion>SAEH-ELIMINATION-1</AuthorizationReasonCodeListVersion>')
  out.push('  </CodeListVersions>')
  out.push('  <AuthorizationRequestContent>')
  out.push('    <AuthorizationReason>Elimination</AuthorizationReason>')
  if (r.observations) out.push(`    <Comment>${xmlEsc(r.observations)}</Comment>`)
  out.push(`    <RequestDate>${date.slice(0, 10)}</RequestDate>`)
  for (const u of r.units) out.push(`    <UnitIdentifier>${xmlEsc(u.unitId)}</UnitIdentifier>`)
  out.push(org('Requester', r.tenant.id, '    '))
  out.push('  </AuthorizationRequestContent>')
  out.push(org('ArchivalAgency', r.tenant.id, '  '))
  out.push(org('ControlAuthority', r.controlAuthority.id, '  '))
  out.push('</AuthorizationControlAuthorityRequest>')
  return out.join('\n') + '\n'
}

/** SEDA 2.2 `ArchiveDestructionNotification`, citing the visa as the authorization reply. */
export function destructionNotificationXml(
  r: DocRequest,
  visa: DocVisa,
  destroyed: readonly string[],
  messageId: string,
  date: string,
  originatingAgency: string,
): string {
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<ArchiveDestructionNotification xmlns="${SEDA_NS}">`,
  ]
  out.push(
    `  <Comment>Élimination ${xmlEsc(r.id)} visée par ${xmlEsc(visa.by)} le ${xmlEsc(visa.at)}</Comment>`,
  )
  out.push(`  <Date>${date}</Date>`)
  out.push(`  <MessageIdentifier>${xmlEsc(messageId)}</MessageIdentifier>`)
  out.push('  <CodeListVersions/>')
  out.push(`  <AuthorizationRequestReplyIdentifier>${xmlEsc(visa.id)}</AuthorizationRequestReplyIdentifier>`)
  for (const u of destroyed) out.push(`  <UnitIdentifier>${xmlEsc(u)}</UnitIdentifier>`)
  out.push(org('ArchivalAgency', r.tenant.id, '  '))
  out.push(org('OriginatingAgency', originatingAgency, '  '))
  out.push('</ArchiveDestructionNotification>')
  return out.join('\n') + '\n'
}

function render(build: (doc: PDFKit.PDFDocument) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: 'SAEH', Producer: 'SAEH' } })
    const parts: Buffer[] = []
    doc.on('data', (b: Buffer) => parts.push(b))
    doc.on('end', () => resolve(Buffer.concat(parts)))
    doc.on('error', reject)
    try {
      build(doc)
      doc.end()
    } catch (e) {
      reject(e)
    }
  })
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} o`
  const units = ['Kio', 'Mio', 'Gio', 'Tio']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(1)} ${units[i]}`
}

// Standard PDF fonts are WinAnsi: characters outside it would print as garbage, so they are replaced.
const pdfText = (s: string): string =>
  // eslint-disable-next-line no-control-regex
  clean(s).replace(/[^\u0009\u000a\u000d\u0020-\u00ff\u2019\u20ac]/g, '?')

function unitsTable(doc: PDFKit.PDFDocument, units: readonly DocUnit[]): void {
  doc.fontSize(9)
  for (const u of units) {
    doc
      .font('Helvetica-Bold')
      .text(pdfText(u.title), { continued: false })
      .font('Helvetica')
      .text(
        pdfText(
          `  id ${u.unitId}${u.sedaId ? ` (${u.sedaId})` : ''} · dates ${u.startDate ?? '?'} – ${u.endDate ?? '?'}` +
            ` · DUA échue le ${u.appraisalEndDate ?? '?'} (${u.ruleIds.join(', ') || '—'})` +
            ` · ${u.objects} objet(s), ${formatBytes(u.bytes)}`,
        ),
      )
      .moveDown(0.3)
  }
}

function totals(units: readonly DocUnit[]): { objects: number; bytes: number } {
  return units.reduce((a, u) => ({ objects: a.objects + u.objects, bytes: a.bytes + u.bytes }), {
    objects: 0,
    bytes: 0,
  })
}

/** The bordereau d'élimination (R212-14): intitulé, dates extrêmes, volume, observations, signatures. */
export function bordereauPdf(r: DocRequest): Promise<Buffer> {
  const t = totals(r.units)
  return render((doc) => {
    doc
      .font('Helvetica-Bold')
      .fontSize(16)
      .text("Bordereau d'élimination d'archives publiques", { align: 'center' })
    doc.moveDown(0.5).font('Helvetica').fontSize(10)
    doc.text(pdfText(`Service d'archives : ${r.tenant.name} (${r.tenant.id})`))
    doc.text(pdfText(`Autorité de contrôle : ${r.controlAuthority.name} (${r.controlAuthority.id})`))
    doc.text(pdfText(`Demande n° ${r.id}, établie le ${r.createdAt.slice(0, 10)} par ${r.createdBy}`))
    doc.text('Fondement : Code du patrimoine, art. L212-2, R212-14 (visa de la personne chargée du contrôle)')
    doc.moveDown(0.5)
    doc.font('Helvetica-Bold').text('Volume').font('Helvetica')
    doc.text(
      `${r.units.length} unité(s) d'archives, ${t.objects} objet(s), ${formatBytes(t.bytes)} (${t.bytes} octets)`,
    )
    doc.text(`Dates extrêmes : ${r.startDate ?? 'non renseignée'} – ${r.endDate ?? 'non renseignée'}`)
    doc.moveDown(0.5)
    doc.font('Helvetica-Bold').text('Observations').font('Helvetica')
    doc.text(pdfText(r.observations ?? '—'))
    doc.moveDown(0.5)
    doc.font('Helvetica-Bold').fontSize(10).text('Intitulés')
    unitsTable(doc, r.units)
    doc.moveDown(1).fontSize(10)
    doc.font('Helvetica-Bold').text('Signatures').font('Helvetica')
    doc.text("Le responsable du service d'archives : ____________________   date : __________")
    doc.moveDown(0.5)
    doc.text("Visa de l'autorité de contrôle (R212-14) : ____________________   date : __________")
  })
}

export interface CertificateData {
  readonly request: DocRequest
  readonly visa: DocVisa
  readonly operationId: string
  readonly executedAt: string
  readonly executedBy: string
  readonly destroyed: readonly (DocUnit & {
    objectList: readonly { id: string; sha512: string | null; size: number | null }[]
  })[]
  readonly notDestroyed: readonly { unitId: string; title: string; reason: string }[]
  /** Boxes emptied by the destruction, which left the shelves. */
  readonly boxes?: readonly DestroyedBoxDoc[]
}

const linearMetres = (boxes: readonly DestroyedBoxDoc[]): number =>
  Math.round(boxes.reduce((n, b) => n + b.linearMetres * 1000, 0)) / 1000

/** The machine-readable destruction certificate. */
export function certificateJson(d: CertificateData): Record<string, unknown> {
  const t = totals(d.destroyed)
  return {
    type: 'SAEH_DESTRUCTION_CERTIFICATE',
    version: 1,
    requestId: d.request.id,
    tenant: d.request.tenant,
    controlAuthority: d.request.controlAuthority,
    legalBasis: [
      'Code du patrimoine, art. L212-2',
      'Code du patrimoine, art. R212-14',
      'Code du patrimoine, art. R212-51',
    ],
    visa: d.visa,
    operationId: d.operationId,
    executedAt: d.executedAt,
    executedBy: d.executedBy,
    totals: { units: d.destroyed.length, objects: t.objects, bytes: t.bytes },
    units: d.destroyed.map((u) => ({
      unitId: u.unitId,
      sedaId: u.sedaId,
      title: u.title,
      startDate: u.startDate,
      endDate: u.endDate,
      appraisalEndDate: u.appraisalEndDate,
      appraisalRules: u.ruleIds,
      objects: u.objectList,
      bytes: u.bytes,
    })),
    notDestroyed: d.notDestroyed,
    ...(d.boxes && d.boxes.length > 0
      ? {
          physical: {
            boxes: d.boxes.map((b) => ({
              barcode: b.barcode,
              cote: b.cote,
              title: b.title,
              linearMetres: b.linearMetres,
              lastPlace: b.lastPlace,
            })),
            linearMetres: linearMetres(d.boxes),
          },
        }
      : {}),
  }
}

export function certificatePdf(d: CertificateData): Promise<Buffer> {
  const t = totals(d.destroyed)
  const r = d.request
  return render((doc) => {
    doc
      .font('Helvetica-Bold')
      .fontSize(16)
      .text("Certificat de destruction d'archives publiques", { align: 'center' })
    doc.moveDown(0.5).font('Helvetica').fontSize(10)
    doc.text(pdfText(`Service d'archives : ${r.tenant.name} (${r.tenant.id})`))
    doc.text(pdfText(`Demande d'élimination n° ${r.id}`))
    doc.text(
      pdfText(
        `Visa n° ${d.visa.id} de l'autorité de contrôle ${r.controlAuthority.name} (${r.controlAuthority.id}), ` +
          `donné par ${d.visa.by} le ${d.visa.at} : « ${d.visa.comment} »`,
      ),
    )
    doc.text(
      pdfText(`Destruction exécutée le ${d.executedAt} par ${d.executedBy} (opération ${d.operationId})`),
    )
    doc.text('Fondement : Code du patrimoine, art. L212-2, R212-14 et R212-51')
    doc.moveDown(0.5)
    doc.text(
      `${d.destroyed.length} unité(s), ${t.objects} objet(s), ${formatBytes(t.bytes)} (${t.bytes} octets) détruits sur toutes les offres de stockage`,
    )
    doc.moveDown(0.5)
    doc.font('Helvetica-Bold').text('Unités détruites')
    unitsTable(doc, d.destroyed)
    if (d.boxes && d.boxes.length > 0) {
      doc
        .moveDown(0.5)
        .fontSize(10)
        .font('Helvetica-Bold')
        .text(pdfText(`Boîtes détruites : ${d.boxes.length}, ${linearMetres(d.boxes)} mètres linéaires`))
        .font('Helvetica')
      for (const b of d.boxes)
        doc
          .fontSize(9)
          .text(
            pdfText(
              `${b.barcode}${b.cote ? ` (cote ${b.cote})` : ''} · ${b.title ?? ''} · ${b.linearMetres} m · retirée de ${b.lastPlace ?? 'aucun emplacement'}`,
            ),
          )
    }
    if (d.notDestroyed.length > 0) {
      doc.moveDown(0.5).fontSize(10).font('Helvetica-Bold').text('Unités non détruites').font('Helvetica')
      for (const n of d.notDestroyed) doc.fontSize(9).text(pdfText(`${n.title} (${n.unitId}) : ${n.reason}`))
    }
  })
}
