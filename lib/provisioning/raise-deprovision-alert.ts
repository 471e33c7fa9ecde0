import type { Db } from "../db";
import { notify } from "../notify";
import { endOf, type TGrantRow } from "./internal";

/**
 * Inside the caller's transaction: tells security (in-app, e-mail, chat) that a grant's access
 * could not be taken away, once per grant, connector and end (the SecurityAlert row is the
 * latch, so retries every few seconds do not flood anyone).
 */
export const raiseDeprovisionAlert = async (
  tx: Db,
  options: { grant: TGrantRow; connectorId: string; message: string; at: Date },
): Promise<boolean> => {
  const { grant, connectorId, message } = options;
  const { count } = await tx.securityAlert.createMany({
    data: [
      {
        kind: "provisioning.deprovision_failed",
        subject: `${grant.id}:${connectorId}`,
        windowStart: endOf(grant),
        count: 1,
      },
    ],
    skipDuplicates: true,
  });
  if (count === 0) return false;
  await notify(tx, {
    recipients: { security: true },
    kind: "security.deprovision_failed",
    title: `Access NOT removed: ${grant.subject.name} on ${grant.resource.name}`,
    body:
      `The grant ended at ${endOf(grant).toISOString()}, but its access could not be removed from the target: ` +
      `${message}. The portal keeps retrying; check the target now.`,
    link: `/grants/${grant.id}`,
  });
  return true;
};
