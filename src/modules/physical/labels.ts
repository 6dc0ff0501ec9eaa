import PDFDocument from 'pdfkit'
import { toBuffer } from 'bwip-js'
import type { BoxView } from './physical.types.js'

// Standard PDF fonts are WinAnsi: characters outside it are replaced.
const pdfText = (s: string): string =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[\u0000-\u001f]/g, ' ').replace(/[^\u0020-\u00ff\u2019\u20ac]/g, '?')

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

export interface ShelfList {
  readonly location: string
  readonly shelves: {
    readonly path: string
    readonly lengthMetres: number
    readonly usedMetres: number
    readonly boxes: readonly BoxView[]
  }[]
}

/** The shelf list: per shelf, its length, occupancy and the boxes it should hold, in order. */
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
      .moveDown(0.5)
    for (const s of list.shelves) {
      if (doc.y > doc.page.height - 120) doc.addPage()
      doc
        .font('Helvetica-Bold')
        .fontSize(11)
        .text(pdfText(`Tablette ${s.path} : ${s.usedMetres} / ${s.lengthMetres} m`))
      doc.font('Helvetica').fontSize(9)
      if (s.boxes.length === 0) doc.text('  (vide)')
      for (const b of s.boxes)
        doc.text(
          pdfText(
            `  ${b.barcode}   ${b.cote ?? '—'}   ${b.title ?? ''}${b.producer ? `   [${b.producer}]` : ''}   ${b.linearMetres ?? '?'} m`,
          ),
        )
      doc.moveDown(0.4)
    }
  }, 'Liste topographique')
}
