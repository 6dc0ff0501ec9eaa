export {
  SearchService,
  SearchNotFound,
  SEARCH_STALE_QUEUE,
  type IndexSource,
  type SearchDeps,
} from './search.service.js'
export {
  parseSearchParams,
  parseTextQuery,
  parseDateRange,
  SearchErrors,
  MAX_PAGE,
  DEFAULT_PAGE,
  MAX_OFFSET,
  FILTER_FIELDS,
} from './query.js'
export { fold, indexText, singular, words } from './text.js'
export * from './search.types.js'
