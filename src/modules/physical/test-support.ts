import { inflateSync } from 'node:zlib'

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
      out.push(parts.map((h) => Buffer.from(h, 'hex').toString('latin1')).join(''))
    }
  }
  return out.join('\n')
}

export function pdfPages(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length
}

export const FORM_HEADER =
  'box_barcode,cote,title,start_date,end_date,producer,description_level,appraisal_rule,appraisal_start_date,final_action,access_rule,access_start_date,box_type,description'
