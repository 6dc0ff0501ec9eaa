import type { UnitSummary } from '../catalog/index.js'

/** One term of a text query: a word, a prefix (`archiv*`) or a phrase (`"conseil municipal"`). */
export interface TextTerm {
  readonly kind: 'word' | 'prefix' | 'phrase'
  readonly negated: boolean
  /** Folded words (no accents, lower case), in order; a word with a hyphen or an apostrophe is a phrase. */
  readonly words: readonly string[]
  /** The words as typed (case and accents kept), for PostgreSQL's French stemmer. */
  readonly raw: readonly string[]
}

export interface DateRange {
  /** Inclusive ISO bounds (YYYY-MM-DD); either may be absent. */
  readonly from?: string
  readonly to?: string
}

export const DESCRIPTION_LEVELS = [
  'Fonds',
  'Subfonds',
  'Class',
  'Collection',
  'Series',
  'Subseries',
  'RecordGrp',
  'SubGrp',
  'File',
  'Item',
  'OtherLevel',
] as const
export const FINAL_ACTIONS = ['Keep', 'Destroy', 'Conflict', 'none'] as const
export type FinalActionFilter = (typeof FINAL_ACTIONS)[number]

export interface SearchFilters {
  /** Originating agency identifiers (any of). */
  readonly producer?: readonly string[]
  readonly level?: readonly string[]
  /** Units whose [StartDate, EndDate] overlaps the range. */
  readonly date?: DateRange
  /** unit_lifecycle.appraisal_end_date within the range. */
  readonly appraisalEnd?: DateRange
  readonly finalAction?: readonly FinalActionFilter[]
  /** 'yes' / 'no': communicable today; a date: communicable on that date. */
  readonly communicable?: { readonly yes: boolean; readonly at?: string }
  /** Units with at least one digital (binary) or physical object. */
  readonly kind?: 'digital' | 'physical'
  /** Units with an object of one of these PRONOM formats. */
  readonly format?: readonly string[]
  readonly operation?: string
  /** Direct children of this unit. */
  readonly parent?: string
  /** Descendants of this unit (any depth, the unit itself excluded). */
  readonly branch?: string
  /** Units with an object in a box placed at this location or under it (location id or path). */
  readonly location?: string
  /** Units with an object in this box (box id or barcode). */
  readonly box?: string
}

export const SORTS = ['relevance', 'title', '-title', 'date', '-date', 'created', '-created'] as const
export type SortName = (typeof SORTS)[number]

/** A validated search request (`parseSearchParams` builds one from query-string style parameters). */
export interface SearchInput {
  readonly terms: readonly TextTerm[]
  readonly filters: SearchFilters
  readonly sort: SortName
  readonly limit: number
  /** Shallow offset for the first page only (≤ MAX_OFFSET); cursors are the way to page further. */
  readonly offset: number
  readonly cursor?: string
  readonly facets: boolean
  /** Count the whole matching set even past TOTAL_CAP (`exactTotal=true`); default: capped. */
  readonly exactTotal?: boolean
}

/**
 * What a caller may see, on top of the tenant: the access-contract helper passes one per request. Every
 * present constraint must hold (they are ANDed); an absent or empty object restricts nothing.
 */
export interface Visibility {
  /** Only units whose originating agency is one of these (an empty list shows nothing). */
  readonly producers?: readonly string[]
  /** Only these units and their descendants (an empty list shows nothing). */
  readonly branchRoots?: readonly string[]
  /** Never these units nor their descendants (an access contract's excluded branches). */
  readonly excludedBranchRoots?: readonly string[]
  /** Only units communicable today (L213-1/L213-2 as materialised by the rules module). */
  readonly communicableOnly?: boolean
  /** With `communicableOnly`: also the units a live derogation opens to this principal (access module). */
  readonly derogationFor?: { readonly principalId: string; readonly now: string }
}

export interface FacetBucket {
  readonly value: string
  readonly count: number
}

export interface SearchFacets {
  readonly producer: readonly FacetBucket[]
  readonly level: readonly FacetBucket[]
  readonly finalAction: readonly FacetBucket[]
  readonly format: readonly FacetBucket[]
  readonly kind: readonly FacetBucket[]
  readonly communicability: readonly FacetBucket[]
}

export interface SearchResult {
  /** The size of the matching set; with `totalIsLowerBound`, a lower bound (TOTAL_CAP: more match). */
  readonly total: number
  /** Present (true) when more than TOTAL_CAP units match and `exactTotal` was not asked. */
  readonly totalIsLowerBound?: boolean
  /**
   * Present with relevance sort when more than RANK_CAP units match: the page is ranked over the first
   * `rankedOver` matching units (rid order), not over the whole set.
   */
  readonly rankedOver?: number
  readonly results: readonly (UnitSummary & { readonly originatingAgency: string | null })[]
  readonly facets?: SearchFacets
  /** With facets: true when they were counted over part of the matching set (facetsCountedOver < total). */
  readonly facetsApproximate?: boolean
  /** With facets: how many matching units they count (the total, or the first FACET_CAP). */
  readonly facetsCountedOver?: number
  /** Opaque; absent on the last page. */
  readonly nextCursor: string | null
}

export interface AncestorEntry {
  readonly id: string
  readonly title: string
  readonly descriptionLevel: string | null
  readonly parentIds: readonly string[]
  /** 1 for a parent, 2 for a grandparent… (the shortest path when there are several). */
  readonly depth: number
}
