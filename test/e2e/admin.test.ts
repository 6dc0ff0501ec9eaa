/**
 * Browser journeys of the "admin" area: search with filters and facets, the classification tree, a DIP
 * export downloaded, access contracts created and bound (the reader then sees only the contract's
 * producer), a fixity audit run and read, the logbook and seals verified, the access log. Data is set
 * up through the HTTP API (a tenant, its referentials, two transfers), the journeys through the screens.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { writeSipZip } from '../helpers/sip.js'
import {
  apiAs,
  CHROMIUM,
  HAS_CHROMIUM,
  loadReferentials,
  onePagePdf,
  openJourney,
  waitForCount,
  type Api,
  type Journey,
} from './harness.js'

const TENANT = 'ad-admin'
const COMMUNE = '21234000100011'
const OPEN = (finalAction: string) =>
  `<AppraisalRule><Rule>APP-COM-0001</Rule><StartDate>2024-01-12</StartDate><FinalAction>${finalAction}</FinalAction></AppraisalRule><AccessRule><Rule>ACC-00001</Rule><StartDate>2024-01-12</StartDate></AccessRule>`

if (!HAS_CHROMIUM) {
  it('admin screens in Chromium', { skip: `${CHROMIUM} absent: browser tests skipped` }, () => {})
} else {
  describe('admin screens in Chromium', () => {
    let j: Journey
    let page: Page
    let admin: Api
    const snap = (name: string) => j.snap(name)
    /** A link of the main navigation (the breadcrumb and pagers are navigations too). */
    const nav = (name: string) =>
      page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name, exact: true })
    const alertText = () => j.alertText()
    const isZip = async (path: string) => {
      const bytes = await readFile(path)
      return bytes.length > 22 && bytes.subarray(0, 2).toString('latin1') === 'PK'
    }

    const ingest = async (file: string) => {
      const res = await admin.fetch(
        '/ingests',
        { method: 'POST', headers: { 'content-type': 'application/zip' }, body: await readFile(file) },
        TENANT,
      )
      const text = await res.text()
      assert.equal(res.status, 202, text)
      const { operationId } = JSON.parse(text) as { operationId: string }
      for (let i = 0; i < 600; i++) {
        const op = await admin.call<{ status: string }>(
          'GET',
          `/operations/${operationId}`,
          undefined,
          TENANT,
        )
        if (op.status !== 'PENDING' && op.status !== 'RUNNING') {
          assert.equal(op.status, 'OK', JSON.stringify(op))
          return
        }
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error(`ingest ${operationId} did not finish`)
    }

    before(async () => {
      j = await openJourney('admin-')
      page = j.page
      admin = await apiAs(j.server, 'admin', j.server.adminPassword)
      await admin.call('POST', '/tenants', { id: TENANT, name: 'Archives de test (admin)' })
      await loadReferentials(admin, TENANT)
      for (const [username, role] of [
        ['archiviste', 'archivist'],
        ['lecteur', 'reader'],
      ] as const)
        await admin.call('POST', '/users', { username, role, password: `${username}-mot-de-passe` }, TENANT)
      // 22 deliberations of AD99 (more than a page of 20) and two civil registers of a commune.
      const pdf = await onePagePdf('Délibération du conseil municipal')
      await writeSipZip(join(j.dir, 'deliberations.zip'), {
        unitTitle: 'Délibérations du conseil municipal 2024',
        rules: OPEN('Keep'),
        files: Array.from({ length: 22 }, (_, i) => ({
          name: `deliberation-${String(i + 1).padStart(2, '0')}.pdf`,
          bytes: pdf,
          title: `Délibération n° ${String(i + 1).padStart(2, '0')}`,
        })),
      })
      await writeSipZip(join(j.dir, 'etat-civil.zip'), {
        agency: COMMUNE,
        unitTitle: 'Registres d’état civil 1990',
        startDate: '1990-01-01',
        endDate: '1990-12-31',
        rules: OPEN('Destroy'),
        files: [
          { name: 'naissances-1990.pdf', bytes: pdf, title: 'Naissances 1990' },
          { name: 'mariages-1990.pdf', bytes: pdf, title: 'Mariages 1990' },
        ],
      })
      await ingest(join(j.dir, 'deliberations.zip'))
      await ingest(join(j.dir, 'etat-civil.zip'))
      // One seal made now, so that the screens have a seal to verify (the job seals every hour).
      await admin.call('POST', '/logbook/seals')
    })

    after(async () => {
      await j?.close()
    })

    it('archivist: search with a filter and a facet, pages, a refused query, a DIP downloaded', async () => {
      await j.signIn('archiviste', 'archiviste-mot-de-passe')
      await page.getByRole('heading', { name: 'Scellement du journal' }).waitFor()
      assert.match(await page.locator('.home-admin').innerText(), /Dernier sceau : n° 1/)
      await snap('home-archivist')

      await nav('Recherche').click()
      await page.getByText('26 résultat(s)').waitFor()
      // A filter of the form: level Item (the deliberations and the registers' documents).
      await page.getByLabel('Niveau', { exact: true }).selectOption('Item')
      await page.getByRole('button', { name: 'Rechercher', exact: true }).click()
      await page.getByText('24 résultat(s)').waitFor()
      assert.equal(await page.getByTestId('composed-query').innerText(), 'level:Item')
      // A facet refinement: the commune as producer.
      const facets = page.getByRole('complementary', { name: 'Affiner' })
      assert.match(await facets.innerText(), new RegExp(`AD99 \\(22\\)[\\s\\S]*${COMMUNE} \\(2\\)`))
      await facets.getByRole('button', { name: new RegExp(`^${COMMUNE}`) }).click()
      await page.getByText('2 résultat(s)').waitFor()
      assert.equal(await page.getByTestId('composed-query').innerText(), `producer:${COMMUNE} level:Item`)
      const titles = await page.locator('.results tbody tr td:first-child').allInnerTexts()
      assert.deepEqual(titles.sort(), ['Mariages 1990', 'Naissances 1990'])
      await snap('search-facet')
      // Back and forward: the list and the form follow the URL.
      await page.goBack()
      await page.getByText('24 résultat(s)').waitFor()
      assert.equal(await page.getByLabel('Service producteur', { exact: true }).inputValue(), '')
      await page.goForward()
      await page.getByText('2 résultat(s)').waitFor()
      assert.equal(await page.getByLabel('Service producteur', { exact: true }).inputValue(), COMMUNE)
      // The chip removes the producer: back to 24, two pages of 20 by cursor.
      await page.getByRole('button', { name: `Retirer le filtre Service producteur ${COMMUNE}` }).click()
      await page.getByText('24 résultat(s)').waitFor()
      assert.equal(await page.locator('.results tbody tr').count(), 20)
      await page.getByRole('button', { name: 'Suivant' }).click()
      await page.getByText('Page 2').waitFor()
      // The last 4 once the next page has arrived (the previous rows stay shown while it loads).
      await waitForCount(page.locator('.results tbody tr'), 4)
      assert.match(page.url(), /cursor=/)
      await page.getByRole('button', { name: 'Page précédente' }).click()
      await page.getByText('Page 1').waitFor()
      await waitForCount(page.locator('.results tbody tr'), 20)
      // A malformed query: the server's 400, in French, with its code.
      await page.getByLabel('Rechercher dans les titres').fill('budget (2024')
      await page.getByRole('button', { name: 'Rechercher', exact: true }).click()
      await page.getByRole('alert').waitFor()
      assert.match(await alertText(), /Requête mal formée \(position 7\) : caractère interdit/)
      assert.match(await alertText(), /Code : SEARCH_QUERY_SYNTAX/)
      await snap('search-refused')

      // Export the 2 registers of the commune (sort by title, facet again), SEDA 2.1, as a DIP.
      await page.getByLabel('Rechercher dans les titres').fill('1990')
      await page.getByRole('button', { name: 'Rechercher', exact: true }).click()
      await page.getByText('2 résultat(s)').waitFor()
      const dip = page.getByRole('form', { name: 'Exporter la sélection en DIP (2 unité(s))' })
      await dip.getByLabel('Version SEDA').selectOption('2.1')
      await dip.getByRole('button', { name: 'Exporter' }).click()
      await dip.getByText(/Export prêt : 2 unité\(s\)/).waitFor({ timeout: 60_000 })
      await snap('dip-ready')
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        dip.getByRole('button', { name: 'Télécharger le DIP' }).click(),
      ])
      assert.match(download.suggestedFilename(), /^DIP-.+\.zip$/)
      assert.ok(await isZip((await download.path())!), 'the DIP is a zip')
    })

    it('archivist: the classification tree, a child, its unit page with breadcrumb and proof', async () => {
      await nav('Plan de classement').click()
      await page.getByRole('heading', { name: 'Plan de classement', level: 1 }).waitFor()
      await page.getByText('2 résultat(s)').waitFor()
      const roots = await page.locator('main tbody tr td:first-child').allInnerTexts()
      assert.deepEqual(roots, ['Délibérations du conseil municipal 2024', 'Registres d’état civil 1990'])
      await snap('tree-roots')
      await page.getByRole('link', { name: 'Registres d’état civil 1990', exact: true }).click()
      await page.getByRole('heading', { name: 'Registres d’état civil 1990', level: 1 }).waitFor()
      await page.getByText('2 résultat(s)').waitFor()
      await page.getByRole('link', { name: 'Naissances 1990', exact: true }).click()
      await page.getByRole('heading', { name: 'Naissances 1990', level: 1 }).waitFor()
      const crumbs = page.getByRole('navigation', { name: 'Fil d’Ariane' })
      await crumbs.getByRole('link', { name: 'Registres d’état civil 1990' }).waitFor()
      assert.equal(await crumbs.getByRole('listitem').count(), 3)
      await snap('tree-child')
      await page.getByRole('link', { name: 'Ouvrir la fiche de l’unité' }).click()
      await page.getByRole('heading', { name: 'Preuves' }).waitFor()
      await page
        .getByRole('navigation', { name: 'Fil d’Ariane' })
        .getByRole('link', { name: 'Registres d’état civil 1990' })
        .waitFor()
      await snap('unit-proof')
      const [bundle] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Paquet de preuve de l’unité' }).click(),
      ])
      assert.match(bundle.suggestedFilename(), /^evidence-.+\.zip$/)
      assert.ok(await isZip((await bundle.path())!), 'the evidence bundle is a zip')
      // The branch's descendants from the tree: the root's whole branch.
      await nav('Plan de classement').click()
      await page.getByRole('link', { name: 'Délibérations du conseil municipal 2024', exact: true }).click()
      await page.getByRole('button', { name: 'Toute la branche' }).click()
      await page.getByRole('heading', { name: 'Toute la branche', level: 2 }).waitFor()
      await page.getByText('22 résultat(s)').waitFor()
    })

    it('archivist: creates an access contract (a refused one first) and binds it to the reader', async () => {
      await nav('Contrats d’accès').click()
      await page.getByRole('cell', { name: 'AC-DEFAUT', exact: true }).waitFor()
      await page.getByRole('button', { name: 'Nouveau contrat' }).click()
      const form = page.getByRole('form', { name: 'Nouveau contrat d’accès' })
      await form.getByLabel('Identifiant', { exact: true }).fill('AC-COMMUNE')
      await form.getByLabel('Intitulé', { exact: true }).fill('Lecture des archives de la commune')
      await form.getByLabel(/^Services producteurs/).fill('INCONNU-99')
      await form.getByRole('button', { name: 'Enregistrer le contrat' }).click()
      const errors = page.getByTestId('contract-errors')
      await errors.waitFor()
      assert.match(await errors.innerText(), /INCONNU-99/)
      await snap('contract-refused')
      await form.getByLabel(/^Services producteurs/).fill(COMMUNE)
      await form.getByRole('button', { name: 'Enregistrer le contrat' }).click()
      await page.getByText(/Import réussi/).waitFor()
      const row = page.getByRole('row', { name: /AC-COMMUNE/ })
      await row.waitFor()
      assert.match(await row.innerText(), new RegExp(COMMUNE))
      const bindForm = page.getByRole('form', { name: 'Attribuer des contrats' })
      await bindForm
        .getByLabel('Utilisateur ou clé d’API')
        .selectOption({ label: 'lecteur (utilisateur, reader)' })
      await bindForm.getByLabel(/AC-COMMUNE/).check()
      await bindForm.getByRole('button', { name: 'Enregistrer l’attribution' }).click()
      await page.getByText('Contrats de lecteur enregistrés.').waitFor()
      await page.getByRole('row', { name: /lecteur.*AC-COMMUNE/ }).waitFor()
      await snap('contracts')
    })

    it('archivist: runs an integrity audit and reads it OK, verifies the seals and the logbook', async () => {
      await nav('Audits et scellements').click()
      await page.getByRole('heading', { name: 'Audits et scellements', level: 1 }).waitFor()
      await page.getByRole('button', { name: 'Lancer un audit d’intégrité' }).click()
      await page.getByText('Audit lancé').waitFor()
      const first = page.locator('main table').first().locator('tbody tr').first()
      await first.getByText('Intègre').waitFor({ timeout: 60_000 })
      assert.match(await first.innerText(), /Intégrité\s+Manuel\s+Intègre\s+24/)
      await first.getByRole('link', { name: 'Rapport' }).click()
      await page.getByText('Toutes les copies sont intègres.', { exact: true }).waitFor()
      await page.getByText('Aucune anomalie : toutes les copies sont intègres.').waitFor()
      await snap('audit-report')
      await page.getByRole('link', { name: '← Tous les audits' }).click()
      await page.getByTestId('seal-status-1').waitFor()
      assert.equal(await page.getByTestId('seal-status-1').innerText(), 'pas encore vérifié')
      await page.getByRole('button', { name: 'Vérifier le sceau n° 1' }).click()
      await page.getByText('Journal vérifié : chaîne intacte et sceaux valides.').waitFor({ timeout: 60_000 })
      assert.equal(await page.getByTestId('seal-status-1').innerText(), 'vérifié')
      await snap('seals-verified')
    })

    it('archivist: the access log names who read what under which contract', async () => {
      await nav('Journal des accès').click()
      await page.getByRole('heading', { name: 'Journal des accès', level: 1 }).waitFor()
      // The log is written in batches (every 500 ms): refresh until the consultation is there.
      for (let i = 0; i < 50; i++) {
        if ((await page.getByRole('cell', { name: 'Consultation d’une unité' }).count()) > 0) break
        await page.getByRole('button', { name: 'Actualiser' }).click()
        await page.waitForTimeout(200)
      }
      const row = page.getByRole('row', { name: /Consultation d’une unité/ }).first()
      assert.match(await row.innerText(), /archiviste[\s\S]*AC-DEFAUT/)
      await snap('access-log')
      await j.signOut()
    })

    it('reader: sees only the contract’s producer; a usage outside the contract is refused in French', async () => {
      await j.signIn('lecteur', 'lecteur-mot-de-passe')
      await nav('Recherche').click()
      await page.getByText('3 résultat(s)').waitFor()
      const facets = page.getByRole('complementary', { name: 'Affiner' })
      assert.doesNotMatch(await facets.innerText(), /AD99/)
      assert.match(await facets.innerText(), new RegExp(`${COMMUNE} \\(3\\)`))
      await snap('reader-search')
      const dip = page.getByRole('form', { name: /Exporter la sélection en DIP/ })
      await dip.getByLabel('Diffusion (Dissemination)').check()
      await dip.getByRole('button', { name: 'Exporter' }).click()
      await page.getByRole('alert').waitFor()
      assert.match(await alertText(), /Action non autorisée pour votre rôle/)
      assert.match(await alertText(), /Code : ACCESS_USAGE_FORBIDDEN/)
      await snap('reader-dip-refused')
      // The reader has no administration: the admin pages are refused.
      for (const path of ['/admin/access-contracts', '/admin/audits', '/admin/access-log']) {
        await page.goto(`${j.server.url}${path}`)
        await page.getByRole('heading', { name: 'Accès refusé' }).waitFor()
      }
      assert.deepEqual(j.external, [])
    })
  })
}
