/**
 * Canonical JSON (keys sorted at every depth, no insignificant white space, `undefined` dropped), the
 * serialisation that audit hashes are computed over. It follows RFC 8785 (JCS) for the values we store:
 * strings, finite numbers, booleans, null, arrays and plain objects.
 *
 * Written as plain loops and string concatenation (no intermediate arrays from filter/map/join): the
 * logbook verification serialises every event of every chain with it. The output is byte for byte
 * that of the original map/join version (kept in canonical-json.test.ts as the reference).
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number')
      return JSON.stringify(value)
    case 'object': {
      if (Array.isArray(value)) {
        let out = '['
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ','
          // a hole of a sparse array stays empty, as Array.prototype.map + join rendered it
          if (i in value) out += canonicalJson((value[i] as unknown) ?? null)
        }
        return out + ']'
      }
      const obj = value as Record<string, unknown>
      const keys = Object.keys(obj).sort()
      let out = '{'
      let first = true
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!
        const v = obj[k]
        if (v === undefined) continue
        if (first) first = false
        else out += ','
        out += JSON.stringify(k) + ':' + canonicalJson(v)
      }
      return out + '}'
    }
    default:
      throw new TypeError(`canonicalJson: unsupported type ${typeof value}`)
  }
}
