import { answerError, downloadResponse } from "@/lib/errors";
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
    return downloadResponse(new Uint8Array(krl), {
      contentType: "application/octet-stream",
      filename: `${resourceKey}.krl`,
    });
  } catch (error) {
    return answerError(error);
  }
};
