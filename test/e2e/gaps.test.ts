/**
 * The last API capabilities given a screen (issue 8), in a real Chromium: importing a storeroom plan
 * (refusal table, then success), moving and deleting a location (refusal LOCATION_NOT_EMPTY in French),
 * loading a rules preset, downloading a profile's schema, and the tombstone of a unit that left by
 * transfer shown on its page.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { writeSipZip } from '../helpers/sip.js'
import {
  apiAs,
  CHROMIUM,
  HAS_CHROMIUM,
  loadReferentials,
  openJourney,
  type Api,
  type Journey,
} from './harness.js'

const TA = 'gaps-a'
const TB = 'gaps-b'
const RNG =
  '<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><element name="ArchiveTransfer"><text/></element></start></grammar>'

const BAD_PLAN = 'path;name;length_m\r\nGAPS/X;;1,2\r\nGAPS/B/M1/T1/E1/9;;\r\n'
const GOOD_PLAN = [
  'path;name;length_m',
  'GAPS;Site des tests;',
  'GAPS/B/M1/T1/E1/1;;1,2',
  'GAPS/B/M1/T1/E1/2;;1,2',
  'GAPS/B/M1/T2/E1/1;;1,0',
  'GAPS/B/M2;Magasin 2;',
  '',
].join('\r\n')

if (!HAS_CHROMIUM) {
  it('remaining screens in Chromium', { skip: `${CHROMIUM} absent: browser tests skipped` }, () => {})
} else {
  describe('remaining screens in Chromium: storeroom plan, presets, profile schema, tombstone', () => {
    let j: Journey
    let page: Page
    let admin: Api
    let gone = { id: '', title: 'Délibérations transférées aux Archives départementales' }

    before(async () => {
      j = await openJourney('gaps-')
      page = j.page
      admin = await apiAs(j.server, 'admin', j.server.adminPassword)
      await admin.call('POST', '/tenants', { id: TB, name: 'Archives départementales' })
      await admin.call('POST', '/tenants', { id: TA, name: 'Commune', controlledBy: TB })
      for (const tenant of [TA, TB]) await loadReferentials(admin, tenant)
      await admin.call(
        'POST',
        '/users',
        { username: 'arch-gaps', password: 'archiviste-gaps', role: 'archivist' },
        TA,
      )
      // Two profiles, one with an attached schema.
      const profiles = await admin.fetch(
        '/referentials/profiles',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([
            { Identifier: 'PR-AVEC', Name: 'Avec schéma', Status: 'ACTIVE', Format: 'RNG' },
            { Identifier: 'PR-SANS', Name: 'Sans schéma', Status: 'ACTIVE', Format: 'RNG' },
          ]),
        },
        TA,
      )
      assert.equal(profiles.status, 200, await profiles.text())
      const schema = await admin.fetch(
        '/referentials/profiles/PR-AVEC/schema',
        { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: RNG },
        TA,
      )
      assert.equal(schema.status, 200, await schema.text())

      // A unit that leaves by transfer to the departmental archives (purged here, a tombstone kept).
      const sip = await writeSipZip(join(j.dir, 'gone.zip'), { unitTitle: gone.title })
      const form = new FormData()
      form.append('file', new Blob([await readFile(sip)], { type: 'application/zip' }), 'gone.zip')
      const res = await admin.fetch('/ingests', { method: 'POST', body: form }, TA)
      assert.equal(res.status, 202, await res.clone().text())
      const { operationId } = (await res.json()) as { operationId: string }
      const settle = async <T extends { status?: string; state?: string }>(
        path: string,
        done: (x: T) => boolean,
      ) => {
        for (let i = 0; i < 240; i++) {
          const x = await admin.call<T>('GET', path, undefined, TA)
          if (done(x)) return x
          await new Promise((r) => setTimeout(r, 250))
        }
        throw new Error(`${path} did not settle`)
      }
      const ing = await settle<{ status: string }>(`/operations/${operationId}`, (x) =>
        ['OK', 'WARNING', 'KO', 'FATAL'].includes(x.status),
      )
      assert.match(ing.status, /^(OK|WARNING)$/)
      const units = await admin.call<{ results: { id: string; parentIds: string[] }[] }>(
        'GET',
        `/units?operationId=${operationId}`,
        undefined,
        TA,
      )
      gone = { ...gone, id: units.results.find((u) => u.parentIds.length === 0)!.id }
      const tr = await admin.call<{ operationId: string }>(
        'POST',
        '/transfers',
        { selection: { branch: gone.id }, targetTenant: TB, contract: 'IC-DEFAUT', archivalAgency: 'AD99' },
        TA,
      )
      const t = await settle<{ state: string }>(`/transfers/${tr.operationId}`, (x) =>
        ['purged', 'KO'].includes(x.state),
      )
      assert.equal(t.state, 'purged', JSON.stringify(t))
    })

    after(async () => {
      await j?.close()
    })

    it('archivist: imports a storeroom plan (refusal table, then success), moves and deletes locations', async () => {
      await j.signIn('arch-gaps', 'archiviste-gaps')
      await j.nav('Magasins').click()
      await page.getByRole('heading', { name: 'Magasins', level: 1 }).waitFor()
      await page.getByText('Importer un plan de magasin (CSV)').click()
      assert.equal(await page.getByTestId('import-columns').locator('tbody tr').count(), 7)
      const download = page.waitForEvent('download')
      await page.getByRole('button', { name: 'Télécharger le modèle (CSV)' }).click()
      const template = await readFile((await (await download).path())!, 'utf8')
      assert.match(template, /^\ufeff?path;name;length_m;fire_rated;climate_controlled;reserved;blocked\r\n/)

      await page.setInputFiles('#loc-import-file', {
        name: 'plan.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(BAD_PLAN),
      })
      await page.getByRole('button', { name: 'Importer', exact: true }).click()
      // The refusal table comes with the server's answer: wait for it before reading its rows.
      const errorTable = page.getByTestId('import-errors')
      await errorTable.waitFor()
      const errors = await errorTable.locator('tbody tr').allInnerTexts()
      assert.equal(errors.length, 2, errors.join(' | '))
      assert.match(errors[0]!, /^1\t2\tlength_m\t/)
      assert.match(errors[1]!, /^2\t3\tlength_m\t/)
      assert.match(await j.alertText(), /rien n’a été créé/)
      await j.snap('import-refused')

      await page.setInputFiles('#loc-import-file', {
        name: 'plan.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(GOOD_PLAN),
      })
      await page.getByRole('button', { name: 'Importer', exact: true }).click()
      await page
        .getByText('Plan importé : 11 emplacement(s) créé(s), dont 6 ancêtre(s) sans ligne.')
        .waitFor()
      await page.getByRole('button', { name: 'M2 — Magasin 2' }).waitFor()

      // A box on a shelf of M1 (through the API), so that M1 cannot be deleted.
      await admin.call(
        'POST',
        '/boxes/types',
        { id: 'DIMAB', name: 'Boîte Dimab', widthMm: 100, heightMm: 250, depthMm: 330 },
        TA,
      )
      await admin.call('POST', '/boxes', { barcode: 'GAPS-001', boxType: 'DIMAB' }, TA)
      await admin.call('POST', '/boxes/moves', { boxes: ['GAPS-001'], to: 'GAPS/B/M1/T1/E1/1' }, TA)

      // Move the bay T2 (with its shelf) from M1 to M2.
      await page.getByRole('button', { name: 'T2', exact: true }).click()
      await page
        .getByLabel('Nouveau parent (niveau au-dessus)')
        .selectOption({ label: 'GAPS/B/M2 — Magasin 2 (magasin)' })
      await page.getByRole('button', { name: 'Déplacer avec son contenu' }).click()
      await page.getByText('GAPS/B/M1/T2 déplacé : désormais GAPS/B/M2/T2.').waitFor()

      // Deleting M1 is refused (a box is on one of its shelves); deleting M2 asks first, then works.
      await page.getByRole('button', { name: 'M1', exact: true }).click()
      await page.getByRole('button', { name: 'Supprimer cet emplacement…' }).click()
      await page.getByText('Supprimer GAPS/B/M1 et ses 4 descendant(s) ?', { exact: false }).waitFor()
      await page.getByRole('button', { name: 'Oui, supprimer' }).click()
      await page
        .getByText('Suppression refusée : 1 boîte(s) sont rangées sous GAPS/B/M1.', { exact: false })
        .waitFor()
      assert.match(await j.alertText(), /Tablettes occupées : GAPS\/B\/M1\/T1\/E1\/1/)
      assert.match(await j.alertText(), /LOCATION_NOT_EMPTY/)
      await j.snap('delete-refused')
      await page.getByRole('button', { name: 'M2 — Magasin 2' }).click()
      await page.getByRole('button', { name: 'Supprimer cet emplacement…' }).click()
      await page.getByRole('button', { name: 'Annuler' }).click()
      assert.equal(await page.getByRole('button', { name: 'Oui, supprimer' }).count(), 0)
      await page.getByRole('button', { name: 'Supprimer cet emplacement…' }).click()
      await page.getByRole('button', { name: 'Oui, supprimer' }).click()
      await page.getByText('GAPS/B/M2 supprimé (4 emplacement(s)).').waitFor()
      assert.equal(await page.getByRole('button', { name: 'M2 — Magasin 2' }).count(), 0)
      assert.equal(await page.getByRole('button', { name: 'M1', exact: true }).count(), 1)
    })

    it('archivist: loads a rules preset and downloads a profile schema', async () => {
      await page.goto(`${j.server.url}/admin/referentials`)
      const presets = page.getByRole('region', { name: 'Charger un référentiel prédéfini' })
      await presets.getByText('à valider par les Archives départementales', { exact: false }).waitFor()
      await presets.getByRole('button', { name: 'Charger « l213-2 »' }).click()
      const done = presets.getByRole('status')
      await done.waitFor()
      assert.match(
        await done.innerText(),
        /Préréglage « l213-2 » chargé : \d+ règle\(s\) créée\(s\), \d+ modifiée\(s\)/,
      )
      await j.snap('preset-loaded')

      await page.getByLabel('Référentiel', { exact: true }).selectOption('profiles')
      const download = page.waitForEvent('download')
      await page.getByRole('button', { name: 'Schéma PR-AVEC' }).click()
      const d = await download
      assert.equal(d.suggestedFilename(), 'PR-AVEC.rng')
      assert.equal(await readFile((await d.path())!, 'utf8'), RNG)
      await page.getByRole('button', { name: 'Schéma PR-SANS' }).click()
      await page.getByText('Aucun schéma attaché au profil PR-SANS', { exact: false }).waitFor()
      await j.snap('profile-schema')
    })

    it('a unit that left by transfer shows its tombstone', async () => {
      await page.goto(`${j.server.url}/units/${gone.id}`)
      const tomb = page.getByTestId('tombstone')
      await tomb.getByRole('heading', { name: `Unité sortie du fonds : ${gone.title}` }).waitFor()
      const text = await tomb.innerText()
      assert.match(text, /a été transférée le .* vers gaps-b/)
      assert.match(text, /Destination\s+gaps-b/)
      // The tombstone replaces the bare « Introuvable ».
      assert.equal(await page.getByRole('alert').count(), 0)
      await j.snap('tombstone')
      // An id that never existed: the French 404, no tombstone.
      await page.goto(`${j.server.url}/units/inconnue-0000`)
      await page.getByRole('alert').waitFor()
      assert.match(await j.alertText(), /Introuvable.*UNIT_NOT_FOUND/s)
      assert.equal(await page.getByTestId('tombstone').count(), 0)
    })
  })
}
