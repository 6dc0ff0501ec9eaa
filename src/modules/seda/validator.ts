/**
 * Schema validation of SEDA messages against the official XSDs shipped in src/assets/seda, offline.
 *
 * One streaming pass (the hostile-input scan of xml-scanner.ts) feeds a schema-aware filter that:
 * - sets aside extension metadata: elements the official schema does not declare at a SEDA
 *   extension point (where Vitam's own schemas put `xsd:any`), and the content of open types;
 * - refuses an extension element followed by a standard element that the schema places before the
 *   extension point (Vitam's wildcard sits at the end of the content model);
 * - checks xsd:ID uniqueness and xsd:IDREF resolution (libxml2's streaming mode does not);
 * - drops xsi:schemaLocation hints, comments and the XML declaration;
 * and re-serialises the rest, line-aligned with the input, into libxml2: Debian `xmllint --stream`
 * (out of process, bounded memory) when installed, else xmllint-wasm. See docs/seda-validation.md.
 */
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { SaxesTagNS } from 'saxes'
import { validateXML } from 'xmllint-wasm'
import { XmlScanError, XmlScanStop, ownString, scanXml, type ScanPosition } from './xml-scanner.js'
import {
  sedaAssetsDir,
  sedaSchemaModel,
  type SedaSchemaModel,
  type TypeInfo,
  type ValueKind,
} from './xsd-model.js'
import type {
  ExtensionRecord,
  SchemaIssue,
  SchemaValidationResult,
  SedaVersion,
  ValidateOptions,
  ValidationEngine,
  XmlLimits,
  XmlSource,
  XmlStats,
} from './seda.types.js'

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance'
const DEFAULT_MAX_REPORTED = 100
const STDERR_CAP = 1024 * 1024

interface Frame {
  local: string
  name: string
  info: TypeInfo | null
  textKind: ValueKind
  text: string
  selfClosing: boolean
  lastExtension: { name: string; line: number } | null
  line: number
}

const escText = (s: string): string =>
  /[&<>\r]/.test(s)
    ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;')
    : s

