import { asAppError, errorResponse } from "@/lib/errors";
import { getResourceKrl } from "@/lib/provisioning/ssh/get-resource-krl";

export const dynamic = "force-dynamic";

/**
 * The OpenSSH key revocation list of a resource's SSH certificates, for the hosts' RevokedKeys
 * (docs/connector-ssh.md). Public by design (ADR 0037): serials only, nothing to protect.
 */
export const GET = async (_request: Request, { params }: { params: Promise<{ resourceKey: string }> }) => {
  const { resourceKey } = await params;
  try {
    const krl = await getResourceKrl({ resourceKey });
    return new Response(new Uint8Array(krl), {
      status: 200,
      headers: {
        "content-type": "application/octet-stream",
        "content-disposition": `attachment; filename="${resourceKey}.krl"`,
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    const known = asAppError(error);
    if (known) return errorResponse(known);
    throw error;
  }
};
