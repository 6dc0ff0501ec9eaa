/**
 * The web application in a real Chromium (Debian's /usr/bin/chromium driven by playwright-core) against
 * a real `saeh serve` child process on a free port with a temporary SAEH_HOME. One journey per role,
 * a screenshot at each main step into SAEH_SCREENSHOTS (default: a temporary folder).
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { PDF_BYTES, writeSipZip } from '../helpers/sip.js'
import {
  CHROMIUM,
  HAS_CHROMIUM,
  onePagePdf,
  openJourney,
  REFERENTIALS,
  smallPng,
  waitFor,
  waitForCount,
  type Journey,
  type Server,
} from './harness.js'

if (!HAS_CHROMIUM) {
  it('web application in Chromium', { skip: `${CHROMIUM} absent: browser tests skipped` }, () => {})
} else {
  describe('web application in Chromium', () => {
    let j: Journey
    let dir: string
    let server: Server
    let page: Page
    let external: string[]
    let pdf: Buffer
    const snap = (name: string) => j.snap(name)
    const signIn = (username: string, password: string) => j.signIn(username, password)
    const signOut = () => j.signOut()
    const nav = (name: string) => j.nav(name)
    const alertText = () => j.alertText()

    before(async () => {
      j = await openJourney('')
      ;({ dir, server, page, external } = j)
      pdf = await onePagePdf('Délibération du conseil municipal — 12 janvier 2024')
      await writeSipZip(join(dir, 'good.zip'), {
        files: [
          { name: 'deliberation-2024-01.pdf', bytes: pdf, title: 'Délibération du 12 janvier 2024' },
          { name: 'plan-mairie.png', bytes: smallPng(), title: 'Plan de la mairie' },
        ],
      })
      await writeSipZip(join(dir, 'bad.zip'), {
        files: [
          {
            name: 'budget-2024.pdf',
            bytes: PDF_BYTES,
            declaredSha512: 'ab'.repeat(64),
            title: 'Budget primitif 2024',
          },
        ],
      })
      await writeSipZip(join(dir, 'large.zip'), {
        unitTitle: 'Plans 2024',
        files: [{ name: 'plan-cadastre.png', bytes: smallPng(450, 450, true), title: 'Plan cadastral' }],
      })
      await writeFile(join(dir, 'notes.txt'), 'pas un paquet')
      await writeFile(
        join(dir, 'agencies-bad.csv'),
        'Identifier,Name,Description\nAD99,,x\n,Sans identifiant,y\n',
      )
    })

    after(async () => {
      await j?.close()
    })

    it('admin: creates a commune, loads its referentials (with a refused file) and its users', async () => {
      await page.goto(`${server.url}/`)
      await page.getByRole('heading', { name: 'Connexion' }).waitFor()
      assert.match(page.url(), /\/login$/)
      await snap('sign-in')
      // Keyboard: the first Tab reaches a field with a visible label.
      await page.keyboard.press('Tab')
      assert.equal(await page.evaluate('document.activeElement?.id'), 'password')

      await page.getByLabel('Nom d’utilisateur').fill('admin')
      await page.getByLabel('Mot de passe').fill('pas-le-bon-mot-de-passe')
      await page.getByRole('button', { name: 'Se connecter' }).click()
      await page.getByRole('alert').waitFor()
      assert.match(await alertText(), /Identifiant ou mot de passe incorrect/)

      await signIn('admin', server.adminPassword)
      await snap('home-admin')
      await page.keyboard.press('Tab')
      assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Aller au contenu')

      await nav('Services d’archives').click()
      // After a navigation the focus is on the new content.
      assert.equal(await page.evaluate('document.activeElement?.id'), 'main')
      await page.getByLabel('Identifiant (lettres minuscules, chiffres, tirets)').fill('commune-test')
      await page.getByLabel('Nom', { exact: true }).fill('Commune de Test')
      await page.getByLabel('Service de contrôle (archives départementales)').selectOption('default')
      await page.getByRole('button', { name: 'Créer', exact: true }).click()
      await page.getByText('Service « Commune de Test » créé').waitFor()
      await page.getByRole('cell', { name: 'commune-test', exact: true }).waitFor()
      await snap('tenants')
      // An existing id is refused with the API's French message, not a blank page.
      await page.getByLabel('Identifiant (lettres minuscules, chiffres, tirets)').fill('commune-test')
      await page.getByLabel('Nom', { exact: true }).fill('Doublon')
      await page.getByRole('button', { name: 'Créer', exact: true }).click()
      await page.getByRole('alert').waitFor()
      assert.match(await alertText(), /commune-test/)

      await page.getByLabel('Service d’archives', { exact: true }).selectOption('commune-test')
      await nav('Référentiels').click()
      await page.getByLabel('Référentiel', { exact: true }).selectOption('agencies')
      await page.getByText('Ce référentiel est vide dans ce service.').waitFor()
      await page.getByLabel(/^Fichier/).setInputFiles(join(dir, 'agencies-bad.csv'))
      await page.getByRole('button', { name: 'Importer' }).click()
      const errors = page.getByTestId('referential-errors')
      await errors.waitFor()
      const rows = await errors.locator('tbody tr').allInnerTexts()
      assert.equal(rows.length, 2)
      assert.match(rows[0]!, /^2\s+2\s+Name\s+Name obligatoire/)
      assert.match(rows[1]!, /^3\s+1\s+Identifier/)
      await snap('referential-refused')
      for (const [kind, file] of [
        ['agencies', 'agencies.csv'],
        ['rules', 'rules.csv'],
        ['ingest-contracts', 'ingest-contracts.json'],
        // Reading needs an access contract (AC-DEFAUT for principals bound to none: docs/access.md).
        ['access-contracts', 'access-contracts.json'],
      ] as const) {
        await page.getByLabel('Référentiel', { exact: true }).selectOption(kind)
        await page.getByLabel(/^Fichier/).setInputFiles(join(REFERENTIALS, file))
        await page.getByRole('button', { name: 'Importer' }).click()
        await page.getByText(/Import réussi : \d+ créée\(s\)/).waitFor()
      }
      await snap('referentials')

      await nav('Utilisateurs et rôles').click()
      for (const [user, role] of [
        ['secretaire', 'producer'],
        ['lecteur', 'reader'],
      ] as const) {
        await page.getByLabel('Nom d’utilisateur').fill(user)
        await page.getByLabel(/^Mot de passe/).fill(`${user}-mot-de-passe`)
        await page.getByLabel('Rôle', { exact: true }).selectOption(role)
        await page.getByRole('button', { name: 'Créer l’utilisateur' }).click()
        await page.getByText(`Utilisateur « ${user} » créé`).waitFor()
      }
      // The list reloads after the notice appears: wait for both accounts before reading it.
      const accountRows = page.locator('main table').first().locator('tbody tr')
      await waitForCount(accountRows, 2)
      const accounts = await accountRows.allInnerTexts()
      assert.deepEqual(
        accounts.map((r) => r.split('\t').slice(0, 2)),
        [
          ['secretaire', 'Service producteur (versant)'],
          ['lecteur', 'Lecteur'],
        ],
      )
      await snap('users')

      await nav('Clés d’API').click()
      await page.getByLabel('Libellé').fill('Parapheur')
      await page.getByRole('button', { name: 'Créer la clé' }).click()
      const secret = await page.locator('code.secret').innerText()
      assert.match(secret, /^saeh_\S{40,}$/)
      const row = page.getByRole('row', { name: /Parapheur/ })
      await row.getByText('active').waitFor()
      assert.ok(!(await row.innerText()).includes(secret), 'the list never shows the key')
      await page.getByRole('button', { name: 'Révoquer la clé Parapheur' }).click()
      await page.getByText('Clé « Parapheur » révoquée').waitFor()
      await row.getByText(/révoquée le/).waitFor()
      await snap('api-keys')
      await signOut()
      assert.ok(await page.getByText('Vous êtes déconnecté.').isVisible())
    })

    it('producer: a wrong file, a transfer accepted with its ATR, search, unit, preview and download', async () => {
      await signIn('secretaire', 'secretaire-mot-de-passe')
      assert.equal(await nav('Utilisateurs et rôles').count(), 0)

      await nav('Versements').click()
      await page.getByLabel('Paquet (zip, tar ou tar.gz)').setInputFiles(join(dir, 'notes.txt'))
      await page.getByRole('button', { name: 'Envoyer' }).click()
      await page.getByRole('alert').waitFor()
      assert.match(await alertText(), /Type de fichier non accepté : « notes\.txt »/)
      await snap('transfer-wrong-type')

      await page.getByLabel('Paquet (zip, tar ou tar.gz)').setInputFiles(join(dir, 'good.zip'))
      await page.getByRole('button', { name: 'Envoyer' }).click()
      await page.waitForURL(/\/transfers\/[0-9a-f-]+$/)
      await page.getByText(/Versement accepté : 3 unité\(s\), 2 objet\(s\) numérique\(s\)/).waitFor()
      await snap('transfer-accepted')
      const [atr] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Télécharger l’accusé de réception (ATR)' }).click(),
      ])
      assert.match(atr.suggestedFilename(), /^ATR-.+\.xml$/)
      const atrXml = await readFile((await atr.path())!, 'utf8')
      assert.match(atrXml, /<ArchiveTransferReply/)
      assert.match(atrXml, /<ReplyCode>000<\/ReplyCode>/)

      await nav('Recherche').click()
      await page.getByLabel('Rechercher dans les titres').fill('janvier')
      await page.getByRole('button', { name: 'Rechercher' }).click()
      await page.getByText('1 résultat(s)').waitFor()
      await snap('search')
      await page.getByRole('link', { name: 'Délibération du 12 janvier 2024' }).click()
      await page.getByRole('heading', { name: 'Délibération du 12 janvier 2024', level: 1 }).waitFor()
      const rules = await page.locator('table').first().locator('tbody tr').allInnerTexts()
      assert.equal(rules.length, 2)
      const appraisal = rules.find((r) => r.includes('APP-COM-0001'))
      assert.ok(appraisal, `no APP-COM-0001 row in ${JSON.stringify(rules)}`)
      assert.match(appraisal, /Conservation définitive/)
      assert.match(appraisal, /Héritée de l’unité/)
      assert.ok(
        rules.some((r) => /Communicabilité\s+ACC-00003/.test(r)),
        `no ACC-00003 row in ${JSON.stringify(rules)}`,
      )
      await snap('unit')

      await page.getByRole('button', { name: 'Aperçu' }).click()
      const frame = page.locator('iframe.preview-frame')
      await frame.waitFor()
      assert.match((await frame.getAttribute('src')) ?? '', /^blob:/)
      await snap('unit-preview')
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Télécharger', exact: true }).click(),
      ])
      assert.equal(download.suggestedFilename(), 'deliberation-2024-01.pdf')
      assert.deepEqual(await readFile((await download.path())!), pdf)

      // The rule's origin leads to the parent unit.
      await page
        .getByRole('link', { name: /^Héritée de l’unité/ })
        .first()
        .click()
      await page.getByRole('heading', { name: 'Délibérations du conseil municipal 2024', level: 1 }).waitFor()
      await page.getByRole('link', { name: 'Plan de la mairie' }).click()
      await page.getByRole('button', { name: 'Aperçu' }).click()
      const img = page.getByRole('img', { name: 'plan-mairie.png' })
      await img.waitFor()
      // The image is decoded: its natural size is the PNG's.
      await waitFor(async () =>
        page
          .locator('img.preview-image')
          .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth === 120),
      )
      await snap('unit-image-preview')
    })

    it('producer: a refused package is explained in French, file by file', async () => {
      await nav('Versements').click()
      await page.getByLabel('Paquet (zip, tar ou tar.gz)').setInputFiles(join(dir, 'bad.zip'))
      await page.getByRole('button', { name: 'Envoyer' }).click()
      await page.waitForURL(/\/transfers\/[0-9a-f-]+$/)
      await page.getByText('Versement refusé : rien n’a été conservé.', { exact: false }).waitFor()
      const problems = await page.locator('ul.problems li').allInnerTexts()
      assert.ok(problems.length >= 1)
      const digest = problems.find((p) => /budget-2024\.pdf/.test(p) && /empreinte/.test(p))
      assert.ok(digest, problems.join('\n'))
      assert.match(digest!, /À faire : .*recalculez l’empreinte SHA-512/)
      await snap('transfer-refused')
      await nav('Accueil').click()
      await page.getByRole('heading', { name: 'Versements récents' }).waitFor()
      assert.equal(await page.locator('main table tbody tr').count(), 2)
      await snap('home-producer')
    })

    it('producer: a large package shows its progress, can be cancelled and sent again', async () => {
      // Chromium's network emulation slows the upload (256 KiB/s: about 2.5 s for this package).
      const cdp = await j.context.newCDPSession(page)
      await cdp.send('Network.enable')
      const throttle = (up: number) =>
        cdp.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: 0,
          downloadThroughput: -1,
          uploadThroughput: up,
        })
      await throttle(256 * 1024)
      try {
        await nav('Versements').click()
        const input = page.getByLabel('Paquet (zip, tar ou tar.gz)')
        await input.setInputFiles(join(dir, 'large.zip'))
        await page.getByRole('button', { name: 'Envoyer' }).click()
        await page.getByText(/Envoi : ([1-9]\d?) %/).waitFor()
        await page.getByRole('button', { name: 'Annuler l’envoi' }).click()
        await page.getByText('Envoi annulé : rien n’a été versé.', { exact: false }).waitFor()
        assert.match(page.url(), /\/transfers$/)

        await input.setInputFiles(join(dir, 'large.zip'))
        await page.getByRole('button', { name: 'Envoyer' }).click()
        await page.getByText(/Envoi : ([1-9]\d?) %/).waitFor()
        const value = Number(await page.locator('progress').getAttribute('value'))
        assert.ok(value > 0 && value < 100, String(value))
        await snap('transfer-progress')
        await page.waitForURL(/\/transfers\/[0-9a-f-]+$/)
        await page.getByText(/Versement accepté : 2 unité\(s\), 1 objet\(s\) numérique\(s\)/).waitFor()
      } finally {
        await throttle(-1)
        await cdp.detach()
      }
      // The cancelled upload left no operation behind: three transfers in all.
      await nav('Accueil').click()
      await page.getByRole('heading', { name: 'Versements récents' }).waitFor()
      assert.equal(await page.locator('main table tbody tr').count(), 3)
    })

    it('a server error is a French sentence, not a blank page', async () => {
      const units = (u: URL) => u.pathname === '/api/v1/units'
      await page.route(units, (route) =>
        route.fulfill({
          status: 500,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'INTERNAL', message: 'Erreur interne' } }),
        }),
      )
      await nav('Recherche').click()
      await page.getByRole('alert').waitFor()
      assert.match(await alertText(), /Erreur du serveur : l’opération n’a pas abouti/)
      assert.match(await alertText(), /Code : INTERNAL/)
      await page.unroute(units)
    })

    it('an expired session returns to the sign-in page with a message', async () => {
      const token = await page.evaluate<string | undefined>(
        "JSON.parse(sessionStorage.getItem('saeh.session') ?? '{}').token",
      )
      assert.ok(token)
      const out = await fetch(`${server.url}/api/v1/auth/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      })
      assert.equal(out.status, 204)
      await nav('Journal').click()
      await page.getByRole('heading', { name: 'Connexion' }).waitFor()
      assert.match(page.url(), /\/login$/)
      assert.ok(await page.getByText('Votre session a expiré ou a été fermée').isVisible())
      await snap('session-expired')
    })

    it('a reader sees no administration and is refused its pages', async () => {
      await signIn('lecteur', 'lecteur-mot-de-passe')
      const links = await page.getByRole('navigation').getByRole('link').allInnerTexts()
      assert.deepEqual(links, ['Accueil', 'Recherche', 'Plan de classement', 'Mes demandes'])
      assert.equal(await page.getByText('Administration').count(), 0)
      for (const path of ['/admin/users', '/admin/referentials', '/transfers', '/admin/tenants']) {
        await page.goto(`${server.url}${path}`)
        await page.getByRole('heading', { name: 'Accès refusé' }).waitFor()
      }
      await snap('reader-denied')
      await nav('Recherche').click()
      // A reader sees only communicable units (L213-2): the deliberation closed until 2049 is not listed,
      // while the producer and the archivists found it above.
      const count = page.getByText(/^\d+ résultat\(s\)$/)
      await count.waitFor()
      const n = Number((await count.innerText()).split(' ')[0])
      assert.ok(n < 5, `a reader sees ${n} of the 5 units`)
      assert.equal(await page.getByRole('link', { name: 'Délibération du 12 janvier 2024' }).count(), 0)
    })

    it('switches to English and made no request outside SAEH', async () => {
      await page.getByLabel('Langue').selectOption('en')
      await page.getByRole('heading', { name: 'Search', level: 1 }).waitFor()
      assert.equal(await page.evaluate('document.documentElement.lang'), 'en')
      await snap('english')
      await page.getByLabel('Language').selectOption('fr')
      await page.getByRole('heading', { name: 'Recherche', level: 1 }).waitFor()
      assert.deepEqual(external, [])
    })
  })
}
