export { clientIpFrom, setClientIp } from "./client-ip.mjs";
