import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AppError } from '../../platform/errors.js'

/** Where the presets live: a Vitam rules CSV and a sidecar JSON per preset (src/assets/referentials/presets). */
export const PRESETS_DIR = fileURLToPath(new URL('../../assets/referentials/presets/', import.meta.url))

export const PRESET_NAMES = ['l213-2', 'communes-retention'] as const
export type PresetName = (typeof PRESET_NAMES)[number]

/** Per-rule metadata of a preset's sidecar. */
export interface PresetRuleMeta {
  /** Article / paragraph applied (access rules). */
  readonly legalBasis?: string
  /** What the delay counts from: document, closure, death, birth, end-of-use, none; free text for DUA. */
  readonly startBasis?: string | null
  /** L213-2 II: never communicable. */
  readonly never?: boolean
  /** Appraisal: the FinalAction to declare by default (SEDA Keep | Destroy). */
  readonly defaultFinalAction?: 'Keep' | 'Destroy'
  readonly sortFinal?: string | null
  readonly triRequired?: boolean
  readonly toConfirm?: boolean
  /** To be validated by the Archives départementales. */
  readonly toValidate?: boolean
}

export interface Preset {
  readonly name: PresetName
  readonly title: string
  readonly origin: string
  readonly licence: string
  readonly csv: Buffer
  readonly rules: Readonly<Record<string, PresetRuleMeta>>
}

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name)
}

export async function readPreset(name: string): Promise<Preset> {
  if (!isPresetName(name)) {
    throw new AppError('RULES_PRESET_UNKNOWN', 'not_found', `Préréglage de règles inconnu : ${name}`, {
      preset: name,
      presets: PRESET_NAMES,
    })
  }
  const csv = await readFile(join(PRESETS_DIR, `${name}.csv`))
  const side = JSON.parse(await readFile(join(PRESETS_DIR, `${name}.json`), 'utf8')) as Omit<
    Preset,
    'csv' | 'name'
  >
  return { name, title: side.title, origin: side.origin, licence: side.licence, rules: side.rules, csv }
}
