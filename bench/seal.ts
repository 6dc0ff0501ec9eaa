/**
 * Seal benchmark: inserts N logbook events (default 1,000,000, in 3 tenant chains) directly into a
 * fresh SQLite instance, then times sealing them (read hashes, Merkle tree, RFC 3161 token, copies on
 * two offers) and verifying them as `saeh logbook verify` does (one pass over the events: every chain
 * re-hashed from its canonical JSON, feeding every seal's Merkle tree; then tokens + stored copies).
 * Baselines measured in the same run: `openssl dgst -sha512`
 * over the events' canonical JSON bytes (what verification must hash), and a bare better-sqlite3
 * scan of the (chain, seq, hash) rows.
 * Run: node --import tsx bench/seal.ts     Options (env): BENCH_EVENTS (default 1000000).
 */
import { execFileSync } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { loadConfig } from '../src/config/config.js'
import { buildContainer } from '../src/main/container.js'
import { initInstance } from '../src/main/instance.js'
import { eventHash, GENESIS_HASH } from '../src/modules/audit/index.js'
import { canonicalJson } from '../src/platform/canonical-json.js'
import { silentLogger } from '../src/platform/log.js'

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000)
const CHAINS = ['bench-a', 'bench-b', 'bench-c']
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`

const dir = await mkdtemp(path.join(os.tmpdir(), 'saeh-bench-seal-'))
try {
  const home = path.join(dir, 'home')
  const config = loadConfig({ SAEH_HOME: home })
  const c = await buildContainer(config, { log: silentLogger() })
  await initInstance(c)
  for (const t of CHAINS)
    await c.db.kysely
      .insertInto('tenant')
      .values({ id: t, name: t, controlled_by: null, created_at: new Date().toISOString() })
      .execute()
  await c.seals.seal('bench') // seal what init logged, so the timed seal is the N events (+1)
  await c.close()

  // 1. Insert N chained events directly (not timed as a SAEH feature).
  let t0 = Date.now()
  const raw = new Database(config.database.dialect === 'sqlite' ? config.database.file : '')
  raw.pragma('journal_mode = WAL')
  raw.pragma('synchronous = OFF')
  const ins = raw.prepare(
    `insert into logbook_event (chain, seq, operation_id, tenant_id, event_type, outcome, detail, message, agent, object_id, data, created_at, prev_hash, hash)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const canonFile = path.join(dir, 'events.canonical')
  const canon = createWriteStream(canonFile)
  const heads = new Map<string, { seq: number; hash: string }>()
  for (const ch of CHAINS) {
    const h = raw.prepare('select last_seq, last_hash from logbook_chain where chain = ?').get(ch) as
      | { last_seq: number; last_hash: string }
      | undefined
    heads.set(ch, { seq: h?.last_seq ?? 0, hash: h?.last_hash ?? GENESIS_HASH })
  }
  const created = new Date().toISOString()
  const BATCH = 20_000
  for (let start = 0; start < N; start += BATCH) {
    const lines: string[] = []
    raw.transaction(() => {
      for (let i = start; i < Math.min(N, start + BATCH); i++) {
        const chain = CHAINS[i % CHAINS.length]!
        const head = heads.get(chain)!
        const e = {
          chain,
          seq: head.seq + 1,
          operationId: `op-${Math.floor(i / 100)}`,
          tenantId: chain,
          type: 'BENCH_EVENT',
          outcome: 'OK' as const,
          detail: 'BENCH_EVENT.OK',
          message: `événement de mesure n° ${i}`,
          agent: 'bench',
          objectId: `obj-${i}`,
          data: { i, size: i * 7 },
          createdAt: created,
          prevHash: head.hash,
        }
        const hash = eventHash(e)
        lines.push(canonicalJson(e))
        ins.run(
          e.chain,
          e.seq,
          e.operationId,
          e.tenantId,
          e.type,
          e.outcome,
          e.detail,
          e.message,
          e.agent,
          e.objectId,
          JSON.stringify(e.data),
          e.createdAt,
          e.prevHash,
          hash,
        )
        heads.set(chain, { seq: e.seq, hash })
      }
    })()
    canon.write(lines.join('\n') + '\n')
  }
  const upd = raw.prepare(
    `insert into logbook_chain (chain, last_seq, last_hash) values (?, ?, ?)
     on conflict(chain) do update set last_seq = excluded.last_seq, last_hash = excluded.last_hash`,
  )
  for (const [ch, h] of heads) upd.run(ch, h.seq, h.hash)
  await new Promise<void>((r) => canon.end(r))
  raw.pragma('wal_checkpoint(TRUNCATE)')
  console.log(`inserted ${N.toLocaleString('en')} events in ${s(Date.now() - t0)}`)

  // Baselines.
  t0 = Date.now()
  let rows = 0
  for (const _r of raw.prepare('select chain, seq, hash from logbook_event order by chain, seq').iterate())
    rows++
  const scanMs = Date.now() - t0
  raw.close()
  t0 = Date.now()
  execFileSync('openssl', ['dgst', '-sha512', canonFile], { stdio: 'ignore' })
  const dgstMs = Date.now() - t0
  const bytes = (await import('node:fs')).statSync(canonFile).size
  console.log(
    `baseline: better-sqlite3 scan of ${rows.toLocaleString('en')} (chain, seq, hash) rows: ${s(scanMs)}`,
  )
  console.log(
    `baseline: openssl dgst -sha512 over the events' canonical JSON (${(bytes / 1e6).toFixed(0)} MB): ${s(dgstMs)}`,
  )

  // 2. Seal and verify through SAEH.
  const c2 = await buildContainer(config, { log: silentLogger() })
  t0 = Date.now()
  const sealed = await c2.seals.seal('bench')
  const sealMs = Date.now() - t0
  console.log(
    `seal: ${sealed.events.toLocaleString('en')} events in ${s(sealMs)} (${Math.round(sealed.events / (sealMs / 1000)).toLocaleString('en')} events/s; ${(sealMs / scanMs).toFixed(1)}× the bare row scan)`,
  )
  // as `saeh logbook verify` does: one pass over the events re-hashing the chains and feeding the seals'
  // Merkle trees (hashed on a worker thread), then each seal's document, chaining, token and copies
  t0 = Date.now()
  const { chains, seals } = await c2.seals.verifyLogbook()
  const verifyMs = Date.now() - t0
  if (!chains.ok || !seals.ok)
    throw new Error(`verification failed: ${JSON.stringify(seals.firstBreak ?? chains)}`)
  console.log(
    `verify: ${s(verifyMs)} (${Math.round(N / (verifyMs / 1000)).toLocaleString('en')} events/s), every chain re-hashed from canonical JSON (${(verifyMs / dgstMs).toFixed(1)}× openssl dgst over the same bytes, ${(verifyMs / scanMs).toFixed(1)}× the bare row scan) and ${seals.seals} seals, ${seals.sealedEvents.toLocaleString('en')} events (Merkle roots, tokens, copies)`,
  )
  console.log(
    `targets: seal < 60 s: ${sealMs < 60_000 ? 'MET' : 'MISSED'}; verify < 60 s: ${verifyMs < 60_000 ? 'MET' : 'MISSED'}`,
  )
  await c2.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
