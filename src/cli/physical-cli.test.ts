import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { readFileSync, writeFileSync } from 'node:fs'
import {
  createTestDatabase,
  testDialects,
  POSTGRES_SKIP_REASON,
  type TestDatabase,
} from '../../test/helpers/db.js'
import { FORM_HEADER, pdfText } from '../modules/physical/test-support.js'

if (!process.env.SAEH_TEST_DATABASE_URL) it.skip(`physical CLI on PostgreSQL — ${POSTGRES_SKIP_REASON}`)

const BIN = join(import.meta.dirname, '../../bin/saeh.js')

for (const dialect of testDialects()) {
  describe(`saeh location / box / physical / inventory / labels (${dialect})`, () => {
    let t: TestDatabase
    let env: Record<string, string>
    const saeh = (...args: string[]) => {
      const r = spawnSync(process.execPath, [BIN, ...args], {
        env: { PATH: process.env.PATH ?? '', ...env },
        encoding: 'utf8',
        timeout: 60_000,
      })
      return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) }
    }
    before(async () => {
      t = await createTestDatabase(dialect)
      env = {
        SAEH_HOME: join(t.dir, 'home'),
        SAEH_DATABASE_URL: t.config.dialect === 'sqlite' ? `sqlite://${t.config.file}` : t.config.url,
      }
      assert.equal(saeh('init').code, 0)
    })
    after(() => t.destroy())

    it('shelves a CSV transfer, refuses an overfilled shelf (exit 1), lists the form errors, prints labels', () => {
      const T = ['--tenant', 'default', '--json']
      assert.equal(saeh('location', 'levels', 'bâtiment', 'tablette', ...T).code, 0)
      assert.equal(saeh('location', 'add', 'B1', ...T).code, 0)
      const shelf = saeh('location', 'add', 'T1', '--parent', 'B1', '--length', '0.15', ...T)
      assert.equal(shelf.code, 0, shelf.err + shelf.out)
      assert.equal(shelf.json().path, 'B1/T1')
      assert.equal(
        saeh(
          'box',
          'type-add',
          'DIM10',
          '--name',
          'Boîte',
          '--width',
          '100',
          '--height',
          '250',
          '--depth',
          '330',
          ...T,
        ).code,
        0,
      )
      const form = join(t.dir, 'bordereau.csv')
      writeFileSync(
        form,
        [
          FORM_HEADER,
          'C1,5 W 1,État civil 1990,1990,1990,,File,,,,,,DIM10,',
          'C2,5 W 2,État civil 1991,1991,1991,,File,,,,,,DIM10,',
        ].join('\n'),
      )
      const tf = saeh('physical', 'transfer-form', form, ...T)
      assert.equal(tf.code, 0, tf.err + tf.out)
      assert.equal(tf.json().boxes.length, 2)
      assert.equal(saeh('box', 'move', 'C1', '--to', 'B1/T1', ...T).code, 0)
      const full = saeh('box', 'move', 'C2', '--to', 'B1/T1', ...T)
      assert.equal(full.code, 1)
      assert.equal(full.json().error.code, 'SHELF_FULL')
      // A bad form: errors by line and column on stderr, exit 1.
      const bad = join(t.dir, 'mauvais.csv')
      writeFileSync(bad, [FORM_HEADER, 'C1,5 W 3,,1990,1990,,File,,,,,,DIM10,'].join('\n'))
      const r = saeh('physical', 'transfer-form', bad, '--tenant', 'default')
      assert.equal(r.code, 1)
      assert.match(r.err, /ligne 2, colonne box_barcode : code-barres « C1 » déjà utilisé/)
      assert.match(r.err, /ligne 2, colonne title : intitulé obligatoire/)
      const out = join(t.dir, 'etiquettes.pdf')
      const l = saeh('labels', 'boxes', '--box', 'C1', 'C2', '--out', out, ...T)
      assert.equal(l.code, 0, l.err)
      assert.ok(pdfText(readFileSync(out)).includes('5 W 2'))
      const inv = saeh('inventory', 'start', 'B1', ...T)
      assert.equal(inv.code, 0, inv.err)
      const closed = saeh('inventory', 'close', inv.json().id, ...T)
      assert.deepEqual(
        closed.json().report.missing.map((m: { barcode: string }) => m.barcode),
        ['C1'],
      )
      const stats = saeh('box', 'stats', ...T)
      assert.deepEqual(stats.json().unplaced, { boxes: 1, linearMetres: 0.1 })
      assert.equal(saeh('box', 'show', 'nope', ...T).code, 1)
    })

    it('imports a location tree, moves and deletes locations; box show prints the history', () => {
      const T = ['--tenant', 'default', '--json']
      const bad = join(t.dir, 'mauvais-emplacements.csv')
      writeFileSync(bad, 'path;length_m\nB2;\nB2/T1;abc\nB2/T2/X;1\n')
      const r = saeh('location', 'import', bad, '--tenant', 'default')
      assert.equal(r.code, 1)
      assert.match(r.err, /ligne 3, colonne length_m/)
      assert.match(r.err, /ligne 4, colonne path/)
      assert.equal(saeh('location', 'show', 'B2', ...T).code, 1, 'nothing created')
      const good = join(t.dir, 'emplacements.csv')
      writeFileSync(good, 'path;length_m;fire_rated\nB2/T1;0,5;oui\nB2/T2;0.5;non\n')
      const ok = saeh('location', 'import', good, ...T)
      assert.equal(ok.code, 0, ok.err)
      assert.equal(ok.json().created, 3)
      assert.equal(ok.json().implicit, 1)
      const mv = saeh('location', 'move', 'B2/T2', '--to', 'B1', ...T)
      assert.equal(mv.code, 0, mv.err)
      assert.equal(mv.json().path, 'B1/T2')
      assert.equal(saeh('location', 'move', 'B2/T1', ...T).code, 1)
      assert.equal(
        saeh('location', 'move', 'B2/T1', '--root', ...T).json().error.code,
        'LOCATION_LEVEL_MISMATCH',
      )
      assert.equal(saeh('location', 'delete', 'B1', ...T).json().error.code, 'LOCATION_NOT_EMPTY')
      const del = saeh('location', 'delete', 'B2', ...T)
      assert.equal(del.code, 0, del.err)
      assert.deepEqual(del.json().deleted, ['B2', 'B2/T1'])
      const show = saeh('box', 'show', 'C1', '--tenant', 'default')
      assert.equal(show.code, 0, show.err)
      assert.match(show.out, /déplacée\s+→ B1\/T1/)
    })
  })
}
