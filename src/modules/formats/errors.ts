import { AppError } from '../../platform/errors.js'

export interface SignatureFileProblem {
  /** File name (or label) of the signature file. */
  readonly source: string
  readonly line?: number
  readonly column?: number
  /** Element path or signature, e.g. `InternalSignature ID=20 / ByteSequence 1 / SubSequence 1`. */
  readonly element?: string
  /** Technical reason, in English. */
  readonly reason: string
}

/** The formats module's error codes, in one place. Messages are for users (French). */
export const FormatErrors = {
  signatureFileInvalid: (p: SignatureFileProblem) => {
    const where = [
      p.line !== undefined ? `ligne ${p.line}` : undefined,
      p.column !== undefined ? `colonne ${p.column}` : undefined,
    ]
      .filter((x) => x !== undefined)
      .join(', ')
    return new AppError(
      'FORMAT_SIGNATURE_FILE_INVALID',
      'invalid',
      `Fichier de signatures de formats invalide (${p.source}${where ? `, ${where}` : ''})` +
        `${p.element ? ` dans ${p.element}` : ''} : ${p.reason}`,
      { ...p },
    )
  },
  fileUnreadable: (path: string, cause: unknown) =>
    new AppError(
      'FORMAT_FILE_UNREADABLE',
      'invalid',
      `Impossible de lire le fichier ${path} pour identifier son format${cause instanceof Error ? ` (${cause.message})` : ''}`,
      { path },
      { cause },
    ),
  invalidArgument: (what: string) =>
    new AppError(
      'FORMAT_INVALID_ARGUMENT',
      'invalid',
      `Argument invalide pour l'identification de format : ${what}`,
      {
        what,
      },
    ),
}
