/**
 * The hostile-input pass: a streaming, namespace-aware XML scan (saxes) that refuses what a SEDA
 * manifest never needs and what makes XML parsers dangerous, before anything else reads the bytes:
 * - invalid UTF-8 (fatal decoding, with the byte offset of the first bad sequence), UTF-16, any
 *   declared encoding other than UTF-8, XML 1.1;
 * - any DOCTYPE (so no DTD, no entity declaration, no external entity: XXE and billion laughs are
 *   refused at the DOCTYPE, before any expansion), any entity reference other than the five
 *   predefined ones, any processing instruction (the XML declaration is not one);
 * - more than `maxDepth` nesting, `maxElements` elements, `maxAttributes` attributes on one
 *   element, a text node / attribute value / comment longer than `maxTextLength`, a document
 *   larger than `maxBytes`.
 * Memory stays bounded: input is read in 64 KiB chunks, and the scan stops as soon as the parser
 * has buffered more than `maxTextLength` characters without completing a token.
 *
 * Other modules plug their own handlers into the same pass (`scanXml`), so every reader of a
 * manifest gets the same guarantees.
 */
import { createReadStream } from 'node:fs'
import { SaxesParser, type SaxesTagNS } from 'saxes'
import type { XmlIssue, XmlIssueCode, XmlLimits, XmlSafetyResult, XmlSource, XmlStats } from './seda.types.js'

export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxDepth: 256,
  maxElements: 5_000_000,
  maxTextLength: 16 * 1024 * 1024,
  maxAttributes: 64,
  maxBytes: 2 * 1024 * 1024 * 1024,
})

export function resolveLimits(partial?: Partial<XmlLimits>): XmlLimits {
  return { ...DEFAULT_XML_LIMITS, ...(partial ?? {}) }
}

const CHUNK = 64 * 1024
const TOKEN_SLACK = 64 * 1024

/**
 * A private copy of a string the parser produced. V8 represents substrings of 13+ characters as
 * slices of their parent: a kept tag name or value would keep its whole input chunk alive. Anything
 * retained beyond one event goes through this.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : (s + ' ').slice(0, -1)
}

/** Thrown inside the scan to stop it; carries the issue. */
export class XmlScanError extends Error {
  readonly issue: XmlIssue
  constructor(issue: XmlIssue) {
    super(issue.message)
    this.issue = issue
  }
}

/** Thrown by a handler to end the scan early without error (e.g. version detection). */
export class XmlScanStop extends Error {
  constructor() {
    super('scan stopped')
  }
}

export interface ScanPosition {
  line: number
  column: number
}

/** Handlers see every token the scan accepts, with its position (1-based). */
export interface ScanHandlers {
  /** `at` is where the start tag's name ends (the line the tag starts on, for single-line names). */
  openTag?(tag: SaxesTagNS, depth: number, at: ScanPosition): void
  closeTag?(tag: SaxesTagNS, depth: number, at: ScanPosition): void
  /** Character data (text and CDATA), as the parser decoded it. */
  text?(text: string, at: ScanPosition): void
  /** Called after each input chunk has been parsed; the scan waits for it (back-pressure). */
  afterChunk?(): Promise<void> | void
}

function issue(
  code: XmlIssueCode,
  message: string,
  at?: Partial<ScanPosition>,
  byteOffset?: number,
): XmlIssue {
  const out: XmlIssue = { code, message }
  if (at?.line !== undefined) out.line = at.line
  if (at?.column !== undefined) out.column = at.column
  if (byteOffset !== undefined) out.byteOffset = byteOffset
  return out
}

const where = (at: ScanPosition): string => `ligne ${at.line}, colonne ${at.column}`

