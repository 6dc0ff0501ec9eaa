/**
 * The profile schema upload of the referentials screen in a real Chromium: an archivist attaches a RelaxNG
 * schema to a profile and downloads it back byte for byte, is refused a file that is not a schema before
 * anything is sent, a malformed schema and a schema of the wrong format by the server in French (the
 * profile keeps its schema), attaches an XSD with the keyboard only; a producer (read only) sees the
 * download but no upload.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import type { Download, Page } from 'playwright-core'
import { apiAs, CHROMIUM, HAS_CHROMIUM, loadReferentials, openJourney, type Journey } from './harness.js'

const TENANT = 'c-pessac'
const RNG = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<grammar xmlns="http://relaxng.org/ns/structure/1.0" ns="fr:gouv:culture:archivesdefrance:seda:v2.2">',
  '  <start><element name="ArchiveTransfer"><element name="Comment"><value>Délibérations</value></element>',
  '  <zeroOrMore><ref name="any"/></zeroOrMore></element></start>',
  '  <define name="any"><element><anyName/><zeroOrMore><choice><attribute><anyName/></attribute><text/>',
  '  <ref name="any"/></choice></zeroOrMore></element></define>',
  '</grammar>',
  '',
].join('\n')
const XSD =
  '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="ArchiveTransfer" type="xs:string"/></xs:schema>\n'
const MALFORMED =
  '<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><element name="ArchiveTransfer">'

const file = (name: string, text: string) => ({
  name,
  mimeType: 'application/xml',
  buffer: Buffer.from(text),
})
const sha512 = (text: string) => createHash('sha512').update(text).digest('hex')
const saved = async (d: Download) => readFile((await d.path())!, 'utf8')

if (!HAS_CHROMIUM) {
  it('profile schema upload in Chromium', { skip: `${CHROMIUM} absent: browser tests skipped` }, () => {})
} else {
  describe('profile schema upload in Chromium', () => {
    let j: Journey
    let page: Page
    /** Every PUT of a schema the page sent (a refusal before sending must add none). */
    const puts: string[] = []

    const profiles = async () => {
      await page.goto(`${j.server.url}/admin/referentials`)
      await page.getByRole('heading', { name: 'Référentiels', level: 1 }).waitFor()
      await page.getByLabel('Référentiel', { exact: true }).selectOption('profiles')
      await page.getByText('2 entrée(s)').waitFor()
    }
    /** Chooses the profile and the file, then sends the form with its button. */
    const upload = async (profile: string, f: ReturnType<typeof file>) => {
      await page.getByLabel('Profil d’archivage').selectOption(profile)
      await page.getByLabel('Fichier de schéma (.rng ou .xsd)').setInputFiles(f)
      await page.getByRole('button', { name: 'Attacher le schéma' }).click()
    }
    const download = async (profile: string) => {
      const [d] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: `Schéma ${profile}` }).click(),
      ])
      return d
    }

    before(async () => {
      j = await openJourney('ref-')
      page = j.page
      page.on('request', (r) => {
        if (r.method() === 'PUT' && r.url().includes('/schema')) puts.push(r.url())
      })
      const admin = await apiAs(j.server, 'admin', j.server.adminPassword)
      await admin.call('POST', '/tenants', { id: TENANT, name: 'Commune de Pessac' })
      await loadReferentials(admin, TENANT)
      for (const [username, password, role] of [
        ['arch-pessac', 'archiviste-pessac', 'archivist'],
        ['prod-pessac', 'producteur-pessac', 'producer'],
      ] as const)
        await admin.call('POST', '/users', { username, password, role }, TENANT)
      const res = await admin.fetch(
        '/referentials/profiles',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([
            { Identifier: 'PR-DELIB', Name: 'Délibérations', Status: 'ACTIVE', Format: 'RNG' },
            { Identifier: 'PR-XSD', Name: 'Profil XSD', Status: 'ACTIVE', Format: 'XSD' },
          ]),
        },
        TENANT,
      )
      assert.equal(res.status, 200, await res.text())
    })

    after(async () => {
      await j?.close()
    })

    it('archivist: attaches an RNG schema and downloads it back; refusals in French keep it', async () => {
      await j.signIn('arch-pessac', 'archiviste-pessac')
      await profiles()
      const form = page.getByRole('form', { name: 'Attacher un schéma à un profil' })
      await form.getByText('Un schéma RelaxNG (.rng) ou XSD (.xsd)', { exact: false }).waitFor()
      // No schema yet: the download says so in French.
      await page.getByRole('button', { name: 'Schéma PR-DELIB' }).click()
      await page.getByText('Aucun schéma attaché au profil PR-DELIB', { exact: false }).waitFor()

      // A file that is not a schema is refused before anything is sent.
      await upload('PR-DELIB', file('profil.txt', RNG))
      await form
        .getByText('Fichier refusé avant l’envoi : « profil.txt » n’est pas un schéma .rng ou .xsd.', {
          exact: false,
        })
        .waitFor()
      assert.deepEqual(puts, [])

      await upload('PR-DELIB', file('delib.rng', RNG))
      await form
        .getByText(`Schéma RNG attaché au profil PR-DELIB (empreinte SHA-512 ${sha512(RNG).slice(0, 16)}…).`)
        .waitFor()
      assert.equal(puts.length, 1)
      assert.equal(await form.getByRole('alert').count(), 0)
      await j.snap('attached')
      const d = await download('PR-DELIB')
      assert.equal(d.suggestedFilename(), 'PR-DELIB.rng')
      assert.equal(await saved(d), RNG)

      // A malformed schema: the server's refusal as French sentences, the code, nothing changed.
      await upload('PR-DELIB', file('casse.rng', MALFORMED))
      const refusal = form.getByTestId('schema-refusal')
      await refusal.waitFor()
      const text = await refusal.innerText()
      assert.match(text, /Schéma refusé : le profil garde son schéma précédent\./)
      assert.match(text, /Schéma refusé : XML mal formé \(ligne 1, colonne \d+\) : balise non fermée/)
      assert.match(text, /Code : PROFILE_SCHEMA_INVALID/)
      await j.snap('malformed-refused')
      assert.equal(await saved(await download('PR-DELIB')), RNG)

      // An RNG for a profile declared XSD: refused, naming both formats.
      await upload('PR-XSD', file('delib.rng', RNG))
      await refusal
        .getByText('Le profil PR-XSD est déclaré au format XSD, le fichier est un schéma RNG')
        .waitFor()
      await page.getByRole('button', { name: 'Schéma PR-XSD' }).click()
      await page.getByText('Aucun schéma attaché au profil PR-XSD', { exact: false }).waitFor()
    })

    it('archivist: attaches an XSD with the keyboard only; the English labels', async () => {
      await profiles()
      const select = page.getByLabel('Profil d’archivage')
      await select.focus()
      await page.keyboard.press('ArrowDown')
      assert.equal(await select.inputValue(), 'PR-XSD')
      await page.keyboard.press('Tab')
      assert.equal(await page.evaluate('document.activeElement?.id'), 'schema-file')
      // The file chooser is the browser's own dialog: the file is given to the focused field.
      await page.getByLabel('Fichier de schéma (.rng ou .xsd)').setInputFiles(file('profil.xsd', XSD))
      await page.keyboard.press('Tab')
      assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Attacher le schéma')
      await page.keyboard.press('Enter')
      await page.getByText('Schéma XSD attaché au profil PR-XSD', { exact: false }).waitFor()
      const d = await download('PR-XSD')
      assert.equal(d.suggestedFilename(), 'PR-XSD.xsd')
      assert.equal(await saved(d), XSD)
      await j.snap('xsd-keyboard')

      await page.getByLabel('Langue').selectOption('en')
      await page.getByRole('heading', { name: 'Attach a schema to a profile' }).waitFor()
      await page.getByLabel('Schema file (.rng or .xsd)').waitFor()
      await page.getByLabel('Language').selectOption('fr')
      await page.getByRole('heading', { name: 'Attacher un schéma à un profil' }).waitFor()
      await j.signOut()
    })

    it('producer: downloads the schema but has no upload', async () => {
      await j.signIn('prod-pessac', 'producteur-pessac')
      await profiles()
      assert.equal(await page.getByRole('heading', { name: 'Attacher un schéma à un profil' }).count(), 0)
      assert.equal(await saved(await download('PR-DELIB')), RNG)
      assert.deepEqual(j.external, [])
    })
  })
}
