import type { Clock } from '../../src/platform/clock.js'
import type { IdSource } from '../../src/platform/ids.js'

/** A clock that only moves when told to (or by 1 ms per reading, for ordering). */
export function fixedClock(start = '2026-01-15T09:00:00.000Z'): Clock & { advance(ms: number): void } {
  let t = Date.parse(start)
  return {
    now: () => new Date(t++),
    advance(ms: number) {
      t += ms
    },
  }
}

export function sequentialIds(prefix = 'id'): IdSource {
  let n = 0
  return { next: () => `${prefix}-${String(++n).padStart(6, '0')}` }
}