/** Translates saxes' English well-formedness messages into a French, located message. */
const SAXES_FR: [RegExp, string][] = [
  [/^unexpected close tag\.?$/, 'balise fermante inattendue'],
  [/^unclosed tag: (.*)$/, 'balise non fermée : $1'],
  [/^text data outside of root node\.?$/, "texte en dehors de l'élément racine"],
  [/^disallowed character\.?$/, 'caractère interdit en XML'],
  [/^unbound namespace prefix: "?(.*?)"?\.?$/, "préfixe d'espace de noms non déclaré : $1"],
  [/^document must contain a root element\.?$/, 'le document doit contenir un élément racine'],
  [/^duplicate attribute: (.*)$/, 'attribut en double : $1'],
  [/^unexpected end\.?$/, 'fin de document inattendue'],
  [
    /^non-whitespace before first tag\.?$/i,
    "contenu avant le premier élément : ce n'est pas un document XML",
  ],
]

function malformed(raw: string, at: ScanPosition): XmlIssue {
  let text = raw.replace(/^(?:[^:\n]*:)?\d+:\d+: /, '')
  for (const [re, fr] of SAXES_FR) {
    if (re.test(text)) {
      text = `${text.replace(re, fr)} (${text})`
      break
    }
  }
  if (/undefined entity|disallowed character in entity name/.test(text)) {
    return issue(
      'XML_ENTITY',
      `Référence d'entité interdite (${where(at)}) : seules &amp; &lt; &gt; &quot; &apos; et les références de caractères sont acceptées`,
      at,
    )
  }
  return issue('XML_MALFORMED', `XML mal formé (${where(at)}) : ${text}`, at)
}

async function* chunksOf(source: XmlSource): AsyncGenerator<Uint8Array> {
  if (typeof source === 'string') {
    yield* createReadStream(source, { highWaterMark: CHUNK }) as AsyncIterable<Uint8Array>
    return
  }
  if (source instanceof Uint8Array) {
    for (let i = 0; i < source.length; i += CHUNK)
      yield source.subarray(i, Math.min(source.length, i + CHUNK))
    return
  }
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
  }
}

/**
 * Offset of the first invalid UTF-8 sequence in one chunk, or -1. Leading continuation bytes finish
 * a sequence begun in the previous chunk; a sequence cut at the end of the chunk is not an error.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0
  while (i < 3 && i < bytes.length && (bytes[i]! & 0xc0) === 0x80) i++
  while (i < bytes.length) {
    const b = bytes[i]!
    if (b < 0x80) {
      i++
      continue
    }
    let n: number
    let min: number
    if (b >= 0xc2 && b <= 0xdf) [n, min] = [1, 0x80]
    else if (b >= 0xe0 && b <= 0xef) [n, min] = [2, 0x800]
    else if (b >= 0xf0 && b <= 0xf4) [n, min] = [3, 0x10000]
    else return i
    let cp = b & (0x3f >> n)
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k]
      if (c === undefined) return -1
      if ((c & 0xc0) !== 0x80) return i
      cp = (cp << 6) | (c & 0x3f)
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i
    i += n + 1
  }
  return -1
}

/**
 * Runs the hostile-input pass and the given handlers over one XML document. Resolves with the
 * scan statistics; rejects with XmlScanError on the first problem (handlers may throw their own
 * errors, which propagate as is, or XmlScanStop to end the scan early).
 */
