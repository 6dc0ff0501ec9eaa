/**
 * A strict JSON reader (RFC 8259) that remembers where every object member and array item starts, so
 * that validation errors name a line and a column. Nesting is bounded: a hostile file of a million
 * brackets is refused at the limit instead of exhausting the stack.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject
export interface JsonObject {
  [key: string]: JsonValue
}

export interface Pos {
  readonly line: number
  readonly column: number
}

export interface JsonSyntaxError extends Pos {
  readonly code: 'JSON_SYNTAX' | 'JSON_TOO_DEEP'
  readonly message: string
}

export interface DuplicateKey extends Pos {
  readonly key: string
}

export interface JsonDocument {
  readonly value: JsonValue
  /** Position of the value itself, for every object and array. */
  readonly at: WeakMap<object, Pos>
  /** Position of each member's key, for every object. */
  readonly keys: WeakMap<object, Map<string, Pos>>
  /** Position of each item, for every array. */
  readonly items: WeakMap<object, Pos[]>
  readonly duplicates: readonly DuplicateKey[]
}

export const MAX_JSON_DEPTH = 64

class Fail extends Error {
  constructor(
    readonly offset: number,
    readonly code: 'JSON_SYNTAX' | 'JSON_TOO_DEEP',
    message: string,
  ) {
    super(message)
  }
}

export function readJson(
  text: string,
  maxDepth = MAX_JSON_DEPTH,
): { ok: true; doc: JsonDocument } | { ok: false; error: JsonSyntaxError } {
  const lineStarts = [0]
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0x0a) lineStarts.push(i + 1)
  const posOf = (offset: number): Pos => {
    let lo = 0
    let hi = lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (lineStarts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, column: offset - lineStarts[lo]! + 1 }
  }
  const at = new WeakMap<object, Pos>()
  const keys = new WeakMap<object, Map<string, Pos>>()
  const items = new WeakMap<object, Pos[]>()
  const duplicates: DuplicateKey[] = []
  let i = 0
  const n = text.length

  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i += 1
      else break
    }
  }
  const describe = (offset: number) =>
    offset >= n ? 'la fin du fichier' : `« ${text.slice(offset, offset + 1)} »`

  const readString = (): string => {
    // text[i] is the opening quote
    i += 1
    let out = ''
    let chunk = i
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 0x22) {
        out += text.slice(chunk, i)
        i += 1
        return out
      }
      if (c === 0x5c) {
        out += text.slice(chunk, i)
        const e = text[i + 1]
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        }
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e]
          i += 2
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16))
          i += 6
        } else {
          throw new Fail(i, 'JSON_SYNTAX', `Séquence d’échappement invalide « \\${e ?? ''} » dans une chaîne`)
        }
        chunk = i
        continue
      }
      if (c < 0x20) {
        throw new Fail(
          i,
          'JSON_SYNTAX',
          c === 0x0a
            ? 'Chaîne non terminée : un guillemet fermant manque avant la fin de la ligne'
            : 'Caractère de contrôle non échappé dans une chaîne',
        )
      }
      i += 1
    }
    throw new Fail(i, 'JSON_SYNTAX', 'Chaîne non terminée : un guillemet fermant manque')
  }

  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

  const readValue = (depth: number): JsonValue => {
    ws()
    if (i >= n) throw new Fail(i, 'JSON_SYNTAX', 'Valeur attendue mais fin du fichier atteinte')
    const c = text[i]
    if (c === '{' || c === '[') {
      if (depth >= maxDepth) {
        throw new Fail(
          i,
          'JSON_TOO_DEEP',
          `Imbrication trop profonde : ${maxDepth} niveaux d’objets ou de tableaux au plus`,
        )
      }
      return c === '{' ? readObject(depth + 1) : readArray(depth + 1)
    }
    if (c === '"') return readString()
    if (text.startsWith('true', i)) {
      i += 4
      return true
    }
    if (text.startsWith('false', i)) {
      i += 5
      return false
    }
    if (text.startsWith('null', i)) {
      i += 4
      return null
    }
    NUMBER.lastIndex = i
    const m = NUMBER.exec(text)
    if (m && m[0].length > 0) {
      i += m[0].length
      return Number(m[0])
    }
    throw new Fail(
      i,
      'JSON_SYNTAX',
      `Valeur JSON invalide à partir de ${describe(i)} : une chaîne doit être entre guillemets`,
    )
  }

  const readObject = (depth: number): JsonObject => {
    const obj: JsonObject = Object.create(null) as JsonObject
    const keyPos = new Map<string, Pos>()
    at.set(obj, posOf(i))
    keys.set(obj, keyPos)
    i += 1
    ws()
    if (text[i] === '}') {
      i += 1
      return obj
    }
    for (;;) {
      ws()
      if (text[i] !== '"') {
        throw new Fail(i, 'JSON_SYNTAX', `Nom de propriété entre guillemets attendu, trouvé ${describe(i)}`)
      }
      const kAt = posOf(i)
      const key = readString()
      ws()
      if (text[i] !== ':') {
        throw new Fail(
          i,
          'JSON_SYNTAX',
          `« : » attendu après le nom de propriété « ${key} », trouvé ${describe(i)}`,
        )
      }
      i += 1
      const v = readValue(depth)
      if (keyPos.has(key)) duplicates.push({ key, ...kAt })
      keyPos.set(key, kAt)
      obj[key] = v
      ws()
      if (text[i] === ',') {
        i += 1
        continue
      }
      if (text[i] === '}') {
        i += 1
        return obj
      }
      throw new Fail(
        i,
        'JSON_SYNTAX',
        `« , » ou « } » attendu après la valeur de « ${key} », trouvé ${describe(i)}`,
      )
    }
  }

  const readArray = (depth: number): JsonValue[] => {
    const arr: JsonValue[] = []
    const itemPos: Pos[] = []
    at.set(arr, posOf(i))
    items.set(arr, itemPos)
    i += 1
    ws()
    if (text[i] === ']') {
      i += 1
      return arr
    }
    for (;;) {
      ws()
      itemPos.push(posOf(i))
      arr.push(readValue(depth))
      ws()
      if (text[i] === ',') {
        i += 1
        continue
      }
      if (text[i] === ']') {
        i += 1
        return arr
      }
      throw new Fail(i, 'JSON_SYNTAX', `« , » ou « ] » attendu dans le tableau, trouvé ${describe(i)}`)
    }
  }

  try {
    const value = readValue(0)
    ws()
    if (i < n)
      throw new Fail(i, 'JSON_SYNTAX', `Contenu inattendu après la fin du document JSON : ${describe(i)}`)
    return { ok: true, doc: { value, at, keys, items, duplicates } }
  } catch (e) {
    if (e instanceof Fail) {
      const p = posOf(Math.min(e.offset, Math.max(n - 1, 0)))
      return { ok: false, error: { ...p, code: e.code, message: e.message } }
    }
    throw e
  }
}

export function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
