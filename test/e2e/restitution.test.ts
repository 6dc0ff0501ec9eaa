/**
 * A restitution in a real Chromium (docs/lifecycle.md, « Transfers and restitutions »): a commune gives a
 * deposited register back to its owner as a SEDA file. Its archivist starts the restitution from
 * « Transferts sortants », downloads the package (the manifest and the file inside checked), records the
 * owner's negative ATR (nothing purged, the reasons shown), starts it again, is refused a hostile ATR and
 * one answering another message, records the positive ATR; the unit is gone from search, its page shows
 * « restituée » and the accession register counts the departure.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import yauzl from 'yauzl'
import { receiverAtr } from '../helpers/atr.js'
import { writeSipZip } from '../helpers/sip.js'
import {
  apiAs,
  CHROMIUM,
  HAS_CHROMIUM,
  loadReferentials,
  openJourney,
  waitFor,
  waitForCount,
  type Api,
  type Journey,
} from './harness.js'

const TENANT = 'c-talence'
const TITLE = 'Registres paroissiaux de Talence (dépôt)'
const PDF = Buffer.from('%PDF-1.4\n% Registre paroissial 1792\n%%EOF\n')

/** Every entry of a zip file, by name. */
function unzip(path: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('zip'))
      const out = new Map<string, Buffer>()
      zip.on('error', reject)
      zip.on('end', () => resolve(out))
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName.endsWith('/')) return zip.readEntry()
        zip.openReadStream(e, (err2, s) => {
          if (err2 || !s) return reject(err2 ?? new Error('entry'))
          const chunks: Buffer[] = []
          s.on('data', (c: Buffer) => chunks.push(c))
          s.on('end', () => {
            out.set(e.fileName, Buffer.concat(chunks))
            zip.readEntry()
          })
        })
      })
      zip.readEntry()
    })
  })
}

/** The owner's reply, as another archiving system would write it. */
function ownersAtr(request: string, status: 'OK' | 'KO'): string {
  return receiverAtr({
    request,
    status,
    id: `ATR-PAROISSE-${status}`,
    receiver: 'PAROISSE',
    sender: 'AD99',
    reason: 'Empreinte du registre de 1792 différente de celle annoncée',
  })
}

