export {
  RequestService,
  RequestErrors,
  REQUEST_KINDS,
  type Decision,
  type NewRequest,
  type RequestKind,
  type RequestState,
  type RequestView,
} from './requests.service.js'
