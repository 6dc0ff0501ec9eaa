import PDFDocument from 'pdfkit'
import type { ProbativeReport } from './probative.types.js'

export interface PdfOptions {
  /** pdfkit compresses page streams by default; tests turn it off to read the text. */
  readonly compress?: boolean
}

const MARGIN = 50
const STATUS_FR: Record<string, string> = {
  OK: 'CONFORME',
  WARNING: 'CONFORME AVEC RÉSERVES',
  KO: 'NON CONFORME',
}

type Doc = PDFKit.PDFDocument

/** Renders the probative-value report as a PDF (A4, Helvetica, French, page numbers). */
export function renderProbativePdf(r: ProbativeReport, opts: PdfOptions = {}): Promise<Buffer> {
  const doc: Doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    compress: opts.compress ?? true,
    info: {
      Title: `Relevé de valeur probante — objet ${r.object.id}`,
      Author: 'SAEH',
      Subject: `Objet ${r.object.id}, service d’archives ${r.tenant.id}`,
      CreationDate: new Date(r.generatedAt),
    },
  })
  const chunks: Buffer[] = []
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
  const width = doc.page.width - 2 * MARGIN

  doc.font('Helvetica-Bold').fontSize(18).text('Relevé de valeur probante', { align: 'center' })
  doc.moveDown(0.3)
  doc
    .font('Helvetica')
    .fontSize(9)
    .text(`NF Z42-013 / ISO 14641 — format ${r.format}`, { align: 'center' })
    .moveDown(0.8)
  kv(doc, [
    ['Service d’archives', `${r.tenant.name} (${r.tenant.id})`],
    ['Objet', r.object.id],
    ['Généré le', r.generatedAt],
    ['Généré par', r.generatedBy],
  ])

  heading(doc, '1. Conclusion')
  doc
    .font('Helvetica-Bold')
    .fontSize(11)
    .text(
      `${STATUS_FR[r.conclusion.status] ?? r.conclusion.status} — intégrité : ${r.conclusion.integrity === 'OK' ? 'aucune anomalie' : 'anomalies constatées'}`,
    )
  doc.font('Helvetica').fontSize(9)
  if (r.conclusion.findings.length === 0) doc.text('Aucune anomalie ni réserve.')
  for (const f of r.conclusion.findings) doc.text(`• ${f}`, { width })

  heading(doc, '2. L’objet')
  kv(doc, [
    ['Identifiant', r.object.id],
    ['Identifiant SEDA', r.object.sedaId ?? '—'],
    [
      'Nature / usage',
      `${r.object.kind === 'physical' ? 'physique' : 'numérique'} / ${r.object.usage ?? '—'}`,
    ],
    ['Nom de fichier', r.object.filename ?? '—'],
    ['Format', `${r.object.format.puid ?? '—'} ${r.object.format.name ?? ''}`.trim()],
    ['Type MIME', r.object.mimeType ?? '—'],
    ['Taille (octets)', r.object.size === null ? '—' : String(r.object.size)],
    ['SHA-512', r.object.sha512 ?? '—'],
    ['Pris en charge le', r.object.createdAt],
  ])
  if (r.units.length > 0) {
    doc.moveDown(0.3)
    table(
      doc,
      ['Unité archivistique', 'Intitulé', 'Service producteur', 'Service versant'],
      [0.3, 0.34, 0.18, 0.18],
      r.units.map((u) => [u.id, u.title, u.originatingAgency ?? '—', u.submissionAgency ?? '—']),
    )
  }

  heading(doc, '3. Origine : le versement')
  kv(doc, [
    ['Opération d’entrée', r.origin.operationId],
    ['Reçu le / terminé le', `${r.origin.receivedAt ?? '—'} / ${r.origin.finishedAt ?? '—'}`],
    ['Statut / réponse', `${r.origin.status ?? '—'} / ${r.origin.replyCode ?? '—'}`],
    ['Service versant', r.origin.submissionAgency ?? '—'],
    ['Service producteur', r.origin.originatingAgency ?? '—'],
    ['Contrat d’entrée', r.origin.contractId ?? '—'],
    ['Identifiant du message', r.origin.messageIdentifier ?? '—'],
    ['Version SEDA / fichier', `${r.origin.sedaVersion ?? '—'} / ${r.origin.fileName ?? '—'}`],
    [
      'Bordereau conservé',
      r.origin.manifest
        ? `${r.origin.manifest.size} octets, SHA-512 ${r.origin.manifest.sha512}`
        : 'non conservé',
    ],
  ])

  heading(doc, '4. Empreintes au fil du temps')
  table(
    doc,
    ['Date', 'Source', 'Offre', 'Empreinte', 'Conforme'],
    [0.21, 0.08, 0.08, 0.52, 0.11],
    r.digests.map((d) => [
      d.at,
      d.source,
      d.offer ?? '—',
      `${d.algorithm} ${d.digest ?? '—'}${d.detail ? `\n${d.detail}` : ''}`,
      d.matches === null ? 'n/a' : d.matches ? 'oui' : 'NON',
    ]),
  )

  heading(doc, '5. Copies et audits')
  table(
    doc,
    ['Offre', 'Type', 'État', 'Dernier contrôle', 'Résultat'],
    [0.16, 0.08, 0.1, 0.46, 0.2],
    r.copies.map((c) => [
      c.offer,
      c.offerKind ?? '—',
      c.state ?? '—',
      c.lastCheck ? `${c.lastCheck.at} (${c.lastCheck.type}, audit ${c.lastCheck.auditId})` : 'jamais audité',
      c.lastCheck ? c.lastCheck.outcome : '—',
    ]),
  )
  if (r.anomalies.length > 0) {
    doc.moveDown(0.3).font('Helvetica-Bold').fontSize(9).text('Anomalies constatées').font('Helvetica')
    table(
      doc,
      ['Détectée le', 'Offre', 'Nature', 'Réparation', 'Détail'],
      [0.21, 0.1, 0.09, 0.2, 0.4],
      r.anomalies.map((a) => [
        a.detectedAt,
        a.offer,
        a.kind,
        a.repair === 'repaired' ? `réparée depuis ${a.repairedFrom}` : a.repair,
        a.detail ?? '',
      ]),
    )
  }
  doc.moveDown(0.3).font('Helvetica-Bold').fontSize(9).text('Audits couvrant l’objet').font('Helvetica')
  table(
    doc,
    ['Audit', 'Type', 'Portée', 'Statut', 'Terminé le'],
    [0.34, 0.13, 0.17, 0.12, 0.24],
    r.audits.map((a) => [a.auditId, a.type, a.scope, a.status, a.finishedAt ?? '—']),
  )

  heading(doc, '6. Événements du journal')
  table(
    doc,
    ['N°', 'Date', 'Événement', 'Résultat', 'Agent', 'Empreinte (SHA-512)', 'Sceau'],
    [0.05, 0.21, 0.2, 0.07, 0.09, 0.3, 0.08],
    r.events.map((e) => [
      String(e.seq),
      e.at,
      e.type,
      e.outcome,
      e.agent ?? '—',
      e.hash,
      e.seal === null ? 'non scellé' : String(e.seal),
    ]),
  )

  heading(doc, '7. Sceaux et horodatages')
  table(
    doc,
    ['N°', 'Scellé le', 'Racine de Merkle', 'Jeton (heure, autorité)', 'Vérifié'],
    [0.05, 0.21, 0.38, 0.24, 0.12],
    r.seals.map((s) => [
      String(s.number),
      s.createdAt,
      s.merkleRoot,
      `${s.tokenTime}\n${s.tsa ?? '—'}`,
      s.verified ? 'oui' : `NON : ${s.problems.join(' ; ')}`,
    ]),
  )
  if (r.unsealedEvents > 0)
    doc.fontSize(8).text(`${r.unsealedEvents} événement(s) non encore scellé(s) à la date du relevé.`)

  const range = doc.bufferedPageRange()
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i)
    const bottom = doc.page.margins.bottom
    doc.page.margins.bottom = 0
    doc
      .font('Helvetica')
      .fontSize(7)
      .fillColor('#555555')
      .text(
        `Relevé de valeur probante — objet ${r.object.id} — généré le ${r.generatedAt} — page ${i - range.start + 1} / ${range.count}`,
        MARGIN,
        doc.page.height - 30,
        { width, align: 'center', lineBreak: false },
      )
      .fillColor('black')
    doc.page.margins.bottom = bottom
  }
  doc.end()
  return done
}

