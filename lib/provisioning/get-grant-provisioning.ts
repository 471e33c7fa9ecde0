import type { TUserActor } from "../authz";
import { can } from "../authz";
import { assertCanOrHide, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { listGrantSignals } from "../signals/list-flagged-signals";
import { connectorOf } from "./registry";

type TGetGrantProvisioningOptions = { actor: TUserActor; grantId: string; context?: TAuditContext };

const NOT_FOUND = "No such grant.";

const RESPONSE_WORDS: Record<string, string> = {
  alert: " Security was alerted.",
  revoke: " The policy ended the grant.",
  extra_approval: " The next request for this resource needs one more approval.",
};

/**
 * The grant page: the grant, where it stands in each connector's target, and its provisioning
 * timeline. Its subject, security reviewers and administrators; anyone else gets the answer a
 * missing id gets. Whether a credential waits to be seen is said only to the subject.
 */
export const getGrantProvisioning = async ({ actor, grantId, context }: TGetGrantProvisioningOptions) => {
  if (grantId.length > 64) throw new AppError("NOT_FOUND", NOT_FOUND);
  const grant = await db.grant.findUnique({
    where: { id: grantId },
    select: {
      id: true,
      subjectId: true,
      requestId: true,
      permissions: true,
      startsAt: true,
      expiresAt: true,
      revokedAt: true,
      revokeReason: true,
      subject: { select: { name: true, email: true } },
      resource: { select: { key: true, name: true } },
      provisionings: {
        orderBy: { createdAt: "asc" },
        select: {
          connectorId: true,
          externalRef: true,
          provisionedAt: true,
          provisionedUntil: true,
          deprovisionedAt: true,
          sessionsTerminated: true,
          attempts: true,
          lastError: true,
          credentialSealed: true,
          credentialViewedAt: true,
          connector: { select: { kind: true, name: true } },
        },
      },
      provisioningLog: {
        orderBy: { createdAt: "asc" },
        take: 200,
        select: { kind: true, message: true, createdAt: true },
      },
    },
  });
  if (!grant) throw new AppError("NOT_FOUND", NOT_FOUND);
  const target = { type: "grant" as const, id: grant.id, subjectId: grant.subjectId };
  await assertCanOrHide({ actor, action: "grant.read", target, visible: false, notFound: NOT_FOUND, context });
  const own = can(actor, "grant.credential", target);
  const [connectors, signals] = await Promise.all([
    db.connector.findMany({
      where: { resource: { key: grant.resource.key }, disabledAt: null },
      select: { id: true, kind: true, name: true },
    }),
    listGrantSignals(grant.id),
  ]);
  return {
    id: grant.id,
    own,
    requestId: grant.requestId,
    permissions: grant.permissions,
    startsAt: grant.startsAt,
    expiresAt: grant.expiresAt,
    revokedAt: grant.revokedAt,
    revokeReason: grant.revokeReason,
    subject: grant.subject,
    resource: grant.resource,
    steps: grant.provisionings.map(({ credentialSealed, connector, ...step }) => ({
      ...step,
      kind: connector.kind,
      name: connector.name,
      label: connectorOf(connector.kind)?.label ?? connector.kind,
      credentialWaiting: own && credentialSealed !== null,
    })),
    /** Connectors that issue credentials on demand (e.g. SSH certificates): the subject's form. */
    onDemand: own
      ? connectors
          .filter((connector) => connectorOf(connector.kind)?.issueCredential)
          .map((connector) => ({ ...connector, label: connectorOf(connector.kind)?.label ?? connector.kind }))
      : [],
    // Flagged usage signals from services sit in the timeline with their reason (ADR 0042).
    timeline: [
      ...grant.provisioningLog,
      ...signals.map((signal) => ({
        kind: "signal",
        message: `Usage signal flagged: ${signal.reason ?? ""}${RESPONSE_WORDS[signal.response ?? "alert"] ?? ""}`,
        createdAt: signal.createdAt,
      })),
    ].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()),
  };
};
export type TGrantProvisioningView = Awaited<ReturnType<typeof getGrantProvisioning>>;
