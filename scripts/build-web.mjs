// Builds the web application (src/web → web/dist) with Vite.
//   node scripts/build-web.mjs            always build
//   node scripts/build-web.mjs --if-stale build only when web/dist is missing or older than its sources
// Used by `npm run build:web`, by the `prepare` script (so `npm ci` leaves a built UI) and by the e2e tests.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const out = join(root, 'web', 'dist', 'index.html')
// The bundle also takes the tenancy policy and types from the server's sources.
const sources = [join(root, 'src', 'web'), join(root, 'src', 'modules', 'tenancy')]

function newest(path) {
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let m = st.mtimeMs
  for (const name of readdirSync(path)) m = Math.max(m, newest(join(path, name)))
  return m
}

export function isStale() {
  if (!existsSync(out)) return true
  const built = statSync(out).mtimeMs
  return sources.some((s) => newest(s) > built)
}

export async function buildWeb() {
  const { build } = await import('vite')
  await build({ configFile: join(root, 'src', 'web', 'vite.config.ts'), logLevel: 'warn' })
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ifStale = process.argv.includes('--if-stale')
  if (ifStale && !isStale()) {
    console.log('web/dist est à jour')
  } else {
    const t0 = Date.now()
    await buildWeb()
    console.log(`interface web construite dans web/dist (${Date.now() - t0} ms)`)
  }
}
