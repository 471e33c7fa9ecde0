export {
  createServiceClient,
  disableServiceClient,
  listServiceClients,
  rotateServiceClientSecret,
  ZCreateServiceClient,
  type TCreateServiceClient,
  type TServiceClientSummary,
} from "./clients";
export { announceReplicaChange } from "./feed";
export { buildOpenApiDocument } from "./openapi";
export { SCOPES, TOKEN_AUDIENCE, TOKEN_TTL_SECONDS, type TScope } from "./scopes";
export { ensureSigningKey, loadKeyRing, rotateSigningKey } from "./signing-keys";
