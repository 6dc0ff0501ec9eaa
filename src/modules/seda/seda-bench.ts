/**
 * Timing and peak memory of the SEDA module on synthetic manifests (not a test).
 *   node --import tsx src/modules/seda/seda-bench.ts [sizeMB ...]        (default: 1 50)
 * Each step runs in its own Node process so that its peak RSS is its own; `xmllint` (a child of
 * the validate step) is measured separately with `/usr/bin/time -f %M` when available.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  checkXmlSafety,
  createSedaValidator,
  detectSedaVersion,
  readManifest,
  type SedaVersion,
  type ValidationEngine,
} from './index.js'
import { generateManifest } from './test-support.js'

const self = fileURLToPath(import.meta.url)
const STEPS = ['safety', 'detect', 'validate-xmllint', 'validate-wasm', 'read', 'read-callbacks'] as const

async function runStep(step: string, file: string, version: SedaVersion): Promise<Record<string, unknown>> {
  const t0 = performance.now()
  let info: Record<string, unknown> = {}
  if (step === 'safety') info = { ok: (await checkXmlSafety(file)).ok }
  else if (step === 'detect') info = { ok: (await detectSedaVersion(file)).ok }
  else if (step.startsWith('validate-')) {
    const engine = step.slice('validate-'.length) as ValidationEngine
    const r = await createSedaValidator({ engine }).validate(file, version, {
      expectedRoot: 'ArchiveTransfer',
    })
    info = {
      valid: r.valid,
      extensions: r.extensionCount,
      errors: r.errors.slice(0, 3).map((e) => e.message),
    }
  } else if (step === 'read') {
    const m = await readManifest(file)
    info = { units: m.counts.units, objects: m.counts.binaryDataObjects }
  } else if (step === 'read-callbacks') {
    let n = 0
    const m = await readManifest(file, { onUnit: () => n++, onDataObject: () => undefined })
    info = { units: n, objects: m.counts.binaryDataObjects }
  }
  return {
    ms: Math.round(performance.now() - t0),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    ...info,
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  if (args[0] === '--step') {
    const [, step, file, version] = args
    console.log(JSON.stringify(await runStep(step!, file!, version as SedaVersion)))
    return
  }
  const sizes = (args.length > 0 ? args : ['1', '50']).map(Number)
  const dir = mkdtempSync(join(tmpdir(), 'seda-bench-'))
  const hasTime = existsSync('/usr/bin/time')
  try {
    for (const mb of sizes) {
      for (const extensions of [false, true]) {
        const file = join(dir, `m-${mb}-${extensions}.xml`)
        const g = await generateManifest(file, { version: '2.2', targetBytes: mb * 1024 * 1024, extensions })
        console.log(
          `\n# ${(g.bytes / 1048576).toFixed(1)} MB, ${g.units} units, ${g.objects} objects, extensions=${extensions}`,
        )
        for (const step of STEPS) {
          const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--step', step, file, '2.2'], {
            encoding: 'utf8',
            maxBuffer: 16 * 1024 * 1024,
          })
          console.log(step.padEnd(16), r.stdout.trim() || r.stderr.trim().split('\n').slice(-3).join(' '))
        }
        if (hasTime) {
          const x = spawnSync(
            '/usr/bin/time',
            [
              '-f',
              '%e s %M KB',
              'xmllint',
              '--nonet',
              '--noout',
              '--stream',
              '--schema',
              join(import.meta.dirname, '../../assets/seda/seda-2.2/seda-2.2-main.xsd'),
              file,
            ],
            { encoding: 'utf8' },
          )
          console.log('xmllint alone'.padEnd(16), x.stderr.trim().split('\n').slice(-2).join(' | '))
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
