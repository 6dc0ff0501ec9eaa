export interface LocationView {
  readonly id: string
  readonly parentId: string | null
  readonly code: string
  readonly name: string | null
  /** Codes from the root, joined by '/'. */
  readonly path: string
  /** The level's name (configurable per tenant). */
  readonly level: string
  readonly depth: number
  readonly shelf: boolean
  readonly lengthMetres: number | null
  /** As set on this location. */
  readonly properties: LocationProperties
  /** In force: this location's or any ancestor's. */
  readonly effective: LocationProperties
  /** Over the shelves at or below this location. */
  readonly occupancy: {
    readonly capacityMetres: number
    readonly usedMetres: number
    readonly freeMetres: number
    readonly boxes: number
    readonly ratio: number
  }
}

export interface LocationProperties {
  readonly fireRated: boolean
  readonly climateControlled: boolean
  readonly reserved: boolean
  readonly blocked: boolean
}

export interface FreeSpaceAnswer {
  readonly neededMetres: number
  readonly boxType: string | null
  readonly boxes: number | null
  readonly near: string | null
  /** False when all the free space that fits the criteria is not enough. */
  readonly enough: boolean
  readonly totalFreeMetres: number
  /** Nearest first; each place is one shelf, or several when no single shelf has room. */
  readonly places: {
    readonly shelves: {
      readonly id: string
      readonly path: string
      readonly freeMetres: number
      readonly takeMetres: number
      readonly boxes?: number
      readonly distance?: number
    }[]
    readonly totalMetres: number
  }[]
}

export interface BoxView {
  readonly id: string
  readonly barcode: string
  readonly cote: string | null
  readonly title: string | null
  readonly producer: string | null
  readonly boxType: string | null
  readonly linearMetres: number | null
  readonly status: 'active' | 'destroyed'
  /** Its home shelf; kept (and its room reserved) while the box is out. */
  readonly place: { readonly id: string; readonly path: string | null } | null
  /** `out`: delivered for a consultation or a loan and not yet returned (not on its shelf). */
  readonly presence: 'shelved' | 'unplaced' | 'out' | 'destroyed'
  readonly out: BoxOut | null
  readonly operationId: string
  readonly createdAt: string
}

/** A box's current outing: the request that took it out (reading room or loan). */
export interface BoxOut {
  readonly requestId: string
  readonly kind: string | null
  readonly service: string | null
  /** The requester's name, when the request is known. */
  readonly requester: string | null
  readonly since: string
  readonly dueDate: string | null
  readonly overdue: boolean
}

/**
 * The shelf list of a location: per shelf under it, in tree order, what it should hold; a box that is out
 * (consultation, loan) is listed with its outing so that it is not reported missing.
 */
export interface ShelfList {
  readonly location: string
  readonly summary: {
    readonly shelves: number
    readonly boxes: number
    /** Boxes out (delivered, not returned); `overdue` among them past their due date. */
    readonly out: number
    readonly overdue: number
  }
  readonly shelves: {
    readonly path: string
    readonly lengthMetres: number
    readonly usedMetres: number
    readonly boxes: readonly BoxView[]
    readonly outCount: number
    readonly overdueCount: number
  }[]
}

/** One outing of a box, from its history: delivered → returned (or still out), overdue when late. */
export interface BoxOuting {
  readonly requestId: string
  readonly kind: string | null
  readonly service: string | null
  readonly requester: string | null
  readonly state: string | null
  readonly deliveredAt: string
  readonly dueDate: string | null
  readonly returnedAt: string | null
  /** Still out past its due date, or returned after it. */
  readonly overdue: boolean
}

export interface TransferResult {
  readonly operationId: string
  readonly units: {
    readonly row: number
    readonly unitId: string
    readonly objectId: string
    readonly boxId: string
    readonly barcode: string
    readonly title: string
  }[]
  readonly boxes: { readonly id: string; readonly barcode: string; readonly cote: string | null }[]
  readonly linearMetres: number
}

export interface ObjectPlace {
  readonly box: {
    readonly id: string
    readonly barcode: string
    readonly cote: string | null
    readonly status: string
    readonly linearMetres: number | null
    /** `out` while a consultation or loan has it (its place is then its home shelf). */
    readonly presence: BoxView['presence']
    readonly out: BoxOut | null
  }
  readonly place: {
    readonly id: string
    readonly path: string
    readonly levels: { readonly level: string; readonly code: string; readonly name: string | null }[]
  } | null
}

export interface DestroyedBox {
  readonly boxId: string
  readonly barcode: string
  readonly cote: string | null
  readonly title: string | null
  readonly linearMetres: number
  readonly lastPlace: string | null
}

export interface InventoryReport {
  readonly shelves: number
  readonly expected: number
  readonly found: { barcode: string; cote: string | null; shelf: string }[]
  readonly missing: { barcode: string; cote: string | null; expectedAt: string }[]
  readonly misplaced: { barcode: string; cote: string | null; expectedAt: string | null; foundAt: string[] }[]
  readonly unexpected: { barcode: string; foundAt: string[]; reason: 'unknown' | 'destroyed' | 'no-place' }[]
  /** Boxes of the campaign's shelves that are out (consultation, loan) and were not seen: not missing. */
  readonly out: { barcode: string; cote: string | null; expectedAt: string; requestId: string }[]
}

export interface InventoryView {
  readonly id: string
  readonly label: string
  readonly status: 'open' | 'closed'
  readonly shelves: { readonly id: string; readonly path: string | null }[]
  readonly scanned: number
  readonly createdBy: string
  readonly createdAt: string
  readonly closedBy: string | null
  readonly closedAt: string | null
  /** Live while open, frozen at closing. */
  readonly report: InventoryReport
}

export interface Statistics {
  readonly byProducer: { producer: string | null; boxes: number; linearMetres: number }[]
  readonly byFinalAction: { finalAction: string; boxes: number; linearMetres: number }[]
  readonly byLocation: {
    id: string
    path: string
    level: string
    capacityMetres: number
    usedMetres: number
    freeMetres: number
    boxes: number
  }[]
  readonly unplaced: { boxes: number; linearMetres: number }
}

/**
 * The physical transfer form's columns, in the order of its template (docs/physical.md); here, in a file
 * without imports, so that the web application shares the list.
 */
export const FORM_COLUMNS = [
  'box_barcode',
  'cote',
  'title',
  'start_date',
  'end_date',
  'producer',
  'description_level',
  'appraisal_rule',
  'appraisal_start_date',
  'final_action',
  'access_rule',
  'access_start_date',
  'box_type',
  'description',
] as const
export type FormColumn = (typeof FORM_COLUMNS)[number]
