export {
  RequestService,
  RequestErrors,
  REQUEST_KINDS,
  type Decision,
  type NewRequest,
  type PhysicalOutingHook,
  type RequestKind,
  type RequestState,
  type RequestView,
} from './requests.service.js'
