import { inflateSync } from 'node:zlib'

// WinAnsi (cp1252) bytes 0x80–0x9f that are not Latin-1: the ones our PDFs use.
const WIN_ANSI: Record<number, string> = {
  0x80: '\u20ac',
  0x85: '\u2026',
  0x91: '\u2018',
  0x92: '\u2019',
  0x93: '\u201c',
  0x94: '\u201d',
  0x96: '\u2013',
  0x97: '\u2014',
  0x8c: '\u0152',
  0x9c: '\u0153',
}
const winAnsi = (b: Buffer): string => [...b].map((c) => WIN_ANSI[c] ?? String.fromCharCode(c)).join('')

/**
 * The text a PDF made by pdfkit shows: its content streams inflated, then the hex strings of its
 * TJ/Tj operators decoded (standard fonts, WinAnsi), pieces of one TJ array joined.
 */
export function pdfText(pdf: Buffer): string {
  const out: string[] = []
  const src = pdf.toString('latin1')
  const re = /stream\r?\n/g
  let m: RegExpExecArray | null
  while ((m = re.exec(src))) {
    const start = m.index + m[0].length
    const end = src.indexOf('endstream', start)
    if (end < 0) break
    const raw = pdf.subarray(start, end)
    let body: string
    try {
      body = inflateSync(raw).toString('latin1')
    } catch {
      body = raw.toString('latin1')
    }
    for (const t of body.matchAll(/\[(.*?)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
      const parts = t[1] !== undefined ? [...t[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((x) => x[1]!) : [t[2]!]
      out.push(parts.map((h) => winAnsi(Buffer.from(h, 'hex'))).join(''))
    }
  }
  return out.join('\n')
}

export function pdfPages(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length
}

export const FORM_HEADER =
  'box_barcode,cote,title,start_date,end_date,producer,description_level,appraisal_rule,appraisal_start_date,final_action,access_rule,access_start_date,box_type,description'
