/**
 * Journey "shelve a box and lend it" in a real Chromium (test/e2e/harness.ts): a commune, its archivist,
 * its producing service and a reader are set up through the API; then, in the browser, the archivist
 * builds a small store and sees the fill of its shelves, imports a paper transfer form (refused with
 * a row/column table, then accepted), types a box and shelves it with "Où ranger ?" (and is refused a
 * full shelf in a French sentence), the producing service asks for a loan, the archivist approves,
 * delivers and records the return, the box page shows its history, labels are printed; a reader asks for
 * a unit that is not communicable and the approval needs a derogation; an inventory check is run.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import {
  apiAs,
  CHROMIUM,
  HAS_CHROMIUM,
  loadReferentials,
  openJourney,
  type Api,
  type Journey,
} from './harness.js'

const T = 'commune-papier'
const HEADER = 'box_barcode;cote;title;start_date;end_date;producer;access_rule;access_start_date'

if (!HAS_CHROMIUM) {
  it('physical archives in Chromium', { skip: `${CHROMIUM} absent: browser tests skipped` }, () => {})
} else {
  describe('physical archives in Chromium: shelve a box and lend it', () => {
    let j: Journey
    let page: Page
    let arch: Api
    let url: string
    const snap = (name: string) => j.snap(name)
    const nav = (name: string) => j.nav(name)
    const formWith = (heading: RegExp | string) =>
      page.locator('form', { has: page.getByRole('heading', { name: heading }) })
    const optionValue = async (select: string, text: string) => {
      const v = await page.locator(`${select} option`, { hasText: text }).first().getAttribute('value')
      assert.ok(v, `option « ${text} » of ${select}`)
      return v
    }
    const unitOf = async (barcode: string) =>
      (
        await arch.call<{ content: { unitId: string; title: string }[] }>(
          'GET',
          `/boxes/${barcode}`,
          undefined,
          T,
        )
      ).content
    const later = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10)

    before(async () => {
      j = await openJourney('physical-')
      page = j.page
      url = j.server.url
      const admin = await apiAs(j.server, 'admin', j.server.adminPassword)
      await admin.call('POST', '/tenants', { id: T, name: 'Commune de Papier', controlledBy: 'default' })
      await loadReferentials(admin, T, ['agencies', 'rules', 'access-contracts'])
      for (const [username, role] of [
        ['archiviste', 'archivist'],
        ['secretaire', 'producer'],
        ['lecteur', 'reader'],
      ] as const)
        await admin.call('POST', '/users', { username, role, password: `${username}-mot-de-passe` }, T)
      arch = await apiAs(j.server, 'archiviste', 'archiviste-mot-de-passe')
      // Two box types, through the API.
      await arch.call(
        'POST',
        '/boxes/types',
        { id: 'DIM10', name: 'Boîte 10 cm', widthMm: 100, heightMm: 250, depthMm: 330 },
        T,
      )
      await arch.call(
        'POST',
        '/boxes/types',
        { id: 'DIM40', name: 'Conteneur 40 cm', widthMm: 400, heightMm: 300, depthMm: 400 },
        T,
      )
      await writeFile(
        join(j.dir, 'bordereau-faux.csv'),
        [
          HEADER,
          'B-001;1W 1;Délibérations 2019;2019-01-01;2019-12-31;AD99;;',
          'B-001;1W 2;Délibérations 2020;2020-13-01;2020-12-31;AD99;;',
          'B-002;2W 1;Dossiers du personnel;2019-01-01;2020-12-31;INCONNU;ACC-00016;2020-12-31',
        ].join('\n'),
      )
      await writeFile(join(j.dir, 'bordereau.pdf'), '%PDF-1.4 pas un bordereau')
      await writeFile(
        join(j.dir, 'bordereau.csv'),
        [
          HEADER,
          'B-001;1W 1;Délibérations 2019;2019-01-01;2019-12-31;AD99;;',
          'B-001;1W 2;Délibérations 2020;2020-01-01;2020-12-31;AD99;;',
          'B-002;2W 1;Dossiers du personnel;2019-01-01;2020-12-31;AD99;ACC-00016;2020-12-31',
        ].join('\n'),
      )
    })

    after(async () => {
      await j?.close()
    })

    it('archivist: builds the store in the browser and sees the fill of its shelves', async () => {
      await j.signIn('archiviste', 'archiviste-mot-de-passe')
      await nav('Magasins').click()
      await page.getByRole('heading', { name: 'Magasins', level: 1 }).waitFor()
      await page.getByText('Aucun emplacement').waitFor()
      // An empty store: three levels (storeroom → bay → shelf) instead of the six by default.
      for (let i = 0; i < 3; i++)
        await page.getByRole('button', { name: 'Retirer le dernier niveau' }).click()
      for (const [i, name] of ['magasin', 'épi', 'tablette'].entries())
        await page.getByLabel(`Niveau ${i + 1}`, { exact: true }).fill(name)
      await page.getByRole('button', { name: 'Enregistrer les niveaux' }).click()
      await page.getByText('Niveaux enregistrés : magasin → épi → tablette.').waitFor()
      await page.locator('#loc-new-root-code').fill('M1')
      await page.locator('#loc-new-root-name').fill('Magasin du sous-sol')
      await page.getByRole('button', { name: 'Créer', exact: true }).click()
      await page.getByText('magasin M1 créé(e).').waitFor()
      await page.getByRole('button', { name: 'M1 — Magasin du sous-sol' }).click()
      const bay = formWith('Ajouter un(e) épi sous M1')
      await bay.getByLabel('Code').fill('E1')
      await bay.getByRole('button', { name: 'Créer' }).click()
      await page.getByText('épi M1/E1 créé(e).').waitFor()
      await page.getByRole('button', { name: 'E1', exact: true }).click()
      for (const [code, length] of [
        ['1', '0,3'],
        ['2', '1'],
        ['3', '0.5'],
      ] as const) {
        const shelf = formWith('Ajouter un(e) tablette sous M1/E1')
        await shelf.getByLabel('Code').fill(code)
        await shelf.getByLabel('Longueur (mètres linéaires)').fill(length)
        await shelf.getByRole('button', { name: 'Créer' }).click()
        await page.getByText(`tablette M1/E1/${code} créé(e).`).waitFor()
      }
      // Shelf 3 is blocked (a leak above it): edit its properties.
      await page.getByRole('button', { name: '3', exact: true }).click()
      const edit = formWith('Modifier M1/E1/3')
      await edit.getByLabel('bloquée').check()
      await edit.getByRole('button', { name: 'Enregistrer' }).click()
      await page.getByText('Emplacement M1/E1/3 modifié.').waitFor()
      assert.equal(await edit.getByLabel('bloquée').isChecked(), true)
      // The bay's drawing: one bar per shelf, with its text (not colour alone).
      const picture = page.getByRole('img', { name: /^Remplissage des tablettes de M1\/E1/ })
      await picture.waitFor()
      const label = (await picture.getAttribute('aria-label')) ?? ''
      assert.match(label, /1 : 0 m \/ 0,3 m \(0 %\)/)
      assert.match(label, /3 : 0 m \/ 0,5 m \(0 %\) — bloquée/)
      assert.equal(
        await page.locator('.loc-row', { hasText: 'Magasin du sous-sol' }).getByText('libre : 1,8 m').count(),
        1,
      )
      await snap('store-created')
    })

    it('archivist: a transfer form with bad rows is refused row by row, the fixed one creates boxes and units', async () => {
      await nav('Bordereau de versement').click()
      await page.getByText('Colonnes du bordereau (aide)').click()
      assert.equal(await page.getByTestId('form-columns').locator('tbody tr').count(), 14)
      const [template] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Télécharger le modèle CSV' }).click(),
      ])
      assert.equal(template.suggestedFilename(), 'bordereau-modele.csv')
      assert.match(await readFile((await template.path())!, 'utf8'), /^\ufeff?box_barcode;cote;title;/)

      // Not a CSV: refused before sending, in French.
      await page.getByLabel('Fichier CSV du bordereau').setInputFiles(join(j.dir, 'bordereau.pdf'))
      await page.getByRole('button', { name: 'Envoyer le bordereau' }).click()
      await page.getByRole('alert').waitFor()
      assert.match(await j.alertText(), /Fichier non accepté : « bordereau\.pdf »/)
      await page.getByLabel('Fichier CSV du bordereau').setInputFiles(join(j.dir, 'bordereau-faux.csv'))
      await page.getByRole('button', { name: 'Envoyer le bordereau' }).click()
      const errors = page.getByTestId('form-errors')
      await errors.waitFor()
      const rows = await errors.locator('tbody tr').allInnerTexts()
      assert.ok(
        rows.some((r) => /^2\s+3\s+start_date\s/.test(r)),
        `row 2 (line 3) start_date: ${rows.join(' | ')}`,
      )
      assert.ok(
        rows.some((r) => /^3\s+4\s+producer\s/.test(r)),
        `row 3 (line 4) producer: ${rows.join(' | ')}`,
      )
      assert.match(await j.alertText(), /rien n’a été créé/)
      await snap('transfer-form-refused')
      assert.equal((await arch.call<{ total: number }>('GET', '/boxes', undefined, T)).total, 0)

      await page.getByLabel('Fichier CSV du bordereau').setInputFiles(join(j.dir, 'bordereau.csv'))
      await page.getByRole('button', { name: 'Envoyer le bordereau' }).click()
      await page.getByText('Bordereau accepté : 2 boîte(s), 3 unité(s)').waitFor()
      assert.equal(await page.getByTestId('form-units').locator('tbody tr').count(), 3)
      await page.getByRole('link', { name: 'B-002' }).waitFor()
      await snap('transfer-form-accepted')
    })

    it('archivist: types a box, shelves it with "Où ranger ?", and a full shelf is refused in a sentence', async () => {
      await nav('Boîtes').click()
      await page.getByText('2 boîte(s)').waitFor()
      await page.getByLabel('Code-barres ou cote (début)').fill('B-001')
      await page.keyboard.press('Enter')
      await page.getByRole('heading', { name: 'Boîte B-001' }).waitFor()
      await page.getByLabel('Type de boîte').selectOption('DIM10')
      await page.getByRole('button', { name: 'Enregistrer le type' }).click()
      await page.getByText('Boîte B-001 : type DIM10 enregistré.').waitFor()

      await nav('Magasins').click()
      await page.getByRole('spinbutton', { name: 'Nombre de boîtes' }).fill('1')
      await page.getByLabel('Type de boîte').selectOption('DIM10')
      await page.getByRole('button', { name: 'Chercher les places libres' }).click()
      const places = page.getByTestId('free-places')
      await places.waitFor()
      const first = await places.locator('tbody tr').first().innerText()
      assert.match(first, /M1\/E1\/1/, 'nearest first: tree order, the blocked shelf 3 never offered')
      assert.equal(await places.getByText('M1/E1/3').count(), 0)
      await page.getByLabel(/B-001/).check()
      await snap('where-to-store')
      await page.getByRole('button', { name: 'Ranger ici (M1/E1/1)' }).click()
      await page.getByText('1 boîte(s) rangée(s) sur M1/E1/1.').waitFor()
      // The drawing follows: shelf 1 is now a third full.
      await page.getByRole('img', { name: /1 : 0,1 m \/ 0,3 m \(33 %\)/ }).waitFor()
      await snap('store-filled')

      // B-002 as a 40 cm container does not fit on shelf 1 (0.2 m left): a French sentence, nothing moved.
      await page.goto(`${url}/physical/boxes/B-002`)
      await page.getByRole('heading', { name: 'Boîte B-002' }).waitFor()
      await page.getByLabel('Type de boîte').selectOption('DIM40')
      await page.getByRole('button', { name: 'Enregistrer le type' }).click()
      await page.getByText('Boîte B-002 : type DIM40 enregistré.').waitFor()
      await page.getByLabel('Vers la tablette').selectOption(await optionValue('#move-to', 'M1/E1/1 '))
      await page.getByRole('button', { name: 'Déplacer', exact: true }).click()
      await page.getByRole('alert').waitFor()
      assert.match(
        await j.alertText(),
        /Déplacement refusé : la tablette M1\/E1\/1 n’a que 0,2 m libres, il en faut 0,4 m\. Rien n’a été déplacé/,
      )
      assert.equal(await page.getByTestId('box-place').innerText(), 'non rangée')
      await snap('shelf-full')
      await page.getByLabel('Vers la tablette').selectOption(await optionValue('#move-to', 'M1/E1/2 '))
      await page.getByRole('button', { name: 'Déplacer', exact: true }).click()
      await page.getByText('1 boîte(s) rangée(s) sur M1/E1/2.').waitFor()
      await page.getByTestId('box-place').getByText('M1/E1/2').waitFor()
      await j.signOut()
    })

    it('producing service asks for a loan; the archivist approves, delivers and records the return', async () => {
      const [unit] = await unitOf('B-001')
      await j.signIn('secretaire', 'secretaire-mot-de-passe')
      await page.goto(`${url}/units/${unit!.unitId}`)
      await page.getByRole('heading', { name: unit!.title, level: 1 }).waitFor()
      await page.getByText('Original papier et demandes').waitFor()
      assert.match(
        await page.locator('section', { hasText: 'Original papier et demandes' }).innerText(),
        /B-001.*M1\/E1\/1/s,
      )
      await page.getByRole('button', { name: 'Demander un prêt' }).click()
      assert.equal(await page.getByLabel('Service emprunteur (producteur)').inputValue(), 'AD99')
      await page.getByLabel('Motif').fill('Contentieux en cours')
      await page.getByLabel('Date de retour').fill(later(30))
      await page.getByRole('button', { name: 'Envoyer la demande' }).click()
      await page.getByText('Demande enregistrée (Prêt administratif)').waitFor()
      await page.getByTestId('unit-my-requests').getByText('demandée').waitFor()
      await snap('loan-requested')
      await j.signOut()

      await j.signIn('archiviste', 'archiviste-mot-de-passe')
      const pending = page.locator('.stats div', { hasText: 'Demandes en attente' })
      await pending.getByRole('link', { name: '1' }).waitFor()
      await page.getByText('Mètres linéaires conservés').waitFor()
      await snap('home-archivist')
      await nav('Demandes').click()
      const row = page.getByTestId('requests').locator('tbody tr', { hasText: 'Prêt administratif' })
      assert.match(await row.innerText(), /secretaire \(AD99\)/)
      await row.getByRole('link').click()
      await page.getByRole('heading', { name: 'Demande : Prêt administratif' }).waitFor()
      await page.getByTestId('request-units').getByText('communicable', { exact: true }).waitFor()
      await snap('loan-to-approve')
      await page.getByRole('button', { name: 'Accorder la demande' }).click()
      await page.getByText('Demande accordée.').waitFor()
      await page.getByRole('button', { name: 'Remettre', exact: true }).click()
      await page.getByText('Documents remis').waitFor()
      assert.match(await page.getByTestId('request-state').innerText(), /remise/)
      await page.getByRole('button', { name: 'Enregistrer le retour' }).click()
      await page.getByText('Retour enregistré').waitFor()
      assert.match(await page.getByTestId('request-state').innerText(), /rendue/)
      const history = await page.getByTestId('request-history').locator('tbody tr').allInnerTexts()
      assert.deepEqual(
        history.map((h) => h.split('\t')[1]),
        ['demandée', 'accordée', 'remise', 'rendue'],
      )
      await snap('loan-returned')

      // The box's page: content, place, history of places and its outings.
      await page.getByTestId('request-units').getByRole('link', { name: 'B-001' }).click()
      await page.getByRole('heading', { name: 'Boîte B-001' }).waitFor()
      const moves = await page.getByTestId('box-history').locator('tbody tr').allInnerTexts()
      assert.ok(moves.length >= 2, moves.join(' | '))
      assert.match(moves[0]!, /enregistrée/)
      assert.ok(
        moves.some((m) => /déplacée\s+—\s+M1\/E1\/1/.test(m)),
        moves.join(' | '),
      )
      await page.getByRole('link', { name: 'Délibérations 2019' }).waitFor()
      // Its outings come from the API (history rows out / returned), and it is back on its shelf.
      assert.equal(await page.getByTestId('box-presence').innerText(), 'sur sa tablette')
      assert.ok(
        moves.some((m) => /sortie/.test(m)) && moves.some((m) => /revenue/.test(m)),
        moves.join(' | '),
      )
      const outings = await page.getByTestId('box-outings').locator('tbody tr').allInnerTexts()
      assert.equal(outings.length, 1, outings.join(' | '))
      assert.match(outings[0]!, /Prêt administratif/)
      assert.doesNotMatch(outings[0]!, /pas encore revenue/)
      assert.equal(await page.getByTestId('box-out').count(), 0)
      await snap('box-history')
    })

    it('archivist: prints labels and the shelf list (PDF)', async () => {
      // An unknown box is a French sentence, not a blank page.
      await page.goto(`${url}/physical/boxes/INCONNUE`)
      await page.getByRole('alert').waitFor()
      assert.match(await j.alertText(), /Introuvable.*Boîte inconnue : INCONNUE/s)
      await nav('Étiquettes').click()
      await page
        .getByLabel('Emplacement', { exact: true })
        .selectOption(await optionValue('#labels-location', 'M1 — Magasin'))
      await page.getByLabel('QR code').check()
      for (const [button, name] of [
        ['Télécharger les étiquettes', 'etiquettes.pdf'],
        ['Télécharger la liste topographique', 'liste-topographique.pdf'],
      ] as const) {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('button', { name: button }).click(),
        ])
        assert.equal(download.suggestedFilename(), name)
        const pdf = await readFile((await download.path())!)
        assert.ok(pdf.length > 500, `${name}: ${pdf.length} bytes`)
        assert.equal(pdf.subarray(0, 4).toString('latin1'), '%PDF')
      }
      await snap('labels')
    })

    it('archivist: an inventory check finds one box in place and one misplaced', async () => {
      await nav('Récolement').click()
      await page.getByText('Aucun récolement pour le moment.').waitFor()
      await page.getByLabel('Intitulé').fill('Récolement du magasin M1')
      await page.getByLabel('M1 — Magasin du sous-sol (magasin)').check()
      await page.getByRole('button', { name: 'Ouvrir le récolement' }).click()
      await page.getByRole('heading', { name: 'Récolement du magasin M1' }).waitFor()
      await page.getByLabel('Tablette relevée').selectOption(await optionValue('#inv-shelf', 'M1/E1/1'))
      // A scanner types the code and Enter, then the next one in the same field.
      const field = page.getByLabel(/^Code-barres \(douchette/)
      for (const code of ['B-001', 'B-002']) {
        await field.fill(code)
        await field.press('Enter')
        await page.getByText(`Relevés ici : ${code === 'B-001' ? 'B-001' : 'B-001, B-002'}`).waitFor()
      }
      assert.equal(await page.evaluate('document.activeElement?.id'), 'inv-code')
      const report = page.getByTestId('inventory-report')
      await report.getByText('B-002 : attendue sur M1/E1/2, vue sur M1/E1/1').waitFor()
      await snap('inventory-live')
      await page.getByRole('button', { name: 'Clore le récolement' }).click()
      await page.getByRole('heading', { name: 'Rapport définitif' }).waitFor()
      const stats = await report.locator('.stats').innerText()
      assert.match(stats, /En place\s+1/)
      assert.match(stats, /Mal rangées\s+1/)
      await j.signOut()
    })

    it('a reader asks for a unit that is not communicable; approving it needs a derogation', async () => {
      const [closed] = await unitOf('B-002')
      await j.signIn('lecteur', 'lecteur-mot-de-passe')
      const links = await page.getByRole('navigation').getByRole('link').allInnerTexts()
      assert.deepEqual(links, ['Accueil', 'Recherche', 'Plan de classement', 'Mes demandes'])
      // The store's screens are the archivists': a reader's visit is refused (the server refuses too).
      for (const path of ['/physical/locations', '/physical/boxes', '/requests', '/physical/labels']) {
        await page.goto(`${url}${path}`)
        await page.getByRole('heading', { name: 'Accès refusé' }).waitFor()
      }
      await page.goto(`${url}/units/${closed!.unitId}`)
      await page.getByText('Cette unité ne vous est pas communicable aujourd’hui').waitFor()
      await page.getByRole('button', { name: 'Demander la consultation' }).click()
      await page.getByLabel('Motif').fill('Recherche généalogique')
      await page.getByRole('button', { name: 'Envoyer la demande' }).click()
      await page.getByText('Demande enregistrée (Consultation en salle)').waitFor()
      await page.getByTestId('unit-my-requests').getByText('demandée').waitFor()
      await snap('reader-requested')
      await nav('Mes demandes').click()
      assert.match(await page.getByTestId('requests').innerText(), /Consultation en salle.*demandée/s)
      await snap('reader-my-requests')
      await j.signOut()

      await j.signIn('archiviste', 'archiviste-mot-de-passe')
      await nav('Demandes').click()
      await page.getByTestId('requests').locator('tbody tr', { hasText: 'lecteur' }).getByRole('link').click()
      await page.getByText('Au moins une unité n’est pas communicable au demandeur').waitFor()
      // The units table loads its units apart from the derogation check above: wait for its badge.
      const requestUnits = page.getByTestId('request-units')
      await requestUnits.getByText('non communicable', { exact: true }).waitFor()
      assert.match(await requestUnits.innerText(), /non communicable.*à partir du/s)
      // Without a derogation, the server refuses the approval.
      await page.getByLabel('Accorder une dérogation').uncheck()
      await page.getByRole('button', { name: 'Accorder la demande' }).click()
      await page.getByRole('alert').waitFor()
      assert.match(await j.alertText(), /dérogation/)
      assert.match(await j.alertText(), /REQUEST_DEROGATION_REQUIRED/)
      await page.getByLabel('Accorder une dérogation').check()
      await page.getByLabel('Motif de la dérogation').fill('Intérêt légitime du demandeur, avis favorable')
      await page.getByLabel('Dérogation valable jusqu’au').fill(later(60))
      await snap('derogation')
      await page.getByRole('button', { name: 'Accorder la demande' }).click()
      await page.getByText('Demande accordée.').waitFor()
      assert.match(await page.locator('dl.facts').innerText(), /Intérêt légitime du demandeur/)
      assert.deepEqual(j.external, [])
    })
  })
}
