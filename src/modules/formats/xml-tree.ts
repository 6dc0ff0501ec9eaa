/** A small element tree built with saxes (well-formedness checked), with source positions for errors. */
import { SaxesParser } from 'saxes'

export interface XmlElement {
  readonly name: string
  readonly attrs: Readonly<Record<string, string>>
  readonly children: XmlElement[]
  text: string
  readonly line: number
  readonly column: number
}

export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message)
    this.name = 'XmlSyntaxError'
  }
}

/**
 * Parses `xml` into a tree. Elements named in `skip` (and their content) are dropped, to save memory
 * on large files (e.g. DROID's 24,000 `<Shift>` hints). Text is kept only for leaf elements.
 */
export function parseXmlTree(xml: string, skip: ReadonlySet<string> = new Set()): XmlElement {
  const parser = new SaxesParser<{ xmlns: false; position: true }>({ xmlns: false, position: true })
  const stack: XmlElement[] = []
  let root: XmlElement | undefined
  let skipping = 0
  let error: XmlSyntaxError | undefined
  parser.on('error', (e) => {
    if (!error)
      error = new XmlSyntaxError(e.message.replace(/^(?:\S*:)?\d+:\d+: /, ''), parser.line, parser.column + 1)
  })
  parser.on('opentag', (tag) => {
    if (skipping > 0 || skip.has(tag.name)) {
      if (!tag.isSelfClosing) skipping++
      return
    }
    const el: XmlElement = {
      name: tag.name,
      attrs: tag.attributes,
      children: [],
      text: '',
      line: parser.line,
      column: parser.column + 1,
    }
    const parent = stack[stack.length - 1]
    if (parent) parent.children.push(el)
    else root = el
    if (!tag.isSelfClosing) stack.push(el)
  })
  parser.on('closetag', (tag) => {
    if (skipping > 0) {
      if (!tag.isSelfClosing) skipping--
      return
    }
    if (!tag.isSelfClosing) stack.pop()
  })
  parser.on('text', (t) => {
    if (skipping > 0) return
    const el = stack[stack.length - 1]
    if (el) el.text += t
  })
  try {
    parser.write(xml).close()
  } catch (e) {
    if (!error) throw e
  }
  if (error) throw error
  if (!root) throw new XmlSyntaxError('document has no root element', parser.line, parser.column + 1)
  return root
}
