/** Injectable time source, so that tests are deterministic. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** ISO-8601 UTC with milliseconds: how every timestamp is stored (sorts as text on both dialects). */
export function isoNow(clock: Clock): string {
  return clock.now().toISOString()
}
