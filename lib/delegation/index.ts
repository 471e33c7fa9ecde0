export { createDelegation, endDelegation } from "./manage-delegation";
export {
  delegationState,
  listMyDelegations,
  runningDelegationsFor,
  type TDelegationState,
  type TDelegationView,
} from "./list-delegations";
export {
  MAX_DELEGATION_DAYS,
  MAX_DELEGATION_LEAD_DAYS,
  MIN_DELEGATION_REASON,
  ZCreateDelegation,
  type TCreateDelegation,
} from "./schemas";
export { runningDelegatesOf, withDelegations } from "./with-delegations";
