/**
 * The physical archives and requests part of the API (docs/physical.md, docs/access.md): locations,
 * boxes, moves, transfer forms, inventories, labels, and consultation / loan / communication requests.
 * Functions take the session's ApiClient; types mirror the server's views.
 */
import type { ApiClient, Page } from './api.js'
import {
  FORM_COLUMNS,
  type BoxOut,
  type BoxOuting,
  type FormColumn,
  type FreeSpaceAnswer,
  type InventoryReport,
  type LocationProperties,
  type TransferResult,
} from '../../modules/physical/physical.types.js'
export type { BoxOut, BoxOuting, InventoryReport }

export type LocationProps = LocationProperties

export interface Occupancy {
  readonly capacityMetres: number
  readonly usedMetres: number
  readonly freeMetres: number
  readonly boxes: number
  readonly ratio: number
}

export interface LocationNode {
  readonly id: string
  readonly parentId: string | null
  readonly code: string
  readonly name: string | null
  readonly path: string
  readonly level: string
  readonly depth: number
  readonly shelf: boolean
  readonly lengthMetres: number | null
  readonly properties: LocationProps
  readonly effective: LocationProps
  readonly occupancy: Occupancy
}

/** The answer of `POST /locations/import`. */
export interface LocationImportResult {
  readonly operationId: string
  readonly created: number
  readonly implicit: number
  readonly locations: LocationNode[]
}

/** The columns of the location import, in the order of the template (docs/physical.md « Locations »). */
export const LOCATION_COLUMNS = [
  'path',
  'name',
  'length_m',
  'fire_rated',
  'climate_controlled',
  'reserved',
  'blocked',
] as const

export interface BoxSummary {
  readonly id: string
  readonly barcode: string
  readonly cote: string | null
  readonly title: string | null
  readonly producer: string | null
  readonly boxType: string | null
  readonly linearMetres: number | null
  readonly status: 'active' | 'destroyed' | string
  readonly place: { readonly id: string; readonly path: string | null } | null
  /** `out`: delivered for a consultation or a loan and not back yet (its place stays its home shelf). */
  readonly presence?: 'shelved' | 'unplaced' | 'out' | 'destroyed'
  readonly out?: BoxOut | null
  readonly operationId: string
  readonly createdAt: string
}

/** One row of a box's history; kinds other than created/moved/destroyed simply show as rows. */
export interface BoxHistoryRow {
  readonly kind: string
  readonly label?: string | null
  readonly from: string | null
  readonly to: string | null
  readonly at: string
  readonly agent: string
  readonly operationId: string | null
  readonly note: string | null
  readonly requestId?: string | null
}

export interface BoxDetail extends BoxSummary {
  readonly content: {
    readonly objectId: string
    readonly unitId: string | null
    readonly title: string | null
    readonly sedaId: string | null
  }[]
  readonly history: BoxHistoryRow[]
  readonly outings?: BoxOuting[]
}

export interface BoxType {
  readonly id: string
  readonly name: string
  readonly widthMm: number
  readonly heightMm: number
  readonly depthMm: number
  readonly footprintMetres: number
}

export type FreeSpace = FreeSpaceAnswer

/** The answer to a transfer form (the server's view). */
export type TransferFormResult = TransferResult

/** One error of a refused transfer form (`TRANSFER_FORM_INVALID`, details.errors). */
export interface FormError {
  readonly row: number
  readonly line?: number
  readonly column: string
  readonly message: string
}

export interface Inventory {
  readonly id: string
  readonly label: string
  readonly status: 'open' | 'closed'
  readonly shelves: { readonly id: string; readonly path: string | null }[]
  readonly scanned: number
  readonly createdBy: string
  readonly createdAt: string
  readonly closedBy: string | null
  readonly closedAt: string | null
  readonly report: InventoryReport
}

export interface InventorySummary {
  readonly id: string
  readonly label: string
  readonly status: 'open' | 'closed'
  readonly shelves: number
  readonly createdBy: string
  readonly createdAt: string
  readonly closedAt: string | null
}

export interface Statistics {
  readonly byProducer: { producer: string | null; boxes: number; linearMetres: number }[]
  readonly unplaced: { boxes: number; linearMetres: number }
}

export type RequestKind = 'communication' | 'consultation' | 'loan'
export type RequestState = 'requested' | 'approved' | 'refused' | 'delivered' | 'returned'

export interface AccessRequest {
  readonly id: string
  readonly kind: RequestKind
  readonly state: RequestState
  readonly overdue: boolean
  readonly requester: { readonly id: string; readonly name: string }
  readonly unitIds: string[]
  readonly service: string | null
  readonly motive: string | null
  readonly dueDate: string | null
  readonly decidedBy: string | null
  readonly decisionReason: string | null
  readonly derogation: {
    readonly id: string
    readonly reason: string
    readonly decidedBy: string
    readonly expiresAt: string
    readonly expired: boolean
  } | null
  readonly history: { state: string; at: string; by: string; reason?: string }[]
  readonly createdAt: string
  readonly updatedAt: string
}

export interface Decision {
  readonly reason?: string | null
  readonly dueDate?: string | null
  readonly derogation?: { readonly reason: string; readonly expiresAt: string } | null
}

const enc = encodeURIComponent

function qs(q: Record<string, string | number | boolean | undefined>): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v))
  const s = p.toString()
  return s ? `?${s}` : ''
}

