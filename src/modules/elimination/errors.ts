import { AppError } from '../../platform/errors.js'

/** Stable error codes of the elimination module (holds included); messages in French. */
export const ElimErrors = {
  invalid: (field: string, message: string, value?: unknown) =>
    new AppError('ELIMINATION_INVALID', 'invalid', `${field} : ${message}`, { field, value }),
  holdInvalid: (field: string, message: string, value?: unknown) =>
    new AppError('HOLD_INVALID', 'invalid', `${field} : ${message}`, { field, value }),
  unitNotFound: (id: string) =>
    new AppError('UNIT_NOT_FOUND', 'not_found', `Unité d'archives inconnue : ${id}`, { unitId: id }),
  holdNotFound: (id: string) =>
    new AppError('HOLD_NOT_FOUND', 'not_found', `Gel inconnu : ${id}`, { holdId: id }),
  holdLifted: (id: string) =>
    new AppError('HOLD_ALREADY_LIFTED', 'conflict', `Le gel ${id} est déjà levé`, { holdId: id }),
  analysisNotFound: (id: string) =>
    new AppError('ELIMINATION_ANALYSIS_NOT_FOUND', 'not_found', `Analyse d'élimination inconnue : ${id}`, {
      analysisId: id,
    }),
  analysisNotReady: (id: string, status: string) =>
    new AppError(
      'ELIMINATION_ANALYSIS_NOT_READY',
      'conflict',
      `L'analyse ${id} n'est pas terminée (${status})`,
      {
        analysisId: id,
        status,
      },
    ),
  requestNotFound: (id: string) =>
    new AppError('ELIMINATION_NOT_FOUND', 'not_found', `Demande d'élimination inconnue : ${id}`, {
      requestId: id,
    }),
  notEligible: (units: readonly { unitId: string; reasons: readonly string[] }[]) =>
    new AppError(
      'ELIMINATION_UNITS_NOT_ELIGIBLE',
      'conflict',
      `Unité(s) non éliminable(s) : ${units
        .slice(0, 5)
        .map((u) => `${u.unitId} (${u.reasons.join(', ')})`)
        .join(' ; ')}`,
      { units: units.slice(0, 100) },
    ),
  empty: () =>
    new AppError(
      'ELIMINATION_EMPTY',
      'conflict',
      "La demande d'élimination ne contient aucune unité éliminable",
    ),
  badState: (id: string, status: string, expected: readonly string[], action: string) =>
    new AppError(
      'ELIMINATION_INVALID_STATE',
      'conflict',
      `Demande ${id} à l'état « ${status} » : ${action} impossible (état attendu : ${expected.join(' ou ')})`,
      { requestId: id, status, expected },
    ),
  visaForbidden: (tenantId: string) =>
    new AppError(
      'ELIMINATION_VISA_FORBIDDEN',
      'forbidden',
      `Seule l'autorité de contrôle du service ${tenantId} (rôle control-authority sur le service qui le contrôle) peut viser cette demande`,
      { tenantId },
    ),
  noControlAuthority: (tenantId: string) =>
    new AppError(
      'ELIMINATION_NO_CONTROL_AUTHORITY',
      'conflict',
      `Le service ${tenantId} n'a pas d'autorité de contrôle (controlled_by) : aucun visa d'élimination n'est possible`,
      { tenantId },
    ),
  expired: (id: string, expiresAt: string) =>
    new AppError('ELIMINATION_REQUEST_EXPIRED', 'conflict', `La demande ${id} a expiré le ${expiresAt}`, {
      requestId: id,
      expiresAt,
    }),
  tampered: (id: string, detail: string) =>
    new AppError(
      'ELIMINATION_REQUEST_TAMPERED',
      'conflict',
      `La demande ${id} a été modifiée depuis sa soumission (${detail}) : elle ne peut plus être visée ni exécutée`,
      { requestId: id, detail },
    ),
  forbiddenAction: (tenantId: string) =>
    new AppError(
      'ELIMINATION_FORBIDDEN',
      'forbidden',
      `Seuls l'archiviste ou le service producteur de ${tenantId} peuvent analyser ou demander une élimination`,
      { tenantId },
    ),
  inOtherRequest: (unitId: string, requestId: string) =>
    new AppError(
      'ELIMINATION_UNIT_IN_OTHER_REQUEST',
      'conflict',
      `L'unité ${unitId} figure déjà dans la demande d'élimination en cours ${requestId}`,
      { unitId, requestId },
    ),
  visaNotRecorded: (id: string) =>
    new AppError(
      'ELIMINATION_VISA_NOT_RECORDED',
      'conflict',
      `La demande ${id} n'a pas de visa favorable enregistré au journal qui corresponde à son état : aucune destruction`,
      { requestId: id },
    ),
  documentNotFound: (id: string, name: string) =>
    new AppError(
      'ELIMINATION_DOCUMENT_NOT_FOUND',
      'not_found',
      `Document ${name} absent pour la demande ${id}`,
      {
        requestId: id,
        name,
      },
    ),
}
