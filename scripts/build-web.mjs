// Builds the web application (src/web → web/dist) with Vite.
//   node scripts/build-web.mjs            always build
//   node scripts/build-web.mjs --if-stale build only when web/dist is missing or older than its sources
//   --optional                            without Vite (an install with --omit=dev), warn and exit 0
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

/** Loads Vite; null when it is not installed (an install with --omit=dev). */
async function loadVite() {
  try {
    return await import('vite')
  } catch (e) {
    if (e?.code === 'ERR_MODULE_NOT_FOUND') return null
    throw e
  }
}

export async function buildWeb() {
  const vite = await loadVite()
  if (!vite)
    throw new Error('Vite absent : installez les devDependencies (npm ci) pour construire l’interface')
  await vite.build({ configFile: join(root, 'src', 'web', 'vite.config.ts'), logLevel: 'warn' })
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ifStale = process.argv.includes('--if-stale')
  const optional = process.argv.includes('--optional')
  if (ifStale && !isStale()) {
    console.log('web/dist est à jour')
  } else {
    const t0 = Date.now()
    if (optional && !(await loadVite())) {
      console.warn('interface web non construite : Vite absent (installation sans devDependencies)')
    } else {
      await buildWeb()
      console.log(`interface web construite dans web/dist (${Date.now() - t0} ms)`)
    }
  }
}
