export {
  confirmDeviceAuthorization,
  describeDeviceAuthorization,
  DEVICE_CODE_GRANT,
  DeviceGrantError,
  exchangeDeviceCode,
  refreshPersonToken,
  startDeviceAuthorization,
  ZConfirmDevice,
  type TConfirmDevice,
  type TPersonTokenResponse,
} from "./device-grant";
export { listMyDevices, resolvePersonActor, revokeDevice, revokeDevicesOfUser, type TMyDevice } from "./devices";
export {
  PERSON_TOKEN_AUDIENCE,
  PERSON_TOKEN_TTL_SECONDS,
  PersonTokenError,
  signPersonToken,
  verifyPersonToken,
} from "./person-tokens";