const escAttr = (s: string): string =>
  /[&<"\t\n\r]/.test(s)
    ? s
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/"/g, '&quot;')
        .replace(/\t/g, '&#9;')
        .replace(/\n/g, '&#10;')
        .replace(/\r/g, '&#13;')
    : s

function countNewlines(s: string): number {
  let n = 0
  let i = s.indexOf('\n')
  while (i >= 0) {
    n++
    i = s.indexOf('\n', i + 1)
  }
  return n
}

/**
 * The schema-aware filter. Handlers are synchronous; output accumulates in `pending` and is taken
 * by the engine after each chunk.
 */
class SchemaFilter {
  readonly issues: SchemaIssue[] = []
  readonly extensions: ExtensionRecord[] = []
  extensionCount = 0
  issueCount = 0
  pending: string[] = []
  private outLine = 1
  private readonly stack: Frame[] = []
  private skipDepth = 0
  private readonly ids = new Map<string, number>()
  private readonly refValues: string[] = []
  private readonly refLines: number[] = []
  private readonly refElements: string[] = []
  private readonly labels = new Map<string, string>()

  constructor(
    private readonly model: SedaSchemaModel,
    private readonly expectedRoot: string | null,
    private readonly maxReported: number,
  ) {}

  private report(i: SchemaIssue): void {
    this.issueCount++
    if (this.issues.length < this.maxReported) this.issues.push(i)
  }

  private path(local: string): string {
    return [...this.stack.map((f) => f.local), local].join('/')
  }

  private emit(s: string): void {
    this.pending.push(s)
  }

  private alignTo(line: number): void {
    if (line > this.outLine) {
      this.emit('\n'.repeat(line - this.outLine))
      this.outLine = line
    }
  }

  private setAside(tag: SaxesTagNS, at: ScanPosition): void {
    this.skipDepth = 1
    this.extensionCount++
    if (this.extensions.length < this.maxReported) {
      this.extensions.push({ name: tag.name, namespace: tag.uri, path: this.path(tag.local), line: at.line })
    }
  }

  openTag(tag: SaxesTagNS, _depth: number, at: ScanPosition): void {
    if (this.skipDepth > 0) {
      this.skipDepth++
      return
    }
    const parent = this.stack[this.stack.length - 1]
    const ns = this.model.namespace
    let decl = null as ReturnType<typeof this.model.globals.get> | null
    if (!parent) {
      if (tag.uri !== ns) {
        this.report({
          code: 'VERSION_MISMATCH',
          message: `L'élément racine ${tag.name} n'est pas dans l'espace de noms SEDA ${this.model.version} (${ns}) mais dans « ${tag.uri} »`,
          line: at.line,
          element: tag.local,
        })
        throw new XmlScanStop()
      }
      if (this.expectedRoot && tag.local !== this.expectedRoot) {
        this.report({
          code: 'WRONG_ROOT',
          message: `Élément racine ${tag.local} inattendu : un bordereau de transfert commence par ${this.expectedRoot}`,
          line: at.line,
          element: tag.local,
        })
        throw new XmlScanStop()
      }
      decl = this.model.globals.get(tag.local) ?? null
    } else if (parent.info) {
      const info = parent.info
      decl = tag.uri === ns ? (info.children.get(tag.local) ?? null) : null
      if (info.extension === 'open') {
        this.setAside(tag, at)
        return
      }
      if (!decl && info.extension === 'hook') {
        parent.lastExtension = { name: tag.local, line: at.line }
        this.setAside(tag, at)
        return
      }
      if (
        decl &&
        parent.lastExtension &&
        info.extension === 'hook' &&
        !info.allowedAfterExtension.has(tag.local)
      ) {
        this.report({
          code: 'EXTENSION_MISPLACED',
          message:
            `Élément ${tag.local} (ligne ${at.line}) placé après l'élément d'extension ${parent.lastExtension.name} ` +
            `(ligne ${parent.lastExtension.line}) dans ${parent.local} : les extensions doivent suivre les éléments standard`,
          line: at.line,
          element: tag.local,
        })
      }
      if (
        decl?.abstractType &&
        !Object.values(tag.attributes).some((a) => a.uri === XSI_NS && a.local === 'type')
      ) {
        // e.g. SEDA 2.3 `Extended` is typed with the abstract OpenType: its content is free metadata.
        this.setAside(tag, at)
        return
      }
    }

    this.alignTo(at.line)
    let s = `<${tag.name}`
    const info = decl?.complexType ? (this.model.types.get(decl.complexType) ?? null) : null
    for (const a of Object.values(tag.attributes)) {
      if (a.uri === XSI_NS && (a.local === 'schemaLocation' || a.local === 'noNamespaceSchemaLocation'))
        continue
      s += ` ${a.name}="${escAttr(a.value)}"`
      const kind = info?.attributes.get(a.prefix === '' ? a.local : a.name)
      if (kind && kind !== 'other') this.checkValue(kind, a.value, at.line, `${tag.local}/@${a.name}`)
    }
    this.emit(tag.isSelfClosing ? `${s}/>` : `${s}>`)
    this.stack.push({
      local: tag.local,
      name: tag.name,
      info,
      textKind: decl?.textKind ?? 'other',
      text: '',
      selfClosing: tag.isSelfClosing,
      lastExtension: null,
      line: at.line,
    })
  }

  text(text: string): void {
    if (this.skipDepth > 0) return
    const top = this.stack[this.stack.length - 1]
    if (!top) return
    if (top.textKind !== 'other') top.text += text
    this.emit(escText(text))
    this.outLine += countNewlines(text)
  }

  closeTag(): void {
    if (this.skipDepth > 0) {
      this.skipDepth--
      return
    }
    const f = this.stack.pop()
    if (!f) return
    if (f.textKind !== 'other') this.checkValue(f.textKind, f.text, f.line, f.local)
    if (!f.selfClosing) this.emit(`</${f.name}>`)
  }

  /** One private copy per distinct element label (see ownString). */
  private label(element: string): string {
    let l = this.labels.get(element)
    if (l === undefined) {
      l = ownString(element)
      this.labels.set(l, l)
    }
    return l
  }

  private addRef(value: string, line: number, element: string): void {
    this.refValues.push(ownString(value))
    this.refLines.push(line)
    this.refElements.push(this.label(element))
  }

  private checkValue(kind: ValueKind, raw: string, line: number, element: string): void {
    const value = raw.trim()
    if (value === '') return // lexically invalid: libxml2 reports it
    if (kind === 'id') {
      const prev = this.ids.get(value)
      if (prev !== undefined) {
        this.report({
          code: 'DUPLICATE_ID',
          message: `Identifiant « ${value} » déclaré deux fois (lignes ${prev} et ${line}, ${element}) : les identifiants xsd:ID doivent être uniques`,
          line,
          element: element.split('/')[0] ?? element,
        })
      } else this.ids.set(ownString(value), line)
    } else if (kind === 'idref') {
      this.addRef(value, line, element)
    } else if (kind === 'idrefs') {
      for (const v of value.split(/\s+/)) this.addRef(v, line, element)
    }
  }

  /** IDREFs are resolved once the whole document has been seen. */
  finish(): void {
    for (let i = 0; i < this.refValues.length; i++) {
      const r = { value: this.refValues[i]!, line: this.refLines[i]!, element: this.refElements[i]! }
      if (!this.ids.has(r.value)) {
        this.report({
          code: 'UNKNOWN_IDREF',
          message: `Référence « ${r.value} » (ligne ${r.line}, ${r.element}) vers un identifiant absent du bordereau`,
          line: r.line,
          element: r.element.split('/')[0] ?? r.element,
        })
      }
    }
  }

  take(): string {
    const s = this.pending.join('')
    this.pending = []
    return s
  }
}

// ---------------------------------------------------------------------------------------------
// libxml2 output → located French issues
// ---------------------------------------------------------------------------------------------

const LIBXML_FR: [RegExp, (m: RegExpMatchArray) => string][] = [
  [
    /^This element is not expected\. Expected is (?:one of )?\( (.*) \)\.?$/,
    (m) => `élément inattendu ; attendu : ${m[1]}`,
  ],
  [/^This element is not expected\.?$/, () => 'élément inattendu à cet endroit'],
  [
    /^Missing child element\(s\)\. Expected is (?:one of )?\( (.*) \)\.?$/,
    (m) => `élément(s) obligatoire(s) manquant(s) : ${m[1]}`,
  ],
  [
    /^'(.*)' is not a valid value of the (?:atomic|union|list) type '(.*)'\.?$/,
    (m) => `« ${m[1]} » n'est pas une valeur valide du type ${m[2]}`,
  ],
  [/^The attribute '(.*)' is required but missing\.?$/, (m) => `attribut obligatoire « ${m[1]} » manquant`],
  [/^The attribute '(.*)' is not allowed\.?$/, (m) => `attribut « ${m[1]} » non autorisé`],
  [
    /^\[facet '(\w+)'\] The value '(.*?)' (.*)$/,
    (m) => `la valeur « ${m[2]} » ne respecte pas la contrainte ${m[1]} (${m[3]})`,
  ],
  [/^The type definition is abstract\.?$/, () => 'le type de cet élément est abstrait (xsi:type requis)'],
  [
    /^Element content is not allowed, because the content type is a simple type definition\.?$/,
    () => 'contenu élément interdit : valeur simple attendue',
  ],
  [
    /^Character content other than whitespace is not allowed because the content type is 'element-only'\.?$/,
    () => 'texte interdit : seuls des éléments sont attendus ici',
  ],
]

function translateLibxml(msg: string): string {
  for (const [re, f] of LIBXML_FR) {
    const m = msg.match(re)
    if (m) return f(m)
  }
  return msg
}

function parseLibxmlErrors(stderr: string, version: SedaVersion): SchemaIssue[] {
  const out: SchemaIssue[] = []
  for (const raw of stderr.split('\n')) {
    const line = raw.trim()
    if (!line || / validates$/.test(line) || / fails to validate$/.test(line)) continue
    const m = line.match(/^[^:]*:(\d+): (?:element (\S+): )?(.*)$/)
    if (!m) {
      out.push({ code: 'XSD_INVALID', message: `Non conforme au schéma SEDA ${version} : ${line}` })
      continue
    }
    const lineNo = Number(m[1])
    let element = m[2]
    let attr: string | undefined
    const rest = (m[3] ?? '')
      .replace(/^(?:Schemas validity error|Schemas parser error|parser error|validity error)\s*:\s*/, '')
      .replace(
        /^Element '(?:\{[^}]*\})?([^']*)'(?:, attribute '([^']+)')?: /,
        (_s, el: string, a: string | undefined) => {
          element ??= el
          attr = a
          return ''
        },
      )
      .replace(/\{[^}]*\}/g, '')
    const where = [`ligne ${lineNo}`, element ? `élément ${element}` : '', attr ? `attribut ${attr}` : '']
      .filter(Boolean)
      .join(', ')
    const issue: SchemaIssue = {
      code: 'XSD_INVALID',
      message: `Non conforme au schéma SEDA ${version} (${where}) : ${translateLibxml(rest)}`,
      line: lineNo,
    }
    if (element) issue.element = element
    out.push(issue)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Engines
// ---------------------------------------------------------------------------------------------

interface EngineRun {
  /** Sends the next piece of the filtered document; resolves when it may accept more. */
  write(s: string): Promise<void>
  /** Ends input and waits for the verdict. */
  end(): Promise<{ valid: boolean; stderr: string }>
  abort(): void
}

let systemXmllint: boolean | undefined

/** Whether Debian's `xmllint` (libxml2-utils) is on the PATH (checked once). */
export function hasSystemXmllint(): boolean {
  if (systemXmllint === undefined) {
    const r = spawnSync('xmllint', ['--version'], { encoding: 'utf8', timeout: 10_000 })
    systemXmllint = r.status === 0 || /libxml/.test(`${r.stderr ?? ''}${r.stdout ?? ''}`)
  }
  return systemXmllint
}

function startSystemXmllint(schema: string): EngineRun {
  const child = spawn('xmllint', ['--nonet', '--noout', '--stream', '--schema', schema, '-'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (d: string) => {
    if (stderr.length < STDERR_CAP) stderr += d
  })
  let failed: Error | null = null
  child.stdin.on('error', (e) => {
    failed = e
  })
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve(code))
  })
  return {
    async write(s) {
      if (failed || s.length === 0) return
      if (!child.stdin.write(s)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            child.stdin.off('drain', done)
            child.stdin.off('close', done)
            resolve()
          }
          child.stdin.on('drain', done)
          child.stdin.on('close', done)
        })
      }
    },
    async end() {
      child.stdin.end()
      const code = await exited
      if (code !== 0 && code !== 3 && code !== 4) {
        throw new Error(`xmllint a échoué (code ${code}) : ${stderr.slice(0, 2000)}`)
      }
      return { valid: code === 0, stderr }
    },
    abort() {
      child.kill('SIGKILL')
    },
  }
}

