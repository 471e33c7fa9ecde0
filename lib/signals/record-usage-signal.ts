import { activeGrantWhere } from "../access/grant-status";
import { REVOCABLE_GRANT_INCLUDE, revokeGrantInTransaction } from "../access/revoke-grant-in-transaction";
import { appendAuditEvent } from "../audit";
import { currentTime } from "../clock";
import { db, type Db } from "../db";
import { AppError } from "../errors";
import { notify } from "../notify";
import { announceAfter } from "../services/feed";
import { resolveSubject } from "../services/resolve-subject";
import { BASELINE_RULES, judgeMetric, type TBaseline } from "./baseline";
import { FLAGGING_SEVERITIES, USAGE_RESPONSES, type TUsageResponse, type TUsageSignalRequest } from "./schemas";
import { effectiveUsageRules, type TUsagePolicy } from "./usage-rules";
import { parseWindow, perMinute } from "./window";

type TRecordUsageSignalOptions = {
  /** The service client that reports (authenticated with signals:write by the caller). */
  client: { id: string; resourceKeys: readonly string[] };
  input: TUsageSignalRequest;
  audit: { ip: string | null; userAgent: string | null; requestId: string | null };
};

export type TUsageSignalResult = {
  id: string;
  flagged: boolean;
  reason: string | null;
  response: TUsageResponse | null;
  revokedGrantIds: string[];
};

type TJudgement = { flagged: boolean; reason: string | null; baseline: TBaseline | null };

/**
 * A service's report about a person's use of a resource (POST /api/v1/signals, ADR 0042).
 * Every report is stored; most are not flagged and cost one read of the baseline and one
 * insert, with no audit chain event (reports are high volume). A flagged report is one
 * transaction: the report, its audit event, security's alert and the policy's response
 * (the live grants ended through the one revocation path, which queues their deprovisioning;
 * or one more approval owed by the person's next request for the resource). The replicas
 * are told before the answer, so the check says no once this returns.
 */
export const recordUsageSignal = async ({ client, input, audit }: TRecordUsageSignalOptions) => {
  if (client.resourceKeys.length > 0 && !client.resourceKeys.includes(input.resource))
    throw new AppError("FORBIDDEN", `This client may not report about resource ${input.resource}.`);
  const now = currentTime();
  const [subject, resource] = await Promise.all([
    resolveSubject(input.subject),
    db.resource.findUnique({
      where: { key: input.resource },
      select: {
        id: true,
        key: true,
        name: true,
        archivedAt: true,
        policies: { select: { id: true, usageResponse: true, usageCeilings: true } },
      },
    }),
  ]);
  if (!resource || resource.archivedAt) throw new AppError("NOT_FOUND", `No such resource: ${input.resource}.`);
  if (subject.userId === null)
    throw new AppError(
      "NOT_FOUND",
      subject.reason === "ambiguous"
        ? "This e-mail names more than one person; use their subject id (issuer#sub)."
        : "No such subject: use a subject id (issuer#sub), a user id or an e-mail the IdP verified.",
    );
  const userId = subject.userId;
  const windowSeconds = input.window === undefined ? null : parseWindow(input.window);
  const rate = input.value !== undefined && windowSeconds !== null ? perMinute(input.value, windowSeconds) : null;
  const since = new Date(now.getTime() - BASELINE_RULES.days * 24 * 3_600_000);

  const [history, grants] = await Promise.all([
    input.metric === undefined
      ? Promise.resolve([])
      : db.usageSignal.findMany({
          // Earlier flagged reports are not the person's usual use: they stay out of the baseline.
          where: { userId, resourceId: resource.id, metric: input.metric, flagged: false, createdAt: { gte: since } },
          orderBy: { createdAt: "desc" },
          take: BASELINE_RULES.maxSamples,
          select: { perMinute: true },
        }),
    db.grant.findMany({
      where: { subjectId: userId, resourceId: resource.id, ...activeGrantWhere(now) },
      orderBy: { expiresAt: "desc" },
      select: { id: true, request: { select: { policyId: true } } },
    }),
  ]);
  const grant = grants[0] ?? null;
  const rules = effectiveUsageRules(
    resource.policies.map((policy) => toUsagePolicy(policy)),
    grant?.request?.policyId ?? null,
  );
  const judgement: TJudgement =
    input.metric !== undefined && rate !== null
      ? judgeMetric({
          metric: input.metric,
          perMinute: rate,
          history: history.flatMap((row) => (row.perMinute === null ? [] : [row.perMinute])),
          ceiling: rules.ceilings[input.metric] ?? null,
        })
      : input.severity !== undefined && FLAGGING_SEVERITIES.includes(input.severity)
        ? { flagged: true, reason: `${input.severity} event ${input.event ?? ""} reported.`, baseline: null }
        : { flagged: false, reason: null, baseline: null };

  const row = {
    userId,
    resourceId: resource.id,
    grantId: grant?.id ?? null,
    clientId: client.id,
    metric: input.metric ?? null,
    value: input.value ?? null,
    windowSeconds,
    perMinute: rate,
    event: input.event ?? null,
    severity: input.severity ?? null,
    createdAt: now,
  };
  if (!judgement.flagged) {
    const { id } = await db.usageSignal.create({ data: row, select: { id: true } });
    return { id, flagged: false, reason: null, response: null, revokedGrantIds: [] } satisfies TUsageSignalResult;
  }
  const reason = judgement.reason ?? "flagged";
  return db
    .$transaction((tx) =>
      respondToFlag(tx, {
        row,
        reason,
        baseline: judgement.baseline,
        response: rules.response,
        resource,
        clientId: client.id,
        audit,
        now,
      }),
    )
    .then(announceAfter);
};