export async function scanXml(
  source: XmlSource,
  handlers: ScanHandlers,
  partialLimits?: Partial<XmlLimits>,
  stats: XmlStats = { bytes: 0, elements: 0, maxDepthSeen: 0 },
): Promise<XmlStats> {
  const limits = resolveLimits(partialLimits)
  const parser = new SaxesParser({ xmlns: true, position: true })
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let depth = 0
  let tagStart: ScanPosition = { line: 1, column: 1 }
  let lastTokenEnd = 0
  let sawRoot = false
  let lineFeeds = 0

  const pos = (): ScanPosition => ({ line: parser.line, column: parser.column + 1 })
  const token = (): void => {
    lastTokenEnd = parser.position
  }

  parser.on('error', (err) => {
    throw new XmlScanError(malformed(err.message, pos()))
  })
  parser.on('xmldecl', (decl) => {
    token()
    if (decl.version !== undefined && decl.version !== '1.0') {
      throw new XmlScanError(
        issue(
          'XML_VERSION',
          `Version XML ${decl.version} refusée (${where(pos())}) : seul XML 1.0 est accepté`,
          pos(),
        ),
      )
    }
    if (decl.encoding !== undefined && !/^utf-?8$/i.test(decl.encoding)) {
      throw new XmlScanError(
        issue(
          'XML_ENCODING',
          `Encodage déclaré « ${decl.encoding} » refusé (${where(pos())}) : le manifeste doit être en UTF-8`,
          pos(),
        ),
      )
    }
  })
  parser.on('doctype', () => {
    throw new XmlScanError(
      issue(
        'XML_DOCTYPE',
        `Déclaration DOCTYPE refusée (${where(pos())}) : un manifeste SEDA ne doit contenir ni DTD ni déclaration d'entité`,
        pos(),
      ),
    )
  })
  parser.on('processinginstruction', (pi) => {
    throw new XmlScanError(
      issue(
        'XML_PROCESSING_INSTRUCTION',
        `Instruction de traitement « <?${pi.target} …?> » refusée (${where(pos())})`,
        pos(),
      ),
    )
  })
  parser.on('comment', (c) => {
    token()
    if (c.length > limits.maxTextLength) {
      throw new XmlScanError(
        issue(
          'XML_TEXT_TOO_LONG',
          `Commentaire trop long (${where(pos())}) : limite ${limits.maxTextLength} caractères`,
          pos(),
        ),
      )
    }
  })
  parser.on('opentagstart', (tag) => {
    tagStart = pos()
    depth++
    stats.elements++
    if (depth > stats.maxDepthSeen) stats.maxDepthSeen = depth
    if (depth > limits.maxDepth) {
      throw new XmlScanError(
        issue(
          'XML_MAX_DEPTH',
          `Imbrication trop profonde (${where(pos())}, élément ${tag.name}) : plus de ${limits.maxDepth} niveaux`,
          pos(),
        ),
      )
    }
    if (stats.elements > limits.maxElements) {
      throw new XmlScanError(
        issue(
          'XML_MAX_ELEMENTS',
          `Trop d'éléments (${where(pos())}) : plus de ${limits.maxElements} éléments dans le document`,
          pos(),
        ),
      )
    }
  })
  parser.on('opentag', (tag) => {
    token()
    sawRoot = true
    const attrs = Object.values(tag.attributes)
    if (attrs.length > limits.maxAttributes) {
      throw new XmlScanError(
        issue(
          'XML_MAX_ATTRIBUTES',
          `Trop d'attributs sur l'élément ${tag.name} (${where(pos())}) : plus de ${limits.maxAttributes}`,
          pos(),
        ),
      )
    }
    for (const a of attrs) {
      if (a.value.length > limits.maxTextLength) {
        throw new XmlScanError(
          issue(
            'XML_TEXT_TOO_LONG',
            `Valeur d'attribut ${a.name} trop longue sur l'élément ${tag.name} (${where(pos())}) : limite ${limits.maxTextLength} caractères`,
            pos(),
          ),
        )
      }
    }
    // For a self-closing tag saxes emits closetag right after; depth is decremented there.
    handlers.openTag?.(tag, depth, tagStart)
  })
  parser.on('closetag', (tag) => {
    token()
    handlers.closeTag?.(tag, depth, pos())
    depth--
  })
  const onText = (text: string): void => {
    token()
    if (text.length > limits.maxTextLength) {
      throw new XmlScanError(
        issue(
          'XML_TEXT_TOO_LONG',
          `Nœud texte trop long (se terminant ${where(pos())}) : ${text.length} caractères, limite ${limits.maxTextLength}`,
          pos(),
        ),
      )
    }
    if (depth > 0) handlers.text?.(text, pos())
  }
  parser.on('text', onText)
  parser.on('cdata', onText)

  let first = true
  try {
    for await (const chunk of chunksOf(source)) {
      if (chunk.length === 0) continue
      if (first) {
        first = false
        if ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff)) {
          throw new XmlScanError(
            issue(
              'XML_ENCODING',
              "Document encodé en UTF-16 (marque d'ordre des octets) : le manifeste doit être en UTF-8",
              {
                line: 1,
                column: 1,
              },
            ),
          )
        }
      }
      if (stats.bytes + chunk.length > limits.maxBytes) {
        throw new XmlScanError(
          issue(
            'XML_TOO_LARGE',
            `Document trop volumineux : plus de ${limits.maxBytes} octets`,
            undefined,
            stats.bytes,
          ),
        )
      }
      let text: string
      try {
        text = decoder.decode(chunk, { stream: true })
      } catch {
        const rel = firstInvalidUtf8(chunk)
        const offset = stats.bytes + Math.max(0, rel)
        const line = lineFeeds + countLineFeeds(chunk, Math.max(0, rel)) + 1
        throw new XmlScanError(
          issue(
            'XML_INVALID_UTF8',
            `Séquence UTF-8 invalide à l'octet ${offset} (ligne ${line}) : le manifeste doit être en UTF-8 valide`,
            { line },
            offset,
          ),
        )
      }
      lineFeeds += countLineFeeds(chunk, chunk.length)
      stats.bytes += chunk.length
      parser.write(text)
      if (handlers.afterChunk) await handlers.afterChunk()
      if (parser.position - lastTokenEnd > limits.maxTextLength + TOKEN_SLACK) {
        throw new XmlScanError(
          issue(
            'XML_TEXT_TOO_LONG',
            `Nœud texte, valeur d'attribut ou commentaire trop long (à partir de la ${where(pos())} environ) : limite ${limits.maxTextLength} caractères`,
            pos(),
          ),
        )
      }
    }
    if (stats.bytes === 0) throw new XmlScanError(issue('XML_EMPTY', 'Document vide'))
    try {
      const tail = decoder.decode()
      if (tail) parser.write(tail)
    } catch {
      throw new XmlScanError(
        issue(
          'XML_INVALID_UTF8',
          `Séquence UTF-8 tronquée en fin de document (octet ${stats.bytes})`,
          undefined,
          stats.bytes,
        ),
      )
    }
    if (!sawRoot) {
      throw new XmlScanError(issue('XML_MALFORMED', "Aucun élément racine : ce n'est pas un document XML"))
    }
    parser.close()
    if (handlers.afterChunk) await handlers.afterChunk()
  } catch (e) {
    if (e instanceof XmlScanStop) return stats
    if (e instanceof XmlScanError) throw e
    if (typeof source === 'string' && e instanceof Error && 'syscall' in e) {
      throw new XmlScanError(issue('XML_READ_ERROR', `Lecture impossible du manifeste : ${e.message}`))
    }
    throw e
  }
  return stats
}

function countLineFeeds(bytes: Uint8Array, end: number): number {
  let n = 0
  let i = bytes.indexOf(0x0a)
  while (i >= 0 && i < end) {
    n++
    i = bytes.indexOf(0x0a, i + 1)
  }
  return n
}

/** The hostile-input pass alone. */
export async function checkXmlSafety(
  source: XmlSource,
  limits?: Partial<XmlLimits>,
): Promise<XmlSafetyResult> {
  const stats: XmlStats = { bytes: 0, elements: 0, maxDepthSeen: 0 }
  try {
    await scanXml(source, {}, limits, stats)
    return { ok: true, stats }
  } catch (e) {
    if (e instanceof XmlScanError) return { ok: false, issue: e.issue, stats }
    throw e
  }
}