if (!HAS_CHROMIUM) {
  it('restitution in Chromium', { skip: `${CHROMIUM} absent: browser tests skipped` }, () => {})
} else {
  describe('restitution in Chromium: a deposit given back to its owner with its ATR', () => {
    let j: Journey
    let page: Page
    let admin: Api
    let unitId = ''

    /** Starts a restitution of the unit from the screen; answers its MessageIdentifier once sent. */
    const restitute = async (comment: string): Promise<string> => {
      await j.nav('Transferts sortants').click()
      await page.getByRole('heading', { name: 'Transferts sortants et restitutions', level: 1 }).waitFor()
      await page.getByLabel('Type', { exact: true }).selectOption('RESTITUTION')
      await page.getByLabel('Identifiant de l’unité').fill(unitId)
      await page.getByLabel('Commentaire (facultatif)').fill(comment)
      await page.getByRole('button', { name: 'Préparer le transfert' }).click()
      await page.waitForURL(/\/outgoing\/[0-9a-f-]+$/)
      // Prepared by the worker; a file restitution is « sent » as soon as its package is stored.
      await page.getByText('Envoyé', { exact: true }).waitFor({ timeout: 60_000 })
      const facts = await page.locator('dl.facts').innerText()
      assert.match(facts, /Type\s+Restitution/)
      assert.match(facts, /Destinataire\s+fichier pour un autre système/)
      const heading = await page.getByRole('heading', { level: 1 }).innerText()
      const id = heading.replace(/^Transfert /, '')
      assert.match(id, /^SAEH-RESTITUTION-/)
      return id
    }

    const sendAtr = async (name: string, xml: string) => {
      await writeFile(join(j.dir, name), xml)
      await page.getByLabel('Fichier ATR (XML)').setInputFiles(join(j.dir, name))
      await page.getByRole('button', { name: 'Enregistrer l’ATR' }).click()
    }

    const searchCount = async (words: string, total: number) => {
      await j.nav('Recherche').click()
      await page.getByLabel('Rechercher dans les titres').fill(words)
      await page.getByRole('button', { name: 'Rechercher', exact: true }).click()
      // The count read is this query's: sent (composed), answered (no « Chargement… » left).
      await page.getByTestId('composed-query').getByText(words, { exact: true }).waitFor()
      await waitFor(async () => (await page.getByText('Chargement…').count()) === 0)
      await page.getByText(`${total} résultat(s)`).waitFor()
    }

    before(async () => {
      j = await openJourney('restitution-')
      page = j.page
      admin = await apiAs(j.server, 'admin', j.server.adminPassword)
      await admin.call('POST', '/tenants', { id: TENANT, name: 'Commune de Talence' })
      await loadReferentials(admin, TENANT)
      await admin.call(
        'POST',
        '/users',
        { username: 'arch-talence', password: 'archiviste-talence', role: 'archivist' },
        TENANT,
      )
      const sip = await writeSipZip(join(j.dir, 'depot.zip'), {
        unitTitle: TITLE,
        files: [{ name: 'registre-1792.pdf', bytes: PDF, title: 'Registre de 1792' }],
      })
      const form = new FormData()
      form.append('file', new Blob([await readFile(sip)], { type: 'application/zip' }), 'depot.zip')
      const res = await admin.fetch('/ingests', { method: 'POST', body: form }, TENANT)
      assert.equal(res.status, 202, await res.clone().text())
      const { operationId } = (await res.json()) as { operationId: string }
      let status = ''
      await waitFor(async () => {
        status = (
          await admin.call<{ status: string }>('GET', `/operations/${operationId}`, undefined, TENANT)
        ).status
        return ['OK', 'WARNING', 'KO', 'FATAL'].includes(status)
      }, 60_000)
      assert.match(status, /^(OK|WARNING)$/)
      const units = await admin.call<{ results: { id: string; parentIds: string[] }[] }>(
        'GET',
        `/units?operationId=${operationId}`,
        undefined,
        TENANT,
      )
      unitId = units.results.find((u) => u.parentIds.length === 0)!.id
    })

    after(async () => {
      await j?.close()
    })

    it('archivist: starts a restitution, downloads its package, records the owner’s negative ATR', async () => {
      await j.signIn('arch-talence', 'archiviste-talence')
      await searchCount('paroissiaux', 1)
      const request = await restitute('Restitution du dépôt à la paroisse')
      await j.snap('sent')

      const [zip] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: /^Télécharger le paquet/ }).click(),
      ])
      assert.equal(zip.suggestedFilename(), `${request}.zip`)
      const entries = await unzip((await zip.path())!)
      const manifest = [...entries].find(([name]) => /manifest\.xml$/i.test(name))?.[1].toString('utf8')
      assert.ok(manifest, [...entries.keys()].join(', '))
      assert.match(manifest, new RegExp(`<MessageIdentifier>${request}</MessageIdentifier>`))
      assert.match(manifest, /<Comment>Restitution du dépôt à la paroisse<\/Comment>/)
      assert.ok(manifest.includes(TITLE), 'the manifest describes the restituted unit')
      assert.ok(
        [...entries.values()].some((b) => b.equals(PDF)),
        'the package carries the register’s file byte for byte',
      )

      // The owner refuses the package: nothing is purged, its reasons are shown.
      await sendAtr('atr-ko.xml', ownersAtr(request, 'KO'))
      await page.getByText('ATR négatif enregistré : rien n’a été purgé.').waitFor()
      await page.getByText('Refusé par le destinataire', { exact: true }).first().waitFor()
      await page.getByText('Empreinte du registre de 1792 différente de celle annoncée').waitFor()
      await j.snap('owner-refused')
      await searchCount('paroissiaux', 1)
    })

    it('archivist: restitutes again; a hostile or foreign ATR is refused in French; the right one purges', async () => {
      const request = await restitute('Restitution du dépôt, second envoi')
      await sendAtr('atr-hostile.xml', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
      await page.getByRole('alert').waitFor()
      assert.match(await j.alertText(), /Code : TRANSFER_ATR_INVALID/)
      await sendAtr('atr-other.xml', ownersAtr('SAEH-RESTITUTION-UN-AUTRE', 'OK'))
      await waitFor(async () => /TRANSFER_ATR_MISMATCH/.test(await j.alertText()))
      await j.snap('atr-refused')
      assert.equal(await page.getByText('Envoyé', { exact: true }).count(), 1)

      await sendAtr('atr-ok.xml', ownersAtr(request, 'OK'))
      await page.getByText('ATR positif enregistré : la source a été purgée.').waitFor()
      await page.getByText('Terminé (source purgée)', { exact: true }).waitFor()
      assert.equal(await page.getByRole('alert').count(), 0)
      // The package is deleted with the source: no download left, no ATR form.
      await waitForCount(page.getByRole('button', { name: /^Télécharger le paquet/ }), 0)
      assert.equal(await page.getByLabel('Fichier ATR (XML)').count(), 0)
      await j.snap('purged')

      // The list: both restitutions, the refused one and the finished one.
      await page.getByRole('link', { name: 'Tous les transferts sortants' }).click()
      const rows = page.locator('table tbody tr')
      await waitForCount(rows, 2)
      const texts = await rows.allInnerTexts()
      assert.equal(texts.filter((r) => r.includes('Restitution')).length, 2)
      assert.ok(texts.some((r) => r.includes('Refusé par le destinataire')))
      assert.ok(texts.some((r) => r.includes('Terminé (source purgée)')))
    })

    it('the unit is gone from search; its page says « restituée »; the register counts it', async () => {
      await searchCount('paroissiaux', 0)
      await page.getByText('Aucune unité d’archives ne correspond.').waitFor()
      await page.goto(`${j.server.url}/units/${unitId}`)
      const tomb = page.getByTestId('tombstone')
      await tomb.getByRole('heading', { name: `Unité sortie du fonds : ${TITLE}` }).waitFor()
      const text = await tomb.innerText()
      assert.match(text, /Cette unité a été restituée le .* à AD99\./)
      assert.match(text, /Service producteur\s+AD99/)
      // The owner's ATR is the receiver's operation.
      assert.match(text, /Opération chez le destinataire\s+ATR-PAROISSE-OK/)
      assert.equal(await page.getByRole('alert').count(), 0)
      await j.snap('tombstone')

      await j.nav('Registre des entrées').click()
      const lines = page.getByTestId('register-lines').locator('tbody tr')
      await waitFor(async () => (await lines.allInnerTexts()).some((r) => r.includes('Restitution')))
      assert.equal((await lines.allInnerTexts()).filter((r) => r.includes('Restitution')).length, 1)
      await j.snap('register')
      assert.deepEqual(j.external, [])
    })
  })
}
