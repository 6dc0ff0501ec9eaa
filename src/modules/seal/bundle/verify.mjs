#!/usr/bin/env node
// SAEH evidence bundle verifier. Needs only Node.js (18 or later) and the `openssl` command (for the
// RFC 3161 tokens); no network, no SAEH. Usage: node verify.mjs [BUNDLE_DIR]   (default: its folder)
// Exit 0 when everything verifies, 1 when anything does not (each failure is named), 2 on misuse.
import { createHash } from 'node:crypto'
import { readFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFileSync } from 'node:child_process'

const dir = process.argv[2] || dirname(fileURLToPath(import.meta.url))
const failures = []
const passed = []
const fail = (m) => failures.push(m)
const ok = (m) => passed.push(m)
const sha512 = (b) => createHash('sha512').update(b).digest('hex')
const file = (p) => join(dir, p)
const read = (p) => readFileSync(file(p))

// Canonical JSON (RFC 8785 for strings, finite numbers, booleans, null, arrays, objects).
function canonical(v) {
  if (v === null) return 'null'
  if (Array.isArray(v)) return '[' + v.map((x) => canonical(x === undefined ? null : x)).join(',') + ']'
  if (typeof v === 'object') {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}'
  }
  return JSON.stringify(v)
}

// Merkle tree: leaf = SHA-512(0x00 || eventHash), node = SHA-512(0x01 || left || right).
const h = (...parts) => {
  const x = createHash('sha512')
  for (const p of parts) x.update(p)
  return x.digest()
}
function rootFromProof(eventHash, steps) {
  let cur = h(Buffer.from([0]), Buffer.from(eventHash, 'hex'))
  for (const s of steps) {
    const sib = Buffer.from(s.hash, 'hex')
    cur = s.side === 'L' ? h(Buffer.from([1]), sib, cur) : h(Buffer.from([1]), cur, sib)
  }
  return cur.toString('hex')
}

let bundle
try {
  bundle = JSON.parse(read('bundle.json').toString('utf8'))
} catch (e) {
  console.error(`FAILED bundle.json: unreadable (${e.message})`)
  process.exit(2)
}

// 1. Each event: its hash is the SHA-512 of its canonical JSON without the hash field.
const events = new Map()
for (const name of bundle.events) {
  let ev
  try {
    ev = JSON.parse(read(name).toString('utf8'))
  } catch (e) {
    fail(`event ${name}: unreadable (${e.message})`)
    continue
  }
  const { hash, ...rest } = ev
  if (sha512(Buffer.from(canonical(rest), 'utf8')) !== hash)
    fail(`event ${name}: altered (its content does not match its hash)`)
  else ok(`event ${name}: hash recomputed`)
  events.set(name, ev)
}

// 2. Each seal document is read; 3. each token verifies with openssl against the bundled CA.
const seals = new Map()
for (const s of bundle.seals) {
  const bytes = read(s.document)
  let doc
  try {
    doc = JSON.parse(bytes.toString('utf8'))
  } catch {
    fail(`seal ${s.number} (${s.document}): not JSON`)
    continue
  }
  if (doc.id !== s.id || doc.number !== s.number) fail(`seal ${s.number} (${s.document}): names another seal`)
  seals.set(s.id, { doc, bytes, meta: s })
  try {
    execFileSync(
      'openssl',
      ['ts', '-verify', '-in', file(s.token), '-data', file(s.document), '-CAfile', file(bundle.caFile)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    ok(`seal ${s.number}: RFC 3161 token verified by openssl (imprint, signature, certificate chain)`)
  } catch (e) {
    if (e.code === 'ENOENT') fail(`seal ${s.number}: openssl not found, the token could not be checked`)
    else
      fail(
        `seal ${s.number}: its token (${s.token}) does not verify for ${s.document}: ${String(
          e.stderr || e.message,
        )
          .split('\n')
          .filter((l) => /error|Verification/i.test(l))
          .slice(0, 2)
          .join(' | ')}`,
      )
  }
}
// seals chained to each other within the bundle
for (const { doc } of seals.values()) {
  for (const key of ['previous', 'previousMinusOneMonth', 'previousMinusOneYear']) {
    const ref = doc[key]
    const other = ref && seals.get(ref.id)
    if (other && sha512(other.bytes) !== ref.digest)
      fail(`seal ${doc.number}: its ${key} link does not match seal ${other.doc.number}'s document`)
  }
}

// 4. Each event's inclusion proof leads to the root of a sealed (time-stamped) document.
const proofs = JSON.parse(read(bundle.proofs).toString('utf8'))
const proven = new Set()
for (const p of proofs) {
  const ev = events.get(p.event)
  const seal = seals.get(p.seal)
  if (!ev) {
    fail(`proof for ${p.event}: no such event in the bundle`)
    continue
  }
  if (!seal) {
    fail(`proof for ${p.event}: seal ${p.seal} is not in the bundle`)
    continue
  }
  const range = seal.doc.ranges.find((r) => r.chain === ev.chain && r.fromSeq <= ev.seq && ev.seq <= r.toSeq)
  if (!range)
    fail(`proof for ${p.event}: seal ${seal.doc.number} does not cover event ${ev.seq} of ${ev.chain}`)
  else if (rootFromProof(ev.hash, p.path) !== seal.doc.merkleRoot)
    fail(
      `proof for ${p.event}: does not lead to the Merkle root of seal ${seal.doc.number} (proof or event altered)`,
    )
  else {
    proven.add(p.event)
    ok(`proof for ${p.event}: leads to the root of seal ${seal.doc.number}`)
  }
}
for (const name of events.keys()) if (!proven.has(name)) fail(`event ${name}: not proven by any seal`)

// 5. The archive's own record: the object's bytes (or the unit's metadata) match the digest that a
//    sealed event of this bundle attests.
const t = bundle.target
const attesting = [...events.entries()].filter(
  ([name, e]) => proven.has(name) && e.objectId === t.id && e.data && typeof e.data.sha512 === 'string',
)
if (t.file) {
  if (!existsSync(file(t.file))) fail(`${t.kind} ${t.id}: ${t.file} is missing`)
  else {
    const d = sha512(read(t.file))
    if (d !== t.sha512) fail(`${t.kind} ${t.id}: ${t.file} does not match its SHA-512 (bytes altered)`)
    else if (!attesting.some(([, e]) => e.data.sha512 === d))
      fail(`${t.kind} ${t.id}: no sealed event attests the SHA-512 of ${t.file}`)
    else ok(`${t.kind} ${t.id}: SHA-512 of ${t.file} matches the sealed record (${d.slice(0, 16)}…)`)
  }
}

for (const m of passed) console.log(`OK      ${m}`)
for (const m of failures) console.log(`FAILED  ${m}`)
if (failures.length > 0) {
  console.log(`\nÉCHEC / FAILED: ${failures.length} problem(s).`)
  process.exit(1)
}
console.log(`\nVérifié / Verified: ${events.size} events, ${seals.size} seal(s), target ${t.kind} ${t.id}.`)
