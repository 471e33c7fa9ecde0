import { handleSetPush } from "@/lib/ssf/http";

export const dynamic = "force-dynamic";

/**
 * Shared Signals push receiver (RFC 8935): a transmitter's Security Event Tokens, verified
 * against its registered issuer, audience and JWKS (docs/identity-providers.md, ADR 0040).
 */
export const POST = async (request: Request, { params }: { params: Promise<{ transmitterId: string }> }) =>
  handleSetPush(request, (await params).transmitterId);
