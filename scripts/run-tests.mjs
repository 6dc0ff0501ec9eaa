// Runs every *.test.ts under src/ and test/ with node's test runner (Node 20 does not expand globs).
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) collect(p, out)
    else if (name.endsWith('.test.ts')) out.push(p)
  }
  return out
}

const only = process.argv.slice(2)
const files = only.length > 0 ? only : [...collect('src', []), ...collect('test', [])].sort()
if (files.length === 0) {
  console.error('no test files found')
  process.exit(2)
}
// The HTTP and browser tests serve the built web application: build it first when its sources changed.
const built = spawnSync(process.execPath, ['scripts/build-web.mjs', '--if-stale'], { stdio: 'inherit' })
if (built.status !== 0) {
  console.error('the web application (src/web) does not build')
  process.exit(2)
}
const concurrency = process.env.SAEH_TEST_CONCURRENCY ?? '2'
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
)
process.exit(r.status ?? 2)
