import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** Every regular file under a folder (an fs offer, a staging folder), recursively, dot files included. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...filesUnder(p))
    else out.push(p)
  }
  return out
}
