export { cancelRequest } from "./cancel-request";
export { decideRequest, startDecision, ZDecideRequest, type TDecideRequest, type TDecisionResult } from "./decide-request";
export { listApprovalInbox, listRequestable, type TRequestableResource } from "./eligibility";
export { getRequestDetail, type TRequestDetail, type TTimelineEntry } from "./get-request";
export { grantStatus, isGrantActive, type TGrantStatus } from "./grant-status";
export { listMyAccess } from "./list-my-access";
export { requestAccess, type TRequestResult } from "./request-access";
export { fieldErrors, ZDecision, ZRequestAccess, type TDecision, type TRequestAccess } from "./schemas";