interface SchemaFiles {
  main: string
  files: { fileName: string; contents: Uint8Array }[]
}

const wasmSchemaFiles = new Map<SedaVersion, SchemaFiles>()

function schemaFilesFor(version: SedaVersion): SchemaFiles {
  const hit = wasmSchemaFiles.get(version)
  if (hit) return hit
  const root = sedaAssetsDir()
  const files: SchemaFiles['files'] = []
  for (const dir of [`seda-${version}`, 'w3c']) {
    for (const f of readdirSync(join(root, dir))) {
      if (f.endsWith('.xsd'))
        files.push({ fileName: `${dir}/${f}`, contents: readFileSync(join(root, dir, f)) })
    }
  }
  const sf = { main: relative(root, join(root, `seda-${version}`, `seda-${version}-main.xsd`)), files }
  wasmSchemaFiles.set(version, sf)
  return sf
}

function startWasmXmllint(version: SedaVersion): EngineRun {
  const chunks: Buffer[] = []
  let size = 0
  return {
    async write(s) {
      const b = Buffer.from(s, 'utf8')
      chunks.push(b)
      size += b.length
    },
    async end() {
      const { main, files } = schemaFilesFor(version)
      const schema = files.find((f) => f.fileName === main)
      if (!schema) throw new Error(`schéma ${main} introuvable`)
      // Pages of 64 KiB: room for the document and libxml2's working memory, capped at 2 GiB.
      const pages = Math.min(32768, Math.max(512, Math.ceil((size * 4) / 65536) + 1024))
      const r = await validateXML({
        xml: [{ fileName: 'manifest.xml', contents: Buffer.concat(chunks, size) }],
        schema: [schema],
        preload: files.filter((f) => f !== schema),
        stream: true,
        initialMemoryPages: 256,
        maxMemoryPages: pages,
        modifyArguments: (args) => ['--nonet', ...args],
      })
      return { valid: r.valid, stderr: r.rawOutput }
    },
    abort() {
      chunks.length = 0
    },
  }
}

