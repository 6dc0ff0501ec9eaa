import { crc32 } from 'node:zlib'
import type { LimitName, UnsafeRule } from './errors.js'

/**
 * Vitam's manifest name rule (VitamConstants.MANIFEST_FILE_NAME_REGEX, Vitam 7.0.1:
 * `^([a-zA-Z0-9_\-]{0,56}[_-]{1}){0,1}(manifest.xml)\b`, applied with Java `String.matches`, i.e. to the
 * whole name, case-sensitive). We escape the dot Vitam leaves unescaped (Vitam also accepts
 * `manifestXxml`), which is the only difference. Only root-level file entries are candidates.
 */
export const MANIFEST_NAME_PATTERN = /^(?:[a-zA-Z0-9_-]{0,56}[_-])?manifest\.xml$/

/** Longest path component accepted, in UTF-8 bytes (ext4/XFS NAME_MAX). */
export const MAX_COMPONENT_BYTES = 255

export function isManifestName(path: string, pattern: RegExp = MANIFEST_NAME_PATTERN): boolean {
  return !path.includes('/') && pattern.test(path)
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

// High half of code page 437 (bytes 0x80-0xFF), per the zip specification (APPNOTE appendix D).
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0'

export function decodeCp437(raw: Uint8Array): string {
  let s = ''
  for (const b of raw) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]
  return s
}

function isAscii(raw: Uint8Array): boolean {
  for (const b of raw) if (b >= 0x80) return false
  return true
}

function tryUtf8(raw: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(raw)
  } catch {
    return undefined
  }
}

export type DecodedName = { ok: true; name: string; encoding: 'ascii' | 'utf8' | 'cp437' } | { ok: false }

/**
 * Decodes a raw zip entry name.
 * - Info-ZIP Unicode Path extra field (0x7075) whose CRC matches the raw name: its UTF-8 name (strict).
 * - General purpose bit 11 set: strict UTF-8 (invalid sequences refuse the entry).
 * - Otherwise ASCII as is; non-ASCII bytes that form valid UTF-8 are read as UTF-8 (what macOS and many
 *   tools write without setting the flag); anything else is read as CP437, as the zip specification says.
 *   Control bytes are kept as controls (not CP437 glyphs), so the name checks refuse them.
 */
export function decodeZipName(
  raw: Buffer,
  generalPurposeBitFlag: number,
  extraFields: readonly { id: number; data: Buffer }[],
): DecodedName {
  for (const field of extraFields) {
    if (field.id !== 0x7075 || field.data.length < 6 || field.data[0] !== 1) continue
    if (field.data.readUInt32LE(1) !== crc32(raw)) continue
    const name = tryUtf8(field.data.subarray(5))
    return name === undefined ? { ok: false } : { ok: true, name, encoding: 'utf8' }
  }
  if (isAscii(raw)) return { ok: true, name: raw.toString('latin1'), encoding: 'ascii' }
  const utf8 = tryUtf8(raw)
  if (utf8 !== undefined) return { ok: true, name: utf8, encoding: 'utf8' }
  if ((generalPurposeBitFlag & 0x800) !== 0) return { ok: false }
  return { ok: true, name: decodeCp437(raw), encoding: 'cp437' }
}

export type NameCheck =
  | { ok: true; root: false; path: string; directorySuffix: boolean }
  /** The `./` entry of a tar made with `tar -C dir .`: the root itself, ignored. */
  | { ok: true; root: true }
  | { ok: false; rule: UnsafeRule }
  | { ok: false; limit: LimitName; max: number; actual: number }

// C0, DEL, C1 controls, and bidirectional formatting characters (names that display differently).
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/

/**
 * Checks an entry name and returns its canonical path (no leading `./`, no trailing `/`).
 * Refused: empty, U+FFFD (invalid UTF-8 replaced by a decoder), control and bidi characters, backslash,
 * absolute paths, drive letters, empty/`.`/`..` segments, names over `maxNameBytes`, components over 255 bytes.
 */
export function checkEntryName(raw: string, maxNameBytes: number): NameCheck {
  if (raw === '') return { ok: false, rule: 'empty' }
  if (raw.includes('\ufffd')) return { ok: false, rule: 'invalid-utf8' }
  if (FORBIDDEN_CHARS.test(raw)) return { ok: false, rule: 'control-character' }
  if (raw.includes('\\')) return { ok: false, rule: 'backslash' }
  if (raw.startsWith('/')) return { ok: false, rule: 'absolute' }
  if (/^[a-zA-Z]:/.test(raw)) return { ok: false, rule: 'drive-letter' }
  const bytes = Buffer.byteLength(raw, 'utf8')
  if (bytes > maxNameBytes) return { ok: false, limit: 'maxNameBytes', max: maxNameBytes, actual: bytes }
  let path = raw.startsWith('./') ? raw.slice(2) : raw
  if (path === '') return { ok: true, root: true }
  const directorySuffix = path.endsWith('/')
  if (directorySuffix) path = path.slice(0, -1)
  for (const segment of path.split('/')) {
    if (segment === '') return { ok: false, rule: 'empty-segment' }
    if (segment === '.' || segment === '..') return { ok: false, rule: 'dot-segment' }
    if (segment.length * 3 > MAX_COMPONENT_BYTES) {
      const n = Buffer.byteLength(segment, 'utf8')
      if (n > MAX_COMPONENT_BYTES)
        return { ok: false, limit: 'maxComponentBytes', max: MAX_COMPONENT_BYTES, actual: n }
    }
  }
  return { ok: true, root: false, path, directorySuffix }
}

const PLAIN_ASCII = /^[\u0020-\u007e]*$/

/** Comparison key: Unicode NFC, then full case folding approximated by upper-then-lower case mapping. */
export function foldKey(path: string): string {
  if (PLAIN_ASCII.test(path)) return path.toLowerCase()
  return path.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC')
}

type Slot = { kind: 'file' | 'dir' | 'implicit-dir'; name: string }

/**
 * Finds entries that would land on the same path on a case-insensitive, normalising file system: two
 * files, two directories, or a file and a directory (explicit or implied by a deeper path).
 */
export class NameIndex {
  private readonly slots = new Map<string, Slot>()

  /** Registers a path; returns the name it conflicts with, if any. */
  add(path: string, isDirectory: boolean): string | undefined {
    const key = foldKey(path)
    // Ancestors, from the deepest: stop at the first one already known as a directory.
    let cut = key.lastIndexOf('/')
    while (cut > 0) {
      const ancestor = key.slice(0, cut)
      const slot = this.slots.get(ancestor)
      if (slot !== undefined) {
        if (slot.kind === 'file') return slot.name
        break
      }
      this.slots.set(ancestor, { kind: 'implicit-dir', name: originalPrefix(path, ancestor) })
      cut = key.lastIndexOf('/', cut - 1)
    }
    const slot = this.slots.get(key)
    if (slot === undefined) {
      this.slots.set(key, { kind: isDirectory ? 'dir' : 'file', name: path })
      return undefined
    }
    if (slot.kind === 'implicit-dir' && isDirectory) {
      this.slots.set(key, { kind: 'dir', name: path })
      return undefined
    }
    return slot.name
  }
}

function originalPrefix(path: string, keyPrefix: string): string {
  let segments = 1
  for (let i = 0; i < keyPrefix.length; i++) if (keyPrefix.charCodeAt(i) === 47) segments++
  return path.split('/').slice(0, segments).join('/')
}
