import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createStorage, type Durability, type FsBlobStore } from './index.js'
import { allFiles, seededBytes, seededSize, tempDir } from './test-support.js'

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url))

/**
 * Runs the writer child until `killWhen` says so, SIGKILLs it (at once, or as soon as the file named
 * by `watch` appears), and returns the keys of the batches it reported committed.
 */
async function runAndKill(
  dir: string,
  durability: Durability,
  killWhen: (line: string, committed: number) => boolean,
  /** Kill as soon as this file appears (polled every millisecond) instead of at once. */
  watch?: (line: string) => string,
) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, durability], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const committed: string[] = []
  let batches = 0
  let killedAt = ''
  const lines = createInterface({ input: child.stdout })
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  )
  for await (const line of lines) {
    if (line.startsWith('COMMITTED ')) {
      batches++
      committed.push(...(line.split(' ')[2] ?? '').split(','))
    }
    if (!killedAt && killWhen(line, batches)) {
      killedAt = `at ${line.split(' ').slice(0, 2).join(' ')}`
      if (watch) {
        const path = watch(line)
        killedAt = `when ${path.slice(dir.length + 1)} appeared, after ${line.split(' ').slice(0, 2).join(' ')}`
        const timer = setInterval(() => {
          if (existsSync(path)) {
            child.kill('SIGKILL')
            clearInterval(timer)
          }
        }, 1)
        child.on('exit', () => clearInterval(timer))
      } else child.kill('SIGKILL')
    }
  }
  const signal = await exited
  assert.equal(signal, 'SIGKILL', `the writer should have been killed; stderr: ${stderr}`)
  return { committed, killedAt }
}

async function checkAfterRestart(dir: string, committed: readonly string[]) {
  const before = [...(await allFiles(join(dir, 'a'))), ...(await allFiles(join(dir, 'b')))]
  const tempsBefore = before.filter((f) => f.split('/').at(-1)?.startsWith('.tmp-')).length
  const storage = createStorage([
    { id: 'fs-a', kind: 'fs', root: join(dir, 'a') },
    { id: 'fs-b', kind: 'fs', root: join(dir, 'b') },
  ])
  await storage.checkOffers()
  const swept = await storage.sweepTemp()
  assert.equal(swept, tempsBefore, 'every temp file of the dead writer is swept')
  for (const root of ['a', 'b']) {
    assert.deepEqual(
      (await allFiles(join(dir, root))).filter((f) => f.includes('.tmp-')),
      [],
      `no temp file left in ${root}`,
    )
  }
  // everything reported committed is on both offers, byte-exact
  for (const key of committed) {
    const expected = seededBytes(key, seededSize(key))
    for (const o of storage.offers as FsBlobStore[]) {
      const got = await readFile(o.pathOf(key))
      assert.ok(got.equals(expected), `${key} on ${o.id} is intact`)
    }
  }
  // nothing half-written is visible under a final name: every visible object is complete
  let visible = 0
  for (const o of storage.offers as FsBlobStore[]) {
    for await (const h of o.list()) {
      visible++
      const got = await readFile(o.pathOf(h.key))
      assert.ok(got.equals(seededBytes(h.key, seededSize(h.key))), `visible ${h.key} on ${o.id} is complete`)
    }
  }
  return { tempsBefore, visible }
}

describe('crash safety (writer killed with SIGKILL)', () => {
  test('killed while putting a batch: committed batches intact, the open batch invisible, temps swept', async (t) => {
    const dir = await tempDir(t, 'saeh-crash-')
    const { committed, killedAt } = await runAndKill(
      dir,
      'syncfs',
      (line, n) => n >= 3 && line.startsWith('STAGED '),
    )
    assert.ok(committed.length >= 90)
    const r = await checkAfterRestart(dir, committed)
    assert.ok(r.tempsBefore > 0, 'the kill landed while temp files existed')
    assert.equal(r.visible, committed.length * 2, 'only committed objects are visible')
    t.diagnostic(
      `killed ${killedAt}; ${committed.length} committed objects verified; ${r.tempsBefore} temp files swept`,
    )
  })

  for (const durability of ['syncfs', 'parallel'] as Durability[]) {
    test(`killed as a commit starts (${durability}): committed intact, whatever is visible is complete`, async (t) => {
      const dir = await tempDir(t, 'saeh-crash-')
      const { committed, killedAt } = await runAndKill(
        dir,
        durability,
        (line, n) => n >= 3 && line.startsWith('COMMITTING '),
      )
      const r = await checkAfterRestart(dir, committed)
      assert.ok(r.visible >= committed.length * 2)
      t.diagnostic(
        `killed ${killedAt}; ${committed.length} committed objects verified; ` +
          `${r.visible - committed.length * 2} copies of the interrupted batch visible and complete; ${r.tempsBefore} temp files swept`,
      )
    })
  }

  for (const durability of ['syncfs', 'parallel'] as Durability[]) {
    test(`killed while linking the batch into place (${durability}): only complete copies are visible`, async (t) => {
      const dir = await tempDir(t, 'saeh-crash-')
      const { committed, killedAt } = await runAndKill(
        dir,
        durability,
        (line, n) => n >= 3 && line.startsWith('COMMITTING '),
        (line) => {
          const n = Number(line.split(' ')[1])
          return join(dir, 'a', 't1', String(n % 100).padStart(2, '0'), `b${n}-o0`)
        },
      )
      const r = await checkAfterRestart(dir, committed)
      t.diagnostic(
        `killed ${killedAt}; ${committed.length} committed objects verified; ` +
          `${r.visible - committed.length * 2} copies of the interrupted batch visible and complete; ${r.tempsBefore} temp files swept`,
      )
    })
  }
})
