/**
 * A PostgreSQL connection closed by the server while idle in the pool (restart, failover, an administrator)
 * must not crash the process: the pool drops it and the next query opens another. Without the pool's
 * 'error' listener, Node throws « Unhandled 'error' event » and the whole server stops.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { createTestDatabase, POSTGRES_SKIP_REASON } from '../../../test/helpers/db.js'
import { createDb } from './create-db.js'

const url = process.env.SAEH_TEST_DATABASE_URL

describe('PostgreSQL pool', { skip: url ? false : POSTGRES_SKIP_REASON }, () => {
  it('survives an idle connection terminated by the server', async () => {
    const t = await createTestDatabase('postgres')
    const db = createDb(t.config)
    const other = createDb(t.config)
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.message)
    process.on('warning', onWarning)
    try {
      const pid = (await sql<{ p: number }>`select pg_backend_pid() as p`.execute(db.kysely)).rows[0]!.p
      const killed = await sql<{ ok: boolean }>`select pg_terminate_backend(${pid}) as ok`.execute(
        other.kysely,
      )
      assert.equal(killed.rows[0]!.ok, true)
      for (let i = 0; i < 100 && warnings.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
      assert.match(warnings.join('\n'), /connexion inactive perdue/)
      const again = await sql<{ x: number }>`select 1 as x`.execute(db.kysely)
      assert.equal(again.rows[0]!.x, 1)
    } finally {
      process.off('warning', onWarning)
      await db.close()
      await other.close()
      await t.destroy()
    }
  })
})
