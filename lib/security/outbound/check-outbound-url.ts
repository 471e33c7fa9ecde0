import { AppError } from "../../errors";
import { OutboundError } from "./errors";
import { type TOutboundPolicy, vetOutboundTarget } from "./vet-outbound-target";

/**
 * For forms that store an outbound URL (a webhook endpoint): refuses, as INVALID_INPUT on
 * `field`, a URL whose host is or resolves to an internal address that OUTBOUND_ALLOWED_HOSTS
 * does not name, so the administrator learns it at once rather than from failed deliveries.
 * A name that does not resolve yet is accepted: DNS may come later, and every call is vetted
 * again at send time anyway (this check is a courtesy, that one is the guard).
 */
export const checkOutboundUrl = async (
  options: { url: string; field: string },
  policy?: TOutboundPolicy,
): Promise<void> => {
  const url = new URL(options.url);
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  try {
    await vetOutboundTarget({ host: url.hostname, port }, policy);
  } catch (error) {
    if (error instanceof OutboundError && error.errorClass === "blocked_address")
      throw new AppError("INVALID_INPUT", "Some fields need attention.", { [options.field]: error.message });
    if (error instanceof OutboundError && error.errorClass === "dns") return;
    throw error;
  }
};