const toUsagePolicy = (policy: { id: string; usageResponse: string; usageCeilings: unknown }): TUsagePolicy => ({
  id: policy.id,
  usageResponse: USAGE_RESPONSES.find((value) => value === policy.usageResponse) ?? "alert",
  usageCeilings: Object.fromEntries(
    Object.entries(
      policy.usageCeilings && typeof policy.usageCeilings === "object" ? (policy.usageCeilings as object) : {},
    ).filter((entry): entry is [string, number] => typeof entry[1] === "number"),
  ),
});

type TRespondOptions = {
  row: {
    userId: string;
    resourceId: string;
    grantId: string | null;
    clientId: string;
    metric: string | null;
    perMinute: number | null;
    event: string | null;
    severity: string | null;
    createdAt: Date;
  } & Record<string, unknown>;
  reason: string;
  baseline: TBaseline | null;
  response: TUsageResponse;
  resource: { id: string; key: string; name: string };
  clientId: string;
  audit: TRecordUsageSignalOptions["audit"];
  now: Date;
};

/** The flagged report, its response, its alert and its one audit event, in one transaction. */
const respondToFlag = async (tx: Db, options: TRespondOptions): Promise<TUsageSignalResult> => {
  const { row, reason, response, resource, now } = options;
  const signal = await tx.usageSignal.create({
    data: {
      ...row,
      flagged: true,
      reason,
      response,
      ...(options.baseline ? { baseline: options.baseline } : {}),
    },
    select: { id: true },
  });
  const [person, client] = await Promise.all([
    tx.user.findUniqueOrThrow({ where: { id: row.userId }, select: { name: true } }),
    tx.serviceClient.findUniqueOrThrow({ where: { id: options.clientId }, select: { name: true } }),
  ]);
  const what = row.metric ?? row.event ?? "usage";
  const revokedGrantIds: string[] = [];
  let outcome = "security alerted";
  if (response === "revoke") {
    // Every grant of the person's on the resource that has not ended: locked, then re-read, so
    // two flagged reports at once revoke each grant once.
    const ids = await tx.$queryRaw<Array<{ id: string }>>`
      select id from "Grant"
      where "subjectId" = ${row.userId} and "resourceId" = ${row.resourceId}
        and "revokedAt" is null and "expiresAt" > ${now}::timestamp(3)
      order by id for update`;
    for (const { id } of ids) {
      const grant = await tx.grant.findUniqueOrThrow({ where: { id }, include: REVOCABLE_GRANT_INCLUDE });
      if (grant.revokedAt || grant.expiresAt <= now) continue;
      await revokeGrantInTransaction(tx, {
        grant,
        now,
        actor: { userId: options.clientId, name: client.name, actorType: "SERVICE" },
        reason: `usage signal: ${reason}`,
        details: { usageSignalId: signal.id },
        notice: `${client.name} reported ${what} on ${resource.name} far outside the usual: ${reason} The policy ends the grant at once.`,
        audit: options.audit,
      });
      revokedGrantIds.push(id);
    }
    outcome = revokedGrantIds.length > 0 ? "grant ended" : "no live grant to end";
  } else if (response === "extra_approval") {
    await tx.usageApprovalDemand.create({
      data: { userId: row.userId, resourceId: row.resourceId, signalId: signal.id, reason, createdAt: now },
    });
    outcome = "next request needs one more approval";
  }
  // A revocation has told the person and security already, with the reason (its notice).
  if (revokedGrantIds.length === 0)
    await notify(tx, {
      recipients: { userIds: [row.userId], security: true },
      kind: "usage.signal_flagged",
      title: `Usage signal: ${what} by ${person.name} on ${resource.key} (${outcome})`,
      body: `${client.name} reported: ${reason}`,
      link: row.grantId ? `/grants/${row.grantId}` : "/",
    });
  // Last: the chain's lock is held until commit (as in revokeGrantInTransaction).
  await appendAuditEvent(tx, {
    actorType: "SERVICE",
    actorId: options.clientId,
    action: "usage.signal_flagged",
    targetType: "user",
    targetId: row.userId,
    outcome: "ALLOWED",
    reason,
    details: {
      usageSignalId: signal.id,
      resource: resource.key,
      grantId: row.grantId,
      metric: row.metric,
      perMinute: row.perMinute,
      event: row.event,
      severity: row.severity,
      response,
      revokedGrantIds,
    },
    ...options.audit,
  });
  return { id: signal.id, flagged: true, reason, response, revokedGrantIds };
};