export const physicalApi = {
  locations: (api: ApiClient) =>
    api.json<{ levels: string[]; locations: LocationNode[] }>('GET', '/locations'),
  setLevels: (api: ApiClient, levels: string[]) =>
    api.json<{ levels: string[] }>('PUT', '/locations/levels', { levels }),
  createLocation: (
    api: ApiClient,
    input: {
      parentId?: string | null
      code: string
      name?: string | null
      lengthMetres?: number
    } & Partial<LocationProps>,
  ) => api.json<LocationNode>('POST', '/locations', input),
  updateLocation: (
    api: ApiClient,
    id: string,
    input: { name?: string | null; lengthMetres?: number } & Partial<LocationProps>,
  ) => api.json<LocationNode>('PATCH', `/locations/${enc(id)}`, input),
  moveLocation: (api: ApiClient, id: string, parentId: string | null) =>
    api.json<LocationNode>('POST', `/locations/${enc(id)}/move`, { parentId }),
  deleteLocation: (api: ApiClient, id: string) =>
    api.json<{ deleted: string[] }>('DELETE', `/locations/${enc(id)}`),
  importLocations: (api: ApiClient, csv: string, fileName: string) =>
    api.sendText<LocationImportResult>('POST', `/locations/import${qs({ fileName })}`, csv, 'text/csv'),
  freeSpace: (
    api: ApiClient,
    q: { metres?: string; boxes?: string; boxType?: string; near?: string; includeReserved?: boolean },
  ) => api.json<FreeSpace>('GET', `/locations/free-space${qs(q)}`),

  boxTypes: (api: ApiClient) => api.json<{ results: BoxType[] }>('GET', '/boxes/types'),
  createBoxType: (
    api: ApiClient,
    input: {
      id: string
      name: string
      widthMm: number
      heightMm: number
      depthMm: number
      footprintMm?: number
    },
  ) => api.json<BoxType>('POST', '/boxes/types', input),
  boxes: (
    api: ApiClient,
    q: { q?: string; location?: string; status?: string; limit?: number; offset?: number },
  ) => api.json<Page<BoxSummary>>('GET', `/boxes${qs(q)}`),
  box: (api: ApiClient, ref: string) => api.json<BoxDetail>('GET', `/boxes/${enc(ref)}`),
  createBox: (
    api: ApiClient,
    input: { barcode: string; cote?: string; title?: string; producer?: string; boxType?: string },
  ) => api.json<BoxSummary>('POST', '/boxes', input),
  updateBox: (api: ApiClient, ref: string, input: { cote?: string; title?: string; boxType?: string }) =>
    api.json<BoxSummary>('PATCH', `/boxes/${enc(ref)}`, input),
  moveBoxes: (api: ApiClient, boxes: string[], to: string, note?: string) =>
    api.json<{ operationId: string; to: { id: string; path: string }; moved: number; boxes: string[] }>(
      'POST',
      '/boxes/moves',
      { boxes, to, ...(note ? { note } : {}) },
    ),
  statistics: (api: ApiClient) => api.json<Statistics>('GET', '/boxes/statistics'),

  transferCsv: (api: ApiClient, csv: string, fileName: string) =>
    api.sendText<TransferFormResult>('POST', `/physical-transfers${qs({ fileName })}`, csv, 'text/csv'),
  transferRows: (api: ApiClient, rows: Record<string, string>[]) =>
    api.json<TransferFormResult>('POST', '/physical-transfers', { rows }),

  inventories: (api: ApiClient) => api.json<{ results: InventorySummary[] }>('GET', '/inventories'),
  inventory: (api: ApiClient, id: string) => api.json<Inventory>('GET', `/inventories/${enc(id)}`),
  startInventory: (api: ApiClient, label: string, locations: string[]) =>
    api.json<Inventory>('POST', '/inventories', { label, locations }),
  scan: (api: ApiClient, id: string, shelf: string, barcodes: string[]) =>
    api.json<Inventory>('POST', `/inventories/${enc(id)}/scans`, { shelf, barcodes }),
  closeInventory: (api: ApiClient, id: string) =>
    api.json<Inventory>('POST', `/inventories/${enc(id)}/close`),

  labelsPath: (q: { boxes?: string[]; location?: string; symbology: 'code128' | 'qrcode' }) =>
    `/labels/boxes.pdf${qs({ boxes: q.boxes?.join(','), location: q.location, symbology: q.symbology })}`,
  shelfListPath: (location: string) => `/labels/shelf-list.pdf${qs({ location })}`,

  requests: (api: ApiClient, q: { state?: RequestState; kind?: RequestKind; overdue?: boolean } = {}) =>
    api.json<{ results: AccessRequest[] }>('GET', `/requests${qs(q)}`),
  request: (api: ApiClient, id: string) => api.json<AccessRequest>('GET', `/requests/${enc(id)}`),
  createRequest: (
    api: ApiClient,
    input: {
      kind: RequestKind
      unitIds: string[]
      motive?: string | null
      service?: string | null
      dueDate?: string | null
    },
  ) => api.json<AccessRequest>('POST', '/requests', input),
  decide: (
    api: ApiClient,
    id: string,
    action: 'approve' | 'refuse' | 'deliver' | 'return',
    d: Decision = {},
  ) => api.json<AccessRequest>('POST', `/requests/${enc(id)}/${action}`, d),
}

export { FORM_COLUMNS, type FormColumn }
