import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** Where the shared corpus is (SAEH_CORPUS, default ../shared/corpus from the project root). */
export function corpusDir(): string {
  return resolve(process.env.SAEH_CORPUS ?? join(import.meta.dirname, '../../../shared/corpus'))
}

export function hasCorpus(): boolean {
  return existsSync(join(corpusDir(), 'vitam', 'index.json'))
}

export const CORPUS_SKIP_REASON = `corpus tests skipped: no Vitam corpus at ${corpusDir()} (set SAEH_CORPUS)`

/** The referentials the Vitam test packages rely on, from the same corpus. */
export const CORPUS_REFERENTIALS = [
  ['rules', 'vitam/rules/rules_ok.csv'],
  ['agencies', 'vitam/other/agencies/agencies.csv'],
  ['ingest-contracts', 'vitam/other/contracts/referential_contracts_ok.json'],
  [
    'archive-unit-profiles',
    'vitam/profiles/archive-unit-profiles/aup_ok.json',
    'vitam/profiles/archive-unit-profiles/aup_BASE_CUSTOM_ok.json',
  ],
] as const

/** The bytes to import for one referential: a file, or several JSON arrays merged into one. */
export function referentialBytes(files: readonly string[]): Buffer {
  if (files.length === 1) return readFileSync(join(corpusDir(), files[0]!))
  const merged = files.flatMap((f) => JSON.parse(readFileSync(join(corpusDir(), f), 'utf8')) as unknown[])
  return Buffer.from(JSON.stringify(merged))
}

/**
 * Packages left out of the agreement figure, with the reason: each depends on an earlier ingest, a
 * referential state or a platform feature (an antivirus, a security context) that a fresh tenant
 * cannot have.
 */
export const EXCLUDED: Readonly<Record<string, string>> = {
  'sip-ok/OK_ADD_OBJECTS.zip':
    'adds objects to a unit found by key/value in an earlier ingest (sequence-dependent)',
  'sip-ok/Attachement_SIP_key_value.zip':
    'attaches to a unit found by key/value in an earlier ingest (sequence-dependent)',
  'sip-ko/KO_VIRUS_code2.zip': 'needs an antivirus verdict (Vitam runs an external scanner script)',
  'sip-ko/KO_Contract_Not_IN_CONTEXT.zip':
    'depends on a Vitam security context restricting contracts (no such concept here)',
  'sip-ok/EliminationAction-SNCF.zip':
    'attaches to the SystemId `_REPLACE_ME_`, which the test replaces with a unit of an earlier ingest',
  'sip-ok/InheritedRules-SIP-Service_economique.zip':
    'attaches to the SystemId `_REPLACE_ME_`, which the test replaces with a unit of an earlier ingest',
  'sip-ok/EliminationAnalysis-SIP-Service_Financier.zip':
    'attaches by key/value to a unit of an earlier ingest (sequence-dependent)',
  'sip-ok/SIP_TREE.zip':
    'a holding tree, ingested by Vitam with the HOLDING_SCHEME workflow (no originating agency), not a transfer',
  'sip-ok/cookbook_SigningInfo_1_simple_signed_timestamped.zip':
    'documentation cookbook whose agencies are the placeholder `changeIt` the reader must replace',
  'sip-ok/cookbook_SigningInfo_3_multiple_binaries.zip':
    'documentation cookbook whose agencies are the placeholder `changeIt` the reader must replace',
  'sip-ok/SIP-test.zip': 'needs the archive-unit profile AUP-000001, which the corpus does not hold',
  'sip-ok/OK_ArchivesPhysiques_With_Attachment_Contract.zip':
    'needs the ingest contract ContractWithAttachment, which the corpus does not hold',
  'sip-ok/OK_SIP_ARK.zip': 'needs the ingest contract IC-000002, which the corpus does not hold',
  'sip-ok/Photo-Objet-physique.zip':
    'needs the ingest contract ArchivalAgreementAttachment, which the corpus does not hold',
}

/** Packages where SAEH and Vitam disagree, and why (also in docs/ingest.md). */
export const KNOWN_DISAGREEMENTS: Readonly<Record<string, string>> = {
  'sip-ok/sedalib_TestSip.zip':
    'holds a `.properties` file that PRONOM cannot identify; the default contract refuses unidentified formats (the sedatools sample was never run through a Vitam contract that forbids them)',
  'sip-ko/KO_AU_with_incorrect_AUP_Schema.zip':
    'Vitam checks each unit against the JSON schema of its archive-unit profile; SAEH checks the profile exists and is active, not yet its schema',
  'sip-ko/KO_FORMAT_UNCHARTED.zip':
    'a `.sql` file: Vitam\'s Siegfried leaves it unidentified, our DROID V122 extension fallback names it fmt/206 (SQL), so the format is not "uncharted" here',
  'sip-ko/KO_manifest_name_too_long.zip':
    "its manifest name matches Vitam's own manifest regex (56 characters + `_manifest.xml`); no Vitam test asserts its refusal",
}

export interface CorpusPackage {
  readonly file: string
  readonly expectAccepted: boolean
  readonly expected: string | null
}

export function corpusPackages(): CorpusPackage[] {
  const dir = join(corpusDir(), 'vitam')
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Array<{
    file: string
    expected: string | null
  }>
  const byFile = new Map(index.map((e) => [e.file, e.expected]))
  const out: CorpusPackage[] = []
  for (const sub of ['sip-ok', 'sip-ko'] as const) {
    for (const f of readdirSync(join(dir, sub)).sort()) {
      if (!/\.(zip|tar|tar\.gz|tgz)$/.test(f)) continue
      const file = `${sub}/${f}`
      out.push({ file, expectAccepted: sub === 'sip-ok', expected: byFile.get(file) ?? null })
    }
  }
  return out
}
