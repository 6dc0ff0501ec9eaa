import { AppError } from '../../platform/errors.js'
import type { FormError } from './transfer-form.js'

export const metres = (mm: number): number => Math.round(mm) / 1000

/** Stable error codes of the physical module; messages in French. */
export const PhysErrors = {
  invalid: (field: string, message: string, value?: unknown) =>
    new AppError('PHYSICAL_INVALID', 'invalid', `${field} : ${message}`, {
      field,
      ...(value !== undefined ? { value } : {}),
    }),
  locationNotFound: (ref: string) =>
    new AppError('LOCATION_NOT_FOUND', 'not_found', `Emplacement inconnu : ${ref}`, { location: ref }),
  locationExists: (path: string) =>
    new AppError('LOCATION_EXISTS', 'conflict', `L’emplacement ${path} existe déjà`, { path }),
  notShelf: (path: string) =>
    new AppError(
      'LOCATION_NOT_SHELF',
      'invalid',
      `${path} n’est pas une tablette : on n’y range pas de boîtes`,
      {
        path,
      },
    ),
  tooDeep: (path: string, levels: number) =>
    new AppError(
      'LOCATION_TOO_DEEP',
      'invalid',
      `Impossible de créer un emplacement sous la tablette ${path} (${levels} niveaux configurés)`,
      { path, levels },
    ),
  blocked: (path: string) =>
    new AppError(
      'LOCATION_BLOCKED',
      'conflict',
      `La tablette ${path} est bloquée : aucun rangement possible`,
      {
        path,
      },
    ),
  locationInUse: (path: string, what: string) =>
    new AppError('LOCATION_IN_USE', 'conflict', `L’emplacement ${path} ${what}`, { path }),
  locationCycle: (path: string, target: string) =>
    new AppError(
      'LOCATION_CYCLE',
      'invalid',
      `Impossible de déplacer ${path} sous ${target} : c’est lui-même ou l’un de ses descendants`,
      { path, target },
    ),
  locationLevelMismatch: (path: string, level: string, target: string | null, expected: string | null) =>
    new AppError(
      'LOCATION_LEVEL_MISMATCH',
      'invalid',
      `${path} (${level}) ne peut aller que sous un emplacement de niveau « ${expected ?? 'racine'} »${target ? ` : ${target} n’en est pas un` : ''}`,
      { path, level, target, expectedParentLevel: expected },
    ),
  locationNotEmpty: (path: string, boxes: number, shelves: string[]) =>
    new AppError(
      'LOCATION_NOT_EMPTY',
      'conflict',
      `L’emplacement ${path} ne peut être supprimé : ${boxes} boîte(s) y sont rangées (${shelves.slice(0, 5).join(', ')})`,
      { path, boxes, shelves: shelves.slice(0, 100) },
    ),
  locationImport: (errors: readonly FormError[]) =>
    new AppError(
      'LOCATION_IMPORT_INVALID',
      'invalid',
      `Import d’emplacements refusé : ${errors.length} erreur(s), rien n’a été créé`,
      { errors: errors.slice(0, 1000), total: errors.length },
    ),
  shelfFull: (path: string, freeMm: number, neededMm: number) =>
    new AppError(
      'SHELF_FULL',
      'conflict',
      `Tablette ${path} pleine : ${metres(freeMm)} m libres, ${metres(neededMm)} m nécessaires`,
      { shelf: path, freeMetres: metres(freeMm), neededMetres: metres(neededMm) },
    ),
  levelsInUse: () =>
    new AppError(
      'LOCATION_LEVELS_IN_USE',
      'conflict',
      'Le nombre de niveaux ne peut changer tant que des emplacements existent (seuls les noms peuvent changer)',
    ),
  boxTypeNotFound: (id: string) =>
    new AppError('BOX_TYPE_NOT_FOUND', 'not_found', `Type de boîte inconnu : ${id}`, { boxType: id }),
  boxTypeExists: (id: string) =>
    new AppError('BOX_TYPE_EXISTS', 'conflict', `Le type de boîte ${id} existe déjà`, { boxType: id }),
  boxNotFound: (ref: string) =>
    new AppError('BOX_NOT_FOUND', 'not_found', `Boîte inconnue : ${ref}`, { box: ref }),
  duplicateBarcode: (barcode: string, boxId: string) =>
    new AppError(
      'BOX_BARCODE_DUPLICATE',
      'conflict',
      `Le code-barres ${barcode} est déjà celui de la boîte ${boxId}`,
      {
        barcode,
        boxId,
      },
    ),
  boxDestroyed: (barcode: string) =>
    new AppError('BOX_DESTROYED', 'conflict', `La boîte ${barcode} a été détruite`, { barcode }),
  boxOut: (barcode: string, requestId: string) =>
    new AppError(
      'BOX_OUT',
      'conflict',
      `La boîte ${barcode} est sortie (demande ${requestId}) : elle doit être réintégrée avant d’être déplacée`,
      { barcode, requestId },
    ),
  noFootprint: (barcode: string) =>
    new AppError(
      'BOX_FOOTPRINT_UNKNOWN',
      'invalid',
      `La boîte ${barcode} n’a pas de type (encombrement inconnu) : donnez-lui un type avant de la ranger`,
      { barcode },
    ),
  form: (errors: readonly FormError[]) =>
    new AppError(
      'TRANSFER_FORM_INVALID',
      'invalid',
      `Bordereau de versement refusé : ${errors.length} erreur(s), rien n’a été créé`,
      { errors: errors.slice(0, 1000), total: errors.length },
    ),
  inventoryNotFound: (id: string) =>
    new AppError('INVENTORY_NOT_FOUND', 'not_found', `Récolement inconnu : ${id}`, { inventoryId: id }),
  inventoryClosed: (id: string) =>
    new AppError('INVENTORY_CLOSED', 'conflict', `Le récolement ${id} est clos`, { inventoryId: id }),
  shelfOutOfScope: (path: string, id: string) =>
    new AppError(
      'INVENTORY_SHELF_OUT_OF_SCOPE',
      'invalid',
      `La tablette ${path} n’est pas dans le récolement ${id}`,
      {
        shelf: path,
        inventoryId: id,
      },
    ),
}
