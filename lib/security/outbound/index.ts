/**
 * The outbound guard (ADR 0032): every call the portal makes to a host someone configured
 * (webhooks, the chat webhook, connectors) goes through here, so none reaches an internal
 * address unless OUTBOUND_ALLOWED_HOSTS names it.
 */
export {
  classifyAddress,
  parseIpLiteral,
  type TAddressClass,
  type TClassifiedAddress,
  type TParsedAddress,
} from "./addresses";
export { DEVELOPMENT_ALLOWED_HOSTS, parseAllowList, type TAllowEntry } from "./allow-list";
export {
  describeOutboundError,
  OUTBOUND_ERROR_CLASSES,
  OutboundError,
  outboundErrorClass,
  type TOutboundErrorClass,
} from "./errors";
export { outboundRequest, type TOutboundRequest, type TOutboundResponse } from "./outbound-request";
export { checkOutboundUrl } from "./check-outbound-url";
export { type TOutboundPolicy, type TVettedTarget, vetOutboundTarget } from "./vet-outbound-target";
