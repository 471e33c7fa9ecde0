export { cancelRequest } from "./cancel-request";
export { acknowledgeRequest } from "./on-behalf";
export {
  decideRequest,
  startDecision,
  ZDecideRequest,
  type TDecideRequest,
  type TDecisionResult,
} from "./decide-request";
export { listApprovalInbox, listRequestable, type TRequestableResource } from "./eligibility";
export { getRequestDetail, type TRequestDetail, type TTimelineEntry } from "./get-request";
export { grantStatus, isGrantActive, type TGrantStatus } from "./grant-status";
export { listMyAccess } from "./list-my-access";
export { requestAccess, type TRequestResult } from "./request-access";
export { fieldErrors, ZDecision, ZRequestAccess, type TDecision, type TRequestAccess } from "./schemas";
export {
  activateGrant,
  expireGrant,
  expireStaleRequests,
  lifecycleJobs,
  reconcileLifecycle,
  scheduleGrantLifecycle,
  warnGrant,
  type TLifecycleOutcome,
} from "./lifecycle";
export { revokeGrant, startRevocation, ZRevokeGrant, type TRevokeGrant } from "./revoke-grant";
export { extensionHeadroomMinutes, requestExtension, ZRequestExtension, type TRequestExtension } from "./extend-grant";
export {
  BREAK_GLASS_MIN_JUSTIFICATION,
  startBreakGlass,
  takeBreakGlass,
  ZBreakGlass,
  ZStartBreakGlass,
  type TBreakGlass,
  type TBreakGlassResult,
  type TStartBreakGlass,
} from "./break-glass";
export {
  listUnreviewedBreakGlass,
  signOffBreakGlass,
  ZSignOffBreakGlass,
  type TSignOffBreakGlass,
  type TUnreviewedBreakGlass,
} from "./review-break-glass";
