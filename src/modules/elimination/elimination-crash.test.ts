import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { loadConfig } from '../../config/config.js'
import { buildContainer } from '../../main/container.js'
import { silentLogger } from '../../platform/log.js'
import { createTestDatabase, testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { writeSipZip } from '../../../test/helpers/sip.js'
import { SYSTEM_PRINCIPAL } from '../tenancy/index.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`elimination crash on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const CHILD = join(import.meta.dirname, '../../../test/fixtures/elimination-crash-child.ts')
const T = 'c-begles'
// Real clock (the child's): a DUA of 5 years from 2020 is over.
const RULES =
  '<AppraisalRule><Rule>APP-COM-0005</Rule><StartDate>2020-01-12</StartDate><FinalAction>Destroy</FinalAction></AppraisalRule>'

for (const dialect of testDialects()) {
  describe(`elimination killed mid-action (${dialect})`, () => {
    it('kill -9 after the first unit’s binaries: the rerun finishes the request and touches nothing else', async () => {
      const t = await createTestDatabase(dialect)
      const env = {
        SAEH_HOME: join(t.dir, 'home'),
        SAEH_DATABASE_URL: t.config.dialect === 'sqlite' ? `sqlite://${t.config.file}` : t.config.url,
      }
      try {
        let c = await buildContainer(loadConfig(env), { log: silentLogger() })
        const sys = SYSTEM_PRINCIPAL
        await c.tenancy.createTenant(sys, { id: 'ad33', name: 'AD Gironde' })
        await c.tenancy.createTenant(sys, { id: T, name: 'Bègles', controlledBy: 'ad33' })
        await c.referential.loadDefaults(T, 'system')
        await c.tenancy.createUser(sys, { username: 'ctl', tenantId: 'ad33', role: 'control-authority' })
        const ctl = await c.tenancy.principalByName('ctl')
        const ingest = async (name: string) => {
          const r = await c.ingest.ingestFile({
            tenantId: T,
            packagePath: await writeSipZip(join(t.dir, name), { rules: RULES }),
            fileName: name,
            contractId: null,
            agent: 'test',
          })
          assert.equal(r.status, 'OK')
          return r.operationId
        }
        const otherOp = await ingest('other.zip')
        const op = await ingest('target.zip')
        const units = (await c.catalog.listUnits(T, { operationId: op })).results
        const root = units.find((u) => u.parentIds.length === 0)!.id
        const a = await c.elimination.analyse(sys, T, { branch: root })
        let req = await c.elimination.createRequest(sys, T, { analysisId: a.analysisId })
        req = await c.elimination.submit(sys, T, req.id)
        req = await c.elimination.visa(ctl, T, req.id, { decision: 'approve', comment: 'Favorable' })
        const keys = async (operationId: string) =>
          (
            await c.db.kysely
              .selectFrom('data_object')
              .select('id')
              .where('operation_id', '=', operationId)
              .execute()
          ).map((o) => `${T}/${operationId}/${o.id}`)
        const targetKeys = await keys(op)
        const otherKeys = await keys(otherOp)
        await c.close()

        const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
          env: { ...process.env, ...env, CRASH_TENANT: T, CRASH_REQUEST: req.id },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let out = ''
        let err = ''
        child.stdout.on('data', (b: Buffer) => (out += b.toString()))
        child.stderr.on('data', (b: Buffer) => (err += b.toString()))
        const exit = await new Promise<{ signal: NodeJS.Signals | null }>((resolve) => {
          const timer = setTimeout(() => child.kill('SIGTERM'), 120_000)
          child.once('exit', (_code, signal) => {
            clearTimeout(timer)
            resolve({ signal })
          })
        })
        assert.equal(exit.signal, 'SIGKILL', `stdout: ${out}; stderr: ${err}`)

        c = await buildContainer(loadConfig(env), { log: silentLogger() })
        const mid = await c.elimination.show(sys, T, req.id)
        assert.equal(mid.status, 'executing')
        assert.deepEqual(
          mid.units.map((u) => u.status),
          ['pending', 'pending'],
          'the killed transaction left both units pending',
        )
        const present = async (k: string) =>
          Promise.all(c.storage.offers.map(async (o) => !!(await o.head(k))))
        assert.deepEqual(await present(targetKeys[0]!), [false, false], 'the first binaries were deleted')

        const done = await c.elimination.execute(sys, T, req.id)
        assert.equal(done.status, 'executed')
        assert.deepEqual(
          done.units.map((u) => u.status),
          ['destroyed', 'destroyed'],
        )
        for (const k of otherKeys)
          assert.deepEqual(await present(k), [true, true], 'other archives untouched')
        assert.equal((await c.catalog.listUnits(T, { operationId: otherOp })).results.length, 2)
        assert.equal((await c.catalog.listUnits(T, { operationId: op })).results.length, 0)
        assert.equal((await c.audit.verify()).ok, true)
        await c.close()
      } finally {
        await t.destroy()
      }
    })
  })
}
