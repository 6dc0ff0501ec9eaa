import { AppError } from '../../platform/errors.js'
import type { ReferentialError, ReferentialKind } from './referential.types.js'

/** At most this many errors are listed; the count of the others is still given. */
export const MAX_LISTED_ERRORS = 1000

/** Collects the errors of one file, in file order, keeping the list bounded on hostile input. */
export class Issues {
  readonly list: ReferentialError[] = []
  count = 0

  add(e: ReferentialError): void {
    this.count += 1
    if (this.list.length < MAX_LISTED_ERRORS) this.list.push(e)
  }

  get empty(): boolean {
    return this.count === 0
  }

  sorted(): ReferentialError[] {
    return [...this.list].sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0))
  }
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: ReferentialError[]; total: number }

export function failed<T>(issues: Issues): Parsed<T> {
  return { ok: false, errors: issues.sorted(), total: issues.count }
}

const KIND_LABEL: Record<ReferentialKind, string> = {
  rules: 'des règles de gestion',
  agencies: 'des services agents',
  'ingest-contracts': 'des contrats d’entrée',
  'access-contracts': 'des contrats d’accès',
  'management-contracts': 'des contrats de gestion',
  profiles: 'des profils d’archivage',
  'archive-unit-profiles': 'des profils d’unité archivistique',
}

export function kindLabel(kind: ReferentialKind): string {
  return KIND_LABEL[kind]
}

/** REFERENTIAL_INVALID: the file is refused whole; every error is listed with its line. */
export function invalidReferential(
  kind: ReferentialKind,
  errors: readonly ReferentialError[],
  total = errors.length,
): AppError {
  const first = errors[0]
  const where = first ? ` (ligne ${first.line} : ${first.message})` : ''
  const message =
    total === 1
      ? `Import du référentiel ${kindLabel(kind)} refusé : 1 erreur${where}`
      : `Import du référentiel ${kindLabel(kind)} refusé : ${total} erreurs, la première${where}`
  return new AppError('REFERENTIAL_INVALID', 'invalid', message, {
    kind,
    errorCount: total,
    truncated: total > errors.length,
    errors,
    en: `The ${kind} file was refused as a whole (${total} error${total === 1 ? '' : 's'}); nothing was changed.`,
  })
}
