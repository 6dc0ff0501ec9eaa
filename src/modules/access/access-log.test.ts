import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { loadConfig } from '../../config/config.js'
import { buildContainer, type Container } from '../../main/container.js'
import { initInstance } from '../../main/instance.js'
import { silentLogger } from '../../platform/log.js'
import { createTestDatabase, testDialects, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`access log on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const event = (i: number) => ({
  tenantId: 'default',
  type: 'ACCESS_OBJECT_DOWNLOAD',
  agent: 'u1',
  objectId: `o${i}`,
  message: null,
  data: { contract: 'AC-DEFAUT', n: i },
})

for (const dialect of testDialects()) {
  describe(`batched access log (${dialect})`, () => {
    async function open(
      t: Awaited<ReturnType<typeof createTestDatabase>>,
      maxEvents: number,
    ): Promise<Container> {
      const url = t.config.dialect === 'sqlite' ? `sqlite://${t.config.file}` : t.config.url
      const config = loadConfig({ SAEH_HOME: join(t.dir, 'home'), SAEH_DATABASE_URL: url })
      // A period far longer than the test: only the size threshold, flush() and close() write.
      return buildContainer(config, { log: silentLogger(), accessLog: { flushMs: 3_600_000, maxEvents } })
    }
    const downloads = async (c: Container) =>
      c.db.kysely
        .selectFrom('logbook_event')
        .select(['object_id', 'operation_id'])
        .where('event_type', '=', 'ACCESS_OBJECT_DOWNLOAD')
        .orderBy('seq')
        .execute()

    it('writes a batch in one operation when the size threshold is reached, and the rest on a clean close', async () => {
      const t = await createTestDatabase(dialect)
      try {
        let c = await open(t, 3)
        await initInstance(c)
        const settle = async (n: number) => {
          // A batch is written asynchronously: wait for it (PostgreSQL needs network round trips).
          for (let k = 0; k < 2000 && c.access.log.written < n; k++)
            await new Promise((r) => setTimeout(r, 5))
        }
        for (let i = 0; i < 2; i++) c.access.log.append(event(i))
        assert.equal(c.access.log.pending, 2)
        assert.equal((await downloads(c)).length, 0, 'below the threshold, nothing written yet')
        c.access.log.append(event(2))
        await settle(3)
        assert.equal(c.access.log.written, 3)
        assert.equal(c.access.log.pending, 0)
        // Appends in the same tick join the batch the threshold started.
        for (let i = 3; i < 7; i++) c.access.log.append(event(i))
        await settle(7)
        assert.equal(c.access.log.written, 7)
        const rows = await downloads(c)
        assert.equal(rows.length, 7)
        assert.equal(new Set(rows.map((r) => r.operation_id)).size, 2, 'one operation per batch')
        c.access.log.append(event(7))
        assert.equal(c.access.log.pending, 1)
        // A clean shutdown: the container flushes before closing the database.
        await c.close()
        c = await open(t, 3)
        const all = await downloads(c)
        assert.deepEqual(
          all.map((r) => r.object_id),
          ['o0', 'o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o7'],
        )
        const op = await c.audit.getOperation('default', all[7]!.operation_id)
        assert.equal(op.type, 'ACCESS_LOG')
        assert.equal(op.status, 'OK')
        assert.equal((await c.audit.verify('default')).ok, true)
        await c.close()
      } finally {
        await t.destroy()
      }
    })

    it('keeps events whose flush failed and writes them at the next flush', async () => {
      const t = await createTestDatabase(dialect)
      try {
        const c = await open(t, 1000)
        await initInstance(c)
        // An unknown tenant breaks the batch's transaction (foreign key): nothing of it is written.
        c.access.log.append(event(1))
        c.access.log.append({ ...event(2), tenantId: 'no-such-tenant' })
        await assert.rejects(c.access.log.flush())
        assert.equal(c.access.log.pending, 2)
        assert.equal((await downloads(c)).length, 0)
        await c.tenancy.createTenant(
          {
            id: 'system',
            kind: 'system',
            name: 'system',
            grants: [{ tenantId: '*', role: 'platform-admin' }],
          },
          { id: 'no-such-tenant', name: 'Créé ensuite' },
        )
        await c.access.log.flush()
        assert.equal(c.access.log.pending, 0)
        assert.equal((await downloads(c)).length, 2)
        await c.close()
      } finally {
        await t.destroy()
      }
    })
  })
}
