import PDFDocument from 'pdfkit'
import { toBuffer } from 'bwip-js'
import type { BoxOut, BoxView, ShelfList } from './physical.types.js'

export type { ShelfList }

// Standard PDF fonts are WinAnsi: characters outside it are replaced.
const pdfText = (s: string): string =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[\u0000-\u001f]/g, ' ').replace(/[^\u0020-\u00ff\u2014\u2019\u20ac]/g, '?')

function render(build: (doc: PDFKit.PDFDocument) => Promise<void>, info: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 36, info: { Title: info, Producer: 'SAEH' } })
    const parts: Buffer[] = []
    doc.on('data', (b: Buffer) => parts.push(b))
    doc.on('end', () => resolve(Buffer.concat(parts)))
    doc.on('error', reject)
    build(doc).then(
      () => doc.end(),
      (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))),
    )
  })
}

export type LabelSymbology = 'code128' | 'qrcode'

/**
 * A4 sheets of box labels, 2 × 5 per page: barcode (Code 128 or QR, drawn by bwip-js), barcode text,
 * call number (cote), title and producer.
 */
export function boxLabelsPdf(
  boxes: readonly BoxView[],
  symbology: LabelSymbology = 'code128',
): Promise<Buffer> {
  return render(async (doc) => {
    const cols = 2
    const rows = 5
    const w = (doc.page.width - 72) / cols
    const h = (doc.page.height - 72) / rows
    for (let i = 0; i < boxes.length; i++) {
      const b = boxes[i]!
      const slot = i % (cols * rows)
      if (i > 0 && slot === 0) doc.addPage()
      const x = 36 + (slot % cols) * w
      const y = 36 + Math.floor(slot / cols) * h
      doc
        .rect(x + 4, y + 4, w - 8, h - 8)
        .lineWidth(0.5)
        .stroke()
      const png = await toBuffer(
        symbology === 'qrcode'
          ? { bcid: 'qrcode', text: b.barcode, scale: 3 }
          : { bcid: 'code128', text: b.barcode, scale: 2, height: 12, includetext: false },
      )
      if (symbology === 'qrcode') doc.image(png, x + 12, y + 12, { fit: [h - 40, h - 40] })
      else doc.image(png, x + 12, y + 12, { fit: [w - 24, 44] })
      const tx = symbology === 'qrcode' ? x + h - 20 : x + 12
      const ty = symbology === 'qrcode' ? y + 14 : y + 62
      const tw = symbology === 'qrcode' ? w - (h - 20) - 12 : w - 24
      doc
        .font('Helvetica-Bold')
        .fontSize(13)
        .text(pdfText(b.cote ?? b.barcode), tx, ty, { width: tw, lineBreak: false })
      doc
        .font('Helvetica')
        .fontSize(8)
        .text(pdfText(b.barcode), tx, doc.y + 2, { width: tw, lineBreak: false })
      doc.fontSize(9).text(pdfText(b.title ?? ''), tx, doc.y + 2, { width: tw, height: 34, ellipsis: true })
      doc.fontSize(8).text(pdfText(b.producer ? `Producteur : ${b.producer}` : ''), tx, doc.y + 2, {
        width: tw,
        lineBreak: false,
      })
    }
    if (boxes.length === 0) doc.fontSize(12).text('Aucune boîte.')
  }, 'Étiquettes de boîtes')
}

/** `2024-02-15` or an ISO timestamp → `15/02/2024` (UTC date, as stored). */
const frDate = (iso: string): string => {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso)
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso
}

const count = (n: number, one: string, many: string): string => `${n} ${n > 1 ? many : one}`

/** Out boxes of a shelf or of the list, in words: « dont 1 sortie (1 en retard) ». */
const outWords = (out: number, overdue: number): string =>
  `, dont ${count(out, 'sortie', 'sorties')}${overdue > 0 ? ` (${overdue} en retard)` : ''}`

/** The line under an out box: since when, which request, the return date, and late or not. */
function outLine(o: BoxOut): string {
  const what =
    o.kind === 'loan' ? `prêt${o.service ? ` à ${o.service}` : ''}, ` : o.kind ? 'consultation, ' : ''
  return [
    `SORTIE depuis le ${frDate(o.since)}`,
    `${what}demande ${o.requestId}`,
    o.dueDate ? `retour prévu le ${frDate(o.dueDate)}` : 'sans date de retour',
    ...(o.overdue ? ['EN RETARD'] : []),
  ].join(' — ')
}

/**
 * The shelf list: a summary, then per shelf its length, occupancy and the boxes it should hold, in order;
 * a box that is out has a bold line under it (text, readable in black and white), and the counts say how
 * many are out so that the storekeeper does not report them missing.
 */
export function shelfListPdf(list: ShelfList, generatedAt: string): Promise<Buffer> {
  return render(async (doc) => {
    doc
      .font('Helvetica-Bold')
      .fontSize(15)
      .text(pdfText(`Liste topographique : ${list.location}`))
    doc
      .font('Helvetica')
      .fontSize(8)
      .text(pdfText(`Éditée le ${generatedAt}`))
    const t = list.summary
    doc
      .font('Helvetica-Bold')
      .fontSize(9)
      .text(
        pdfText(
          `${count(t.shelves, 'tablette', 'tablettes')}, ${count(t.boxes, 'boîte', 'boîtes')}${outWords(t.out, t.overdue)}`,
        ),
      )
      .moveDown(0.5)
    for (const s of list.shelves) {
      if (doc.y > doc.page.height - 120) doc.addPage()
      doc
        .font('Helvetica-Bold')
        .fontSize(11)
        .text(
          pdfText(
            `Tablette ${s.path} : ${s.usedMetres} / ${s.lengthMetres} m — ${count(s.boxes.length, 'boîte', 'boîtes')}${outWords(s.outCount, s.overdueCount)}`,
          ),
        )
      doc.font('Helvetica').fontSize(9)
      if (s.boxes.length === 0) doc.text('  (vide)')
      for (const b of s.boxes) {
        doc.text(
          pdfText(
            `  ${b.barcode}   ${b.cote ?? '—'}   ${b.title ?? ''}${b.producer ? `   [${b.producer}]` : ''}   ${b.linearMetres ?? '?'} m`,
          ),
        )
        if (b.presence === 'out' && b.out) {
          // Under the box, indented (wrapped lines too), in bold.
          const left = doc.page.margins.left
          doc
            .font('Helvetica-Bold')
            .text(pdfText(outLine(b.out)), left + 24, doc.y, { width: doc.page.width - left * 2 - 24 })
            .font('Helvetica')
          doc.x = left
        }
      }
      doc.moveDown(0.4)
    }
  }, 'Liste topographique')
}