// ---------------------------------------------------------------------------------------------

export interface SedaValidator {
  readonly engine: ValidationEngine
  /**
   * Validates any SEDA message of the given version; `expectedRoot` (default none) refuses other roots.
   */
  validate(
    source: XmlSource,
    version: SedaVersion,
    options?: ValidateOptions & { expectedRoot?: string | null },
  ): Promise<SchemaValidationResult>
}

export interface ValidatorOptions {
  /** Engine to use; default: Debian `xmllint` when installed, otherwise xmllint-wasm. */
  engine?: ValidationEngine
  limits?: Partial<XmlLimits>
}

/** Creates a validator; the schema models are computed once per version and shared. */
export function createSedaValidator(options: ValidatorOptions = {}): SedaValidator {
  const engine: ValidationEngine = options.engine ?? (hasSystemXmllint() ? 'xmllint' : 'xmllint-wasm')
  return {
    engine,
    async validate(source, version, vopts = {}) {
      const started = performance.now()
      const useEngine = vopts.engine ?? engine
      const model = sedaSchemaModel(version)
      const maxReported = vopts.maxReportedIssues ?? DEFAULT_MAX_REPORTED
      const filter = new SchemaFilter(model, vopts.expectedRoot ?? null, maxReported)
      const run = useEngine === 'xmllint' ? startSystemXmllint(model.mainXsd) : startWasmXmllint(version)
      const stats: XmlStats = { bytes: 0, elements: 0, maxDepthSeen: 0 }
      const limits = { ...(options.limits ?? {}), ...(vopts.limits ?? {}) }
      let stopped = false
      try {
        await scanXml(
          source,
          {
            openTag: (tag, depth, at) => filter.openTag(tag, depth, at),
            closeTag: () => filter.closeTag(),
            text: (t) => filter.text(t),
            afterChunk: () => run.write(filter.take()),
          },
          limits,
          stats,
        )
        stopped = filter.issues.some((i) => i.code === 'VERSION_MISMATCH' || i.code === 'WRONG_ROOT')
      } catch (e) {
        run.abort()
        if (e instanceof XmlScanError) {
          return {
            valid: false,
            version,
            engine: useEngine,
            detail: 'CHECK_SEDA.NOT_XML_FILE.KO',
            errors: [{ ...e.issue }],
            extensions: filter.extensions,
            extensionCount: filter.extensionCount,
            stats,
            durationMs: Math.round(performance.now() - started),
          }
        }
        throw e
      }
      if (stopped) {
        run.abort()
        return {
          valid: false,
          version,
          engine: useEngine,
          detail: 'CHECK_SEDA.NOT_XSD_VALID.KO',
          errors: filter.issues,
          extensions: filter.extensions,
          extensionCount: filter.extensionCount,
          stats,
          durationMs: Math.round(performance.now() - started),
        }
      }
      filter.finish()
      await run.write(filter.take())
      const verdict = await run.end()
      const xsdIssues = verdict.valid ? [] : parseLibxmlErrors(verdict.stderr, version)
      if (!verdict.valid && xsdIssues.length === 0) {
        xsdIssues.push({ code: 'XSD_INVALID', message: `Non conforme au schéma SEDA ${version}` })
      }
      const errors = [...filter.issues, ...xsdIssues]
        .sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER))
        .slice(0, maxReported)
      const valid = verdict.valid && filter.issueCount === 0
      return {
        valid,
        version,
        engine: useEngine,
        detail: valid ? 'CHECK_SEDA.OK' : 'CHECK_SEDA.NOT_XSD_VALID.KO',
        errors,
        extensions: filter.extensions,
        extensionCount: filter.extensionCount,
        stats,
        durationMs: Math.round(performance.now() - started),
      }
    },
  }
}

let shared: SedaValidator | undefined

/** The process-wide validator (created on first use, then reused). */
export function defaultSedaValidator(): SedaValidator {
  shared ??= createSedaValidator()
  return shared
}
