import { Issues } from './issues.js'

/** Largest referential file accepted (Vitam's referentials are a few hundred kilobytes at most). */
export const MAX_FILE_BYTES = 10 * 1024 * 1024

/**
 * Offset of the first byte that is not valid UTF-8 at or after `from` (overlongs, surrogates and code
 * points above U+10FFFF are invalid, as in the WHATWG decoder), or -1.
 */
export function nextInvalidUtf8(b: Uint8Array, from = 0): number {
  let i = from
  const n = b.length
  while (i < n) {
    const c = b[i]!
    if (c < 0x80) {
      i += 1
      continue
    }
    let need: number
    let min: number
    let cp: number
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1
      min = 0x80
      cp = c & 0x1f
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2
      min = 0x800
      cp = c & 0x0f
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3
      min = 0x10000
      cp = c & 0x07
    } else return i
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k]
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i
      cp = (cp << 6) | (cc & 0x3f)
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i
    i += need + 1
  }
  return -1
}

/** Line (1-based) and byte column (1-based) of a byte offset. */
function bytePosition(b: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset; i++) {
    if (b[i] === 0x0a) {
      line += 1
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

function startsWith(b: Uint8Array, sig: readonly number[]): boolean {
  return sig.every((v, i) => b[i] === v)
}

const SIGNATURES: ReadonlyArray<{ sig: number[]; what: string }> = [
  { sig: [0x25, 0x50, 0x44, 0x46, 0x2d], what: 'un document PDF' },
  { sig: [0x50, 0x4b, 0x03, 0x04], what: 'une archive ZIP (ou un document bureautique)' },
  { sig: [0x1f, 0x8b], what: 'un fichier compressé gzip' },
  { sig: [0xd0, 0xcf, 0x11, 0xe0], what: 'un document Microsoft Office ancien format' },
  { sig: [0x89, 0x50, 0x4e, 0x47], what: 'une image PNG' },
  { sig: [0xff, 0xd8, 0xff], what: 'une image JPEG' },
]

/**
 * Decodes a referential file as strict UTF-8 (an optional BOM is dropped). Refuses, with every line
 * concerned, an empty or oversized file, a known binary format, UTF-16, bytes that are not UTF-8 (a
 * Latin-1 or Windows-1252 export) and control characters.
 */
export function decodeReferentialText(
  bytes: Uint8Array,
  expected: 'CSV' | 'JSON',
): { ok: true; text: string } | { ok: false; issues: Issues } {
  const issues = new Issues()
  const fail = (line: number, code: string, message: string, column?: number) => {
    issues.add({ line, ...(column !== undefined ? { column } : {}), code, message })
    return { ok: false as const, issues }
  }
  if (bytes.length > MAX_FILE_BYTES) {
    return fail(
      1,
      'FILE_TOO_LARGE',
      `Fichier trop volumineux (${bytes.length} octets) : ${MAX_FILE_BYTES} octets au plus`,
    )
  }
  for (const { sig, what } of SIGNATURES) {
    if (startsWith(bytes, sig)) {
      return fail(1, 'FILE_NOT_TEXT', `Le fichier est ${what}, pas un fichier ${expected} encodé en UTF-8`)
    }
  }
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    return fail(1, 'ENCODING_NOT_UTF8', `Le fichier est encodé en UTF-16 : enregistrez-le en UTF-8`)
  }
  const body = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? bytes.subarray(3) : bytes
  if (body.indexOf(0) >= 0) {
    const { line, column } = bytePosition(body, body.indexOf(0))
    return fail(
      line,
      'FILE_NOT_TEXT',
      `Le fichier contient des octets nuls : c’est un fichier binaire, pas un fichier ${expected}`,
      column,
    )
  }
  // One error per line holding bytes that are not UTF-8, so that the archivist sees every place.
  let at = nextInvalidUtf8(body)
  let lastLine = 0
  while (at >= 0) {
    const { line, column } = bytePosition(body, at)
    if (line !== lastLine) {
      issues.add({
        line,
        column,
        code: 'ENCODING_NOT_UTF8',
        message: `Octet 0x${body[at]!.toString(16).toUpperCase().padStart(2, '0')} invalide en UTF-8 : le fichier semble encodé en ISO-8859-1 ou Windows-1252 ; enregistrez-le en UTF-8`,
      })
      lastLine = line
    }
    at = nextInvalidUtf8(body, at + 1)
  }
  if (!issues.empty) return { ok: false, issues }
  const text = new TextDecoder('utf-8', { fatal: true }).decode(body)
  if (text.trim() === '') return fail(1, 'FILE_EMPTY', 'Le fichier est vide')
  let line = 1
  let col = 1
  let reportedLine = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x0a) {
      line += 1
      col = 1
      continue
    }
    if ((c < 0x20 && c !== 0x09 && c !== 0x0d) || c === 0x7f) {
      if (line !== reportedLine) {
        issues.add({
          line,
          column: col,
          code: 'CONTROL_CHARACTER',
          message: `Caractère de contrôle U+${c.toString(16).toUpperCase().padStart(4, '0')} non autorisé`,
        })
        reportedLine = line
      }
    }
    col += 1
  }
  if (!issues.empty) return { ok: false, issues }
  return { ok: true, text }
}

const TAG = /<\s*\/?\s*[a-z][a-z0-9:-]*(?:\s[^<>]*)?\/?\s*>/i
const DANGEROUS =
  /<\s*(?:script|iframe|object|embed|svg|img|style|link|meta|form|input|body|html|frame|base)\b|<!--|<!\[CDATA\[|<\?|(?:java|vb)script\s*:|data\s*:\s*text\/html/i

/**
 * True when a value carries HTML or script (Vitam refuses it in every referential): a tag such as
 * `<i>` or `</p>`, the opening of a dangerous element, a comment or a `javascript:` URL. A lone `<`
 * (« communes < 2 000 habitants ») is not HTML.
 */
export function containsHtml(value: string): boolean {
  if (!value.includes('<') && !value.includes(':')) return false
  return TAG.test(value) || DANGEROUS.test(value)
}

export const HTML_MESSAGE = 'Contenu HTML ou script interdit'
