import { AppError } from '../../platform/errors.js'

export const TenancyErrors = {
  tenantNotFound: (id: string) =>
    new AppError('TENANT_NOT_FOUND', 'not_found', `Service d'archives inconnu ou inaccessible : ${id}`, {
      tenantId: id,
    }),
  tenantExists: (id: string) =>
    new AppError('TENANT_EXISTS', 'conflict', `Le service d'archives ${id} existe déjà`, { tenantId: id }),
  invalid: (field: string, message: string, value?: unknown) =>
    new AppError('TENANCY_INVALID', 'invalid', `${field} : ${message}`, { field, value }),
  forbidden: (permission: string, tenantId: string | null) =>
    new AppError(
      'FORBIDDEN',
      'forbidden',
      `Action non autorisée (${permission})${tenantId ? ` sur ${tenantId}` : ''}`,
      { permission, tenantId },
    ),
  userExists: (name: string) =>
    new AppError('USER_EXISTS', 'conflict', `L'utilisateur ${name} existe déjà`, { username: name }),
  principalNotFound: (id: string) =>
    new AppError('PRINCIPAL_NOT_FOUND', 'not_found', `Utilisateur ou clé inconnu : ${id}`, { id }),
  badCredentials: () =>
    new AppError('AUTH_INVALID_CREDENTIALS', 'unauthenticated', 'Identifiant ou mot de passe incorrect'),
  badToken: () => new AppError('AUTH_INVALID_TOKEN', 'unauthenticated', 'Jeton ou clé d’API invalide'),
  expired: () =>
    new AppError('AUTH_SESSION_EXPIRED', 'unauthenticated', 'Session expirée : reconnectez-vous'),
  revoked: () => new AppError('AUTH_KEY_REVOKED', 'unauthenticated', 'Cette clé d’API a été révoquée'),
  missing: () => new AppError('AUTH_REQUIRED', 'unauthenticated', 'Authentification requise'),
}
