/**
 * Lifecycle screens in a real Chromium: "request and approve an elimination" (issue 8) — a commune whose
 * package's DUA is over, its archivist analyses, drafts and submits; the departmental archives' control
 * authority sees it on its home and in "Visas en attente" and approves; the commune executes it and
 * downloads the certificate; the unit is gone from search. Also: a commune archivist has no visa button
 * and a direct URL is refused in French; a hold placed from the screens shows as a conflict; a visa
 * without comment is refused by the server in French; the accession register shows the elimination.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Download, Page } from 'playwright-core'
import { writeSipZip } from '../helpers/sip.js'
import {
  apiAs,
  CHROMIUM,
  HAS_CHROMIUM,
  loadReferentials,
  openJourney,
  waitFor,
  type Api,
  type Journey,
} from './harness.js'

const COMMUNE = 'c-begles'
const AD = 'ad33'
const YEAR = new Date().getUTCFullYear()
// Five years (APP-COM-0005) from 2 January five years ago: over since 2 January of this year.
const START = `${YEAR - 5}-01-02`
const destroyRule = `<AppraisalRule><Rule>APP-COM-0005</Rule><StartDate>${START}</StartDate><FinalAction>Destroy</FinalAction></AppraisalRule>`
const keepItem = `<Management><AppraisalRule><Rule>APP-COM-0001</Rule><StartDate>${START}</StartDate><PreventInheritance>true</PreventInheritance><FinalAction>Keep</FinalAction></AppraisalRule></Management>`

async function waitIngest(api: Api, opId: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const op = await api.call<{ status: string }>('GET', `/operations/${opId}`, undefined, COMMUNE)
    if (op.status === 'OK' || op.status === 'WARNING') return
    if (op.status === 'KO' || op.status === 'FATAL') throw new Error(`ingest ${opId}: ${op.status}`)
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`ingest ${opId} did not finish`)
}

async function savedText(d: Download): Promise<string> {
  return readFile((await d.path())!, 'utf8')
}

if (!HAS_CHROMIUM) {
  it('lifecycle screens in Chromium', { skip: `${CHROMIUM} absent: browser tests skipped` }, () => {})
} else {
  describe('lifecycle screens in Chromium: request and approve an elimination', () => {
    let j: Journey
    let page: Page
    let admin: Api
    const units: Record<'due' | 'dueItem' | 'held' | 'keepParent' | 'keepItem', string> = {
      due: '',
      dueItem: '',
      held: '',
      keepParent: '',
      keepItem: '',
    }
    let requestId = ''

    const ingest = async (name: string, title: string, transform?: (xml: string) => string) => {
      const path = await writeSipZip(join(j.dir, name), {
        unitTitle: title,
        rules: destroyRule,
        startDate: START,
        endDate: START,
        files: [
          {
            name: `${name}.pdf`,
            bytes: Buffer.from(`%PDF-1.4\n% ${title}\n%%EOF\n`),
            title: `${title} (pièce)`,
          },
        ],
        ...(transform ? { transformManifest: transform } : {}),
      })
      const form = new FormData()
      form.append('file', new Blob([await readFile(path)], { type: 'application/zip' }), name)
      const res = await admin.fetch('/ingests', { method: 'POST', body: form }, COMMUNE)
      assert.equal(res.status, 202, await res.clone().text())
      const { operationId } = (await res.json()) as { operationId: string }
      await waitIngest(admin, operationId)
      const list = await admin.call<{ results: { id: string; parentIds: string[] }[] }>(
        'GET',
        `/units?operationId=${operationId}`,
        undefined,
        COMMUNE,
      )
      return {
        root: list.results.find((u) => u.parentIds.length === 0)!.id,
        item: list.results.find((u) => u.parentIds.length > 0)!.id,
      }
    }

    before(async () => {
      j = await openJourney('lifecycle-')
      page = j.page
      admin = await apiAs(j.server, 'admin', j.server.adminPassword)
      await admin.call('POST', '/tenants', { id: AD, name: 'Archives départementales de la Gironde' })
      await admin.call('POST', '/tenants', { id: COMMUNE, name: 'Commune de Bègles', controlledBy: AD })
      for (const tenant of [AD, COMMUNE]) await loadReferentials(admin, tenant)
      await admin.call(
        'POST',
        '/users',
        { username: 'arch-begles', password: 'archiviste-begles', role: 'archivist' },
        COMMUNE,
      )
      await admin.call(
        'POST',
        '/users',
        { username: 'ca-ad33', password: 'controle-ad33', role: 'control-authority' },
        AD,
      )
      const due = await ingest('arretes', 'Arrêtés de voirie temporaires')
      units.due = due.root
      units.dueItem = due.item
      units.held = (await ingest('contentieux', 'Arrêtés du dossier en contentieux')).root
      const keep = await ingest('registre', 'Registre des arrêtés permanents', (xml) =>
        xml.replace('<ArchiveUnit id="U0"><Content>', `<ArchiveUnit id="U0">${keepItem}<Content>`),
      )
      units.keepParent = keep.root
      units.keepItem = keep.item
    })

    after(async () => {
      await j?.close()
    })

    it('commune archivist: due units on home, a hold, the analysis with its conflicts, a request submitted', async () => {
      await j.signIn('arch-begles', 'archiviste-begles')
      const due = page.getByRole('region', { name: `Éliminations échues en ${YEAR}` })
      await due.getByText(/unité\(s\) dont la DUA se termine cette année/).waitFor()
      assert.ok(
        await due.getByRole('link', { name: 'Arrêtés de voirie temporaires', exact: true }).isVisible(),
      )
      assert.equal(await page.getByRole('heading', { name: 'Visas en attente' }).count(), 0)
      await j.snap('home-commune')

      // A legal hold placed from the unit's page, then seen on the unit.
      await page.goto(`${j.server.url}/units/${units.held}`)
      await page.getByText('Aucun gel en vigueur sur cette unité.').waitFor()
      await page.getByRole('link', { name: 'Poser un gel' }).click()
      assert.equal(await page.getByLabel('Unité d’archives (identifiant)').inputValue(), units.held)
      await page
        .getByLabel('Motif', { exact: true })
        .fill('Contentieux en cours devant le tribunal administratif')
      await page.getByRole('button', { name: 'Poser le gel' }).click()
      await page.getByText('Gel posé.').waitFor()
      await page
        .getByRole('cell', { name: 'Contentieux en cours devant le tribunal administratif' })
        .waitFor()
      await j.snap('holds')
      await page.goto(`${j.server.url}/units/${units.held}`)
      await page.getByText('Sous gel', { exact: true }).waitFor()
      await j.snap('unit-held')

      // Analysis (a job): eligible units, and conflicts with their French reasons.
      await j.nav('Éliminations').click()
      await page.getByRole('button', { name: 'Analyser' }).click()
      await page.waitForURL(/\/eliminations\/analysis\//)
      await page.getByText(/Analyse terminée .*: 2 unité\(s\) éliminable\(s\), 3 conflit\(s\)/).waitFor()
      const [eligible, conflicts] = [page.locator('main table').nth(0), page.locator('main table').nth(1)]
      const eligibleRows = await eligible.locator('tbody tr').allInnerTexts()
      assert.equal(eligibleRows.length, 2)
      assert.ok(eligibleRows.some((r) => r.includes('Arrêtés de voirie temporaires')))
      assert.ok(
        eligibleRows.every((r) => r.includes('Élimination') && r.includes(`02/01/${YEAR}`)),
        eligibleRows.join('\n'),
      )
      const heldRow = conflicts.getByRole('row', { name: /Arrêtés du dossier en contentieux/ }).first()
      assert.match(await heldRow.innerText(), /Sous gel \(gel juridique ou règle de gel en vigueur\)/)
      const keepRow = conflicts.getByRole('row', { name: /Registre des arrêtés permanents/ })
      // The descendant is named by its title, loaded apart (its id is shown meanwhile): wait for it.
      await keepRow
        .getByRole('link', { name: 'Registre des arrêtés permanents (pièce)', exact: true })
        .waitFor()
      assert.match(
        await keepRow.innerText(),
        /Une unité descendante doit être conservée : Registre des arrêtés permanents \(pièce\) \(Sort final : conservation définitive\)/,
      )
      await j.snap('analysis')

      // Only the branch of the due package goes into the request.
      await page
        .getByLabel('Observations (facultatif)')
        .fill('Arrêtés temporaires de 2021, registre vérifié.')
      await page.getByRole('button', { name: 'Créer la demande d’élimination (2 unité(s))' }).click()
      await page.waitForURL(/\/eliminations\/[0-9a-f-]+$/)
      requestId = page.url().split('/').pop()!
      await page.getByText('Brouillon', { exact: true }).waitFor()
      await j.snap('request-draft')
      await page.getByRole('button', { name: 'Soumettre au visa' }).click()
      await page.getByText('Demande soumise au visa des archives départementales.').waitFor()
      await page.getByText('Soumise au visa', { exact: true }).waitFor()
      assert.equal(await page.getByRole('link', { name: 'Donner le visa' }).count(), 0)
      await page.getByText('En attente du visa des archives départementales.').waitFor()
      const [bordereau] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Bordereau d’élimination (PDF)' }).click(),
      ])
      assert.equal(bordereau.suggestedFilename(), `${requestId}-bordereau.pdf`)
      assert.match(await savedText(bordereau), /^%PDF-/)
      const [acr] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Demande d’autorisation (SEDA XML)' }).click(),
      ])
      assert.match(await savedText(acr), /AuthorizationControlAuthorityRequest/)
      await j.snap('request-submitted')
    })

    it('commune archivist: no visa link, and the visa URLs answer a French refusal', async () => {
      assert.equal(await j.nav('Visas en attente').count(), 0)
      await page.goto(`${j.server.url}/eliminations/${requestId}/visa`)
      await page.getByRole('heading', { name: 'Accès refusé' }).waitFor()
      assert.match(await j.alertText(), /Votre rôle ne donne pas accès à cette page/)
      await j.snap('visa-refused-commune')
      await page.goto(`${j.server.url}/visas`)
      await page.getByRole('heading', { name: 'Accès refusé' }).waitFor()
      // The server refuses too, whatever the screens show.
      const api = await apiAs(j.server, 'arch-begles', 'archiviste-begles')
      const res = await api.fetch(
        `/eliminations/${requestId}/visa`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ decision: 'approve', comment: 'moi-même' }),
        },
        COMMUNE,
      )
      assert.equal(res.status, 403)
      assert.equal(
        ((await res.json()) as { error: { code: string } }).error.code,
        'ELIMINATION_VISA_FORBIDDEN',
      )
      await j.signOut()
    })

    it('AD control authority: sees the request on its home and in "Visas en attente", approves it', async () => {
      await j.signIn('ca-ad33', 'controle-ad33')
      const panel = page.getByRole('region', { name: 'Visas en attente' })
      await panel.getByText('1 demande(s) attendent votre visa.').waitFor()
      assert.ok(await panel.getByRole('cell', { name: 'Commune de Bègles' }).isVisible())
      await j.snap('home-control-authority')
      await j.nav('Visas en attente').click()
      await page.getByRole('heading', { name: 'Visas en attente', level: 1 }).waitFor()
      await j.snap('visas-pending')
      await page.getByRole('link', { name: `Examiner la demande ${requestId}` }).click()
      await page.getByRole('heading', { name: `Demande d’élimination ${requestId}` }).waitFor()
      assert.equal(await page.getByLabel('Service d’archives', { exact: true }).inputValue(), COMMUNE)
      await page.getByRole('link', { name: 'Donner le visa' }).click()
      await page.getByRole('heading', { name: 'Visa de l’autorité de contrôle' }).waitFor()
      await page.getByText(/2 unité\(s\) à éliminer/).waitFor()
      // Without a comment the server refuses: its French sentence, nothing recorded.
      await page.getByRole('button', { name: 'Enregistrer le visa' }).click()
      await page.getByRole('alert').waitFor()
      assert.match(await j.alertText(), /comment/i)
      assert.match(await j.alertText(), /Code : ELIMINATION_INVALID/)
      await j.snap('visa-refused-no-comment')
      await page.getByLabel('Approuver l’élimination').check()
      await page
        .getByLabel('Commentaire (obligatoire)')
        .fill('Visa favorable : DUA échue, registre des arrêtés vérifié.')
      await j.snap('visa-form')
      await page.getByRole('button', { name: 'Enregistrer le visa' }).click()
      await page.getByText(/Visa favorable donné par/).waitFor()
      await page.getByText('Visée (approuvée)', { exact: true }).waitFor()
      // The control authority reads and visas; it does not destroy.
      assert.equal(await page.getByRole('button', { name: 'Exécuter l’élimination' }).count(), 0)
      await j.snap('request-approved')
      await page.getByRole('link', { name: 'Accueil' }).click()
      await page.getByLabel('Service d’archives', { exact: true }).selectOption(AD)
      await page
        .getByRole('region', { name: 'Visas en attente' })
        .getByText('Aucune demande n’attend votre visa.')
        .waitFor()
      await j.signOut()
    })

    it('commune archivist: executes the elimination, downloads the certificate; the unit is gone from search', async () => {
      await j.signIn('arch-begles', 'archiviste-begles')
      await j.nav('Éliminations').click()
      await page.getByRole('link', { name: requestId }).click()
      await page.getByText('Visée (approuvée)', { exact: true }).waitFor()
      await page.getByRole('button', { name: 'Exécuter l’élimination' }).click()
      await page.getByText('Éliminée', { exact: true }).waitFor({ timeout: 60_000 })
      await j.snap('request-executed')
      const rows = await page.locator('main table tbody tr').allInnerTexts()
      assert.equal(rows.length, 2)
      assert.ok(
        rows.every((r) => r.includes('Détruite')),
        rows.join('\n'),
      )
      const [pdf] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Certificat de destruction (PDF)' }).click(),
      ])
      assert.match(await savedText(pdf), /^%PDF-/)
      const [json] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Certificat de destruction (JSON)' }).click(),
      ])
      const cert = JSON.parse(await savedText(json)) as Record<string, unknown>
      const certText = JSON.stringify(cert)
      assert.ok(certText.includes(requestId), 'the certificate names the request')
      assert.ok(certText.includes(units.due) && certText.includes(units.dueItem), 'and the destroyed units')
      const [notification] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Notification de destruction (SEDA XML)' }).click(),
      ])
      assert.match(await savedText(notification), /ArchiveDestructionNotification/)

      await j.nav('Recherche').click()
      await page.getByLabel('Rechercher dans les titres').fill('voirie')
      await page.getByRole('button', { name: 'Rechercher' }).click()
      await page.getByText('0 résultat(s)').waitFor()
      await page.getByText('Aucune unité d’archives ne correspond.').waitFor()
      await j.snap('search-after-elimination')
      // Its page shows its tombstone: what it was, when it was eliminated, the request and the visa.
      await page.goto(`${j.server.url}/units/${units.due}`)
      const tomb = page.getByTestId('tombstone')
      await tomb
        .getByRole('heading', { name: 'Unité sortie du fonds : Arrêtés de voirie temporaires' })
        .waitFor()
      const tombText = await tomb.innerText()
      assert.match(tombText, /a été éliminée le/)
      assert.match(tombText, new RegExp(`Demande d’élimination\\s+${requestId}`))
      assert.doesNotMatch(tombText, /Visa\s+—/)
      // The held and kept ones are still there.
      await page.goto(`${j.server.url}/units/${units.held}`)
      await page.getByRole('heading', { name: 'Arrêtés du dossier en contentieux', level: 1 }).waitFor()
    })

    it('commune archivist: the accession register shows the entries and the elimination, CSV downloaded', async () => {
      await j.nav('Registre des entrées').click()
      const lines = page.getByTestId('register-lines')
      await lines.waitFor()
      const rows = await lines.locator('tbody tr').allInnerTexts()
      assert.equal(rows.filter((r) => r.includes('Versement')).length, 3)
      assert.equal(rows.filter((r) => r.includes('Élimination')).length, 1)
      await page.getByLabel('Sens').selectOption('out')
      assert.equal(await lines.locator('tbody tr').count(), 1)
      await j.snap('register')
      const [csv] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Télécharger le registre (CSV)' }).click(),
      ])
      const text = await savedText(csv)
      assert.ok(text.split('\n').length >= 5, text)
      assert.match(text, /ELIMINATION/)
    })

    it('commune archivist: lifts the hold; reclassifies a unit and reverts it; a file transfer', async () => {
      await j.nav('Gels').click()
      await page.getByRole('button', { name: 'Lever' }).click()
      await page.getByLabel('Motif de la levée').fill('Jugement rendu')
      await page.getByRole('button', { name: 'Lever le gel' }).click()
      await page.getByText('Gel levé.').waitFor()
      await page.getByText('Aucun gel.').waitFor()

      await j.nav('Reclassement et règles').click()
      await page.getByLabel('Unité à déplacer (identifiant)').fill(units.keepItem)
      await page.getByLabel('Nouveaux parents (identifiants ; vide : à la racine)').fill(units.held)
      await page.getByRole('button', { name: 'Reclasser' }).click()
      await page.getByText(/Reclassement fait : 1 unité\(s\) déplacée\(s\)/).waitFor()
      // A rule unknown to the referential: every problem listed, nothing changed.
      await page
        .getByLabel('Identifiants des unités (séparés par des espaces ou des virgules)')
        .fill(units.held)
      await page.getByLabel('Règle(s) (identifiants du référentiel)').fill('APP-INCONNUE')
      await page.getByLabel('Date de départ').fill(`${YEAR - 1}-06-01`)
      await page.getByLabel('Sort final', { exact: true }).selectOption('Keep')
      await page.getByRole('button', { name: 'Mettre à jour' }).click()
      await page.getByRole('alert').waitFor()
      assert.match(await j.alertText(), /Code : RULES_UPDATE_INVALID/)
      await page.getByText(/UNKNOWN_RULE/).waitFor()
      await j.snap('changes-refused')
      // The list of changes reloads after the reclassification: wait for its line before counting.
      const revert = page.getByRole('button', { name: /^Annuler l’opération / })
      await revert.first().waitFor()
      assert.equal(await revert.count(), 1)
      await revert.click()
      await page.getByText(/Opération .* annulée\./).waitFor()
      await page.getByText('Annulation d’un reclassement').waitFor()
      await j.snap('changes')

      await j.nav('Transferts sortants').click()
      await page.getByLabel('Identifiant de l’unité').fill(units.held)
      await page.getByLabel('Version SEDA').selectOption('2.1')
      await page.getByRole('button', { name: 'Préparer le transfert' }).click()
      await page.waitForURL(/\/outgoing\/[0-9a-f-]+$/)
      await page.getByText('Envoyé', { exact: true }).waitFor({ timeout: 60_000 })
      const [zip] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: /^Télécharger le paquet/ }).click(),
      ])
      assert.match(zip.suggestedFilename(), /\.zip$/)
      assert.equal((await readFile((await zip.path())!)).subarray(0, 2).toString(), 'PK')
      await j.snap('outgoing-transfer')

      // The receiver's ATR: one for another message is refused in French; the right one purges.
      const messageId = (await page.getByRole('heading', { level: 1 }).innerText()).replace(/^Transfert /, '')
      const atr = (request: string) =>
        `<?xml version="1.0" encoding="UTF-8"?>\n<ArchiveTransferReply xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1"><Date>${YEAR}-06-01T10:00:00</Date><MessageIdentifier>ATR-AUTRE-SAE</MessageIdentifier><ReplyCode>000</ReplyCode><MessageRequestIdentifier>${request}</MessageRequestIdentifier></ArchiveTransferReply>\n`
      await writeFile(join(j.dir, 'atr-other.xml'), atr('UN-AUTRE-MESSAGE'))
      await writeFile(join(j.dir, 'atr.xml'), atr(messageId))
      await page.getByLabel('Fichier ATR (XML)').setInputFiles(join(j.dir, 'atr-other.xml'))
      await page.getByRole('button', { name: 'Enregistrer l’ATR' }).click()
      await page.getByRole('alert').waitFor()
      assert.match(await j.alertText(), /Code : TRANSFER_ATR_MISMATCH/)
      await page.getByLabel('Fichier ATR (XML)').setInputFiles(join(j.dir, 'atr.xml'))
      await page.getByRole('button', { name: 'Enregistrer l’ATR' }).click()
      await page.getByText('ATR positif enregistré : la source a été purgée.').waitFor()
      await page.getByText('Terminé (source purgée)', { exact: true }).waitFor()
      await j.snap('outgoing-transfer-purged')
      await page.goto(`${j.server.url}/units/${units.held}`)
      await page
        .getByTestId('tombstone')
        .getByText(/a été (transférée|restituée) le/)
        .waitFor()
      assert.equal(await page.getByRole('alert').count(), 0)
      await j.signOut()
    })

    it('platform admin: transfers a branch of the commune to its departmental archives', async () => {
      await j.signIn('admin', j.server.adminPassword)
      await page.getByLabel('Service d’archives', { exact: true }).selectOption(COMMUNE)
      // Not even the platform administrator gives a visa (R212-14): no link, a French refusal.
      assert.equal(await j.nav('Visas en attente').count(), 0)
      await page.goto(`${j.server.url}/eliminations/${requestId}/visa`)
      await page.getByText(/Seule l’autorité de contrôle des archives départementales/).waitFor()
      await j.snap('visa-refused-admin')
      await j.nav('Transferts sortants').click()
      await page.getByLabel('Identifiant de l’unité').fill(units.keepParent)
      await page.getByLabel('Destinataire', { exact: true }).selectOption(AD)
      await page.getByLabel('Contrat d’entrée du destinataire (facultatif)').fill('IC-DEFAUT')
      await page.getByLabel('Commentaire (facultatif)').fill('Versement des archives communales aux AD')
      await page.getByRole('button', { name: 'Préparer le transfert' }).click()
      await page.waitForURL(/\/outgoing\/[0-9a-f-]+$/)
      await page.getByText('Terminé (source purgée)', { exact: true }).waitFor({ timeout: 60_000 })
      await page.getByText(`vers le service ${AD}`).first().waitFor()
      await j.snap('outgoing-to-ad')
      const inAd = await admin.call<{ total: number }>('GET', '/units?q=permanents', undefined, AD)
      assert.equal(inAd.total, 2)
      await j.nav('Registre des entrées').click()
      // The register loads after the navigation: wait for the outgoing line before counting.
      const lines = page.getByTestId('register-lines').locator('tbody tr')
      const outgoing = (rows: string[]) =>
        rows.filter((r) => r.includes('Transfert sortant') && r.includes(AD))
      await waitFor(async () => outgoing(await lines.allInnerTexts()).length > 0)
      assert.equal(outgoing(await lines.allInnerTexts()).length, 1)
      assert.deepEqual(j.external, [])
    })
  })
}