function heading(doc: Doc, title: string): void {
  doc.x = MARGIN
  if (doc.y > doc.page.height - MARGIN - 80) doc.addPage()
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(12).text(title).moveDown(0.3)
  doc.font('Helvetica').fontSize(9)
}

function kv(doc: Doc, rows: readonly (readonly [string, string])[]): void {
  table(doc, null, [0.28, 0.72], rows)
}

/** A simple table: cells wrap, rows never split across pages. */
function table(
  doc: Doc,
  head: readonly string[] | null,
  fractions: readonly number[],
  rows: readonly (readonly string[])[],
): void {
  const width = doc.page.width - 2 * MARGIN
  const widths = fractions.map((f) => f * width)
  const pad = 2
  const draw = (cells: readonly string[], bold: boolean) => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(7.5)
    const h =
      Math.max(...cells.map((c, i) => doc.heightOfString(c || ' ', { width: widths[i]! - 2 * pad }))) +
      2 * pad
    if (doc.y + h > doc.page.height - MARGIN) doc.addPage()
    const y = doc.y
    let x = MARGIN
    if (bold) doc.rect(MARGIN, y, width, h).fill('#e8e8e8').fillColor('black')
    cells.forEach((c, i) => {
      doc.text(c || ' ', x + pad, y + pad, { width: widths[i]! - 2 * pad })
      x += widths[i]!
    })
    doc
      .moveTo(MARGIN, y + h)
      .lineTo(MARGIN + width, y + h)
      .lineWidth(0.3)
      .strokeColor('#999999')
      .stroke()
    doc.x = MARGIN
    doc.y = y + h
  }
  if (head) draw(head, true)
  if (rows.length === 0) {
    draw(head ? ['(aucun)', ...head.slice(1).map(() => '')] : ['(aucun)', ''], false)
  }
  for (const r of rows) draw(r, false)
  doc.font('Helvetica').fontSize(9)
}
