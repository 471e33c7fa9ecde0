/**
 * The engineers' API (/api/v1/me/...): the portal's own use cases for the person a person
 * access token names (lib/devices, docs/decisions/0044-person-tokens-device-grant.md). Each
 * route calls the lib/ function the portal's server action calls, with the person as actor, so
 * eligibility, rate limits, risk signals and audit are the UI's. Only the caller's own requests
 * and grants exist here: anyone else's id is answered as a missing one (404). There is no
 * route that decides a request: decisions stay passkey-confirmed in the browser.
 */
import type { IncomingMessage } from "node:http";
import { z } from "zod";
import {
  acknowledgeRequest,
  cancelRequest,
  getRequestDetail,
  listMyAccess,
  listRequestable,
  requestAccess,
  requestExtension,
  revokeGrant,
} from "../lib/access";
import type { TUserActor } from "../lib/authz";
import type { TAuditContext } from "../lib/authz/enforce";
import { getConfig } from "../lib/config";
import { db } from "../lib/db";
import { resolvePersonActor, verifyPersonToken, PersonTokenError } from "../lib/devices";
import { AppError } from "../lib/errors";
import { getGrantProvisioning, issueGrantCredential, revealGrantCredential } from "../lib/provisioning";
import type { TKeyRing } from "../lib/services/signing-keys";
import {
  ZMeCreateRequest,
  ZMeCredential as ZCredential,
  ZMeEnd as ZEnd,
  ZMeExtend as ZExtend,
} from "../lib/devices/me-schemas";

/** The /me routes as templates; `{id}` is one path segment. */
export const ME_ROUTES = {
  "/api/v1/me": ["GET"],
  "/api/v1/me/resources": ["GET"],
  "/api/v1/me/requests": ["POST"],
  "/api/v1/me/requests/{id}": ["GET"],
  "/api/v1/me/requests/{id}/cancel": ["POST"],
  "/api/v1/me/requests/{id}/acknowledge": ["POST"],
  "/api/v1/me/grants": ["GET"],
  "/api/v1/me/grants/{id}/end": ["POST"],
  "/api/v1/me/grants/{id}/extend": ["POST"],
  "/api/v1/me/grants/{id}/credential": ["POST"],
} as const satisfies Record<string, readonly string[]>;
export type TMeRoute = keyof typeof ME_ROUTES;

const ROUTE_PATTERNS = (Object.keys(ME_ROUTES) as TMeRoute[]).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace("{id}", "([^/]{1,64})")}$`),
}));

/** The template a path matches and its id, or null. */
export const matchMeRoute = (path: string): { route: TMeRoute; id: string | null } | null => {
  for (const { template, pattern } of ROUTE_PATTERNS) {
    const match = pattern.exec(path);
    if (match) return { route: template, id: match[1] === undefined ? null : decodeURIComponent(match[1]) };
  }
  return null;
};

/** The longest a GET of a request waits for it to change (?wait=seconds). */
export const MAX_WAIT_SECONDS = 25;

export type TMeHttpError = { status: number; error: string; message: string; headers?: Record<string, string> };

export class MeError extends Error {
  constructor(readonly answer: TMeHttpError) {
    super(answer.message);
  }
}

const invalidToken = (message: string) =>
  new MeError({
    status: 401,
    error: "invalid_token",
    message,
    headers: { "www-authenticate": `Bearer realm="jit-access-person", error="invalid_token"` },
  });

/** A person token for a live device of an active person, or 401. A service token fails on its audience. */
export const authenticatePerson = async (req: IncomingMessage, keyRing: TKeyRing, now: number): Promise<TUserActor> => {
  const header = req.headers.authorization;
  if (!header || header.length < 8 || header.slice(0, 7).toLowerCase() !== "bearer ")
    throw invalidToken("An Authorization: Bearer person token is required (run `jit login`).");
  let token;
  try {
    token = await verifyPersonToken(header.slice(7).trim(), keyRing, now);
  } catch (error) {
    throw invalidToken(error instanceof PersonTokenError ? `Invalid token: ${error.message}.` : "Invalid token.");
  }
  const actor = await resolvePersonActor(token);
  if (!actor) throw invalidToken("This device was signed out, or the person deactivated.");
  return actor;
};

const parseJson = (raw: string): unknown => {
  if (raw.trim() === "") return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new AppError("INVALID_INPUT", "The body must be JSON.");
  }
};

const invalid = (error: z.ZodError) => {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) fields[issue.path.join(".") || "body"] ??= issue.message;
  return new AppError(
    "INVALID_INPUT",
    Object.entries(fields)
      .map(([field, message]) => `${field}: ${message}`)
      .join("; "),
    fields,
  );
};

const requestLink = (id: string) => new URL(`/requests/${id}`, getConfig().appUrl).toString();

const NO_SUCH_REQUEST = "No such request.";

/** One of the caller's own requests as the CLI reads it; anyone else's is a missing one. */
const myRequest = async (actor: TUserActor, id: string) => {
  let detail;
  try {
    detail = await getRequestDetail({ actor, requestId: id });
  } catch (error) {
    if (error instanceof AppError && (error.code === "NOT_FOUND" || error.code === "FORBIDDEN"))
      throw new AppError("NOT_FOUND", NO_SUCH_REQUEST);
    throw error;
  }
  // An approver or reviewer may read others' requests in the portal; /me is only one's own,
  // and those one filed for a teammate (ADR 0057).
  if (!detail.viewer.isRequester && detail.filedBy?.id !== actor.userId)
    throw new AppError("NOT_FOUND", NO_SUCH_REQUEST);
  return {
    id: detail.id,
    status: detail.status,
    link: requestLink(detail.id),
    resource: detail.resource,
    permissions: detail.permissions,
    durationMinutes: detail.durationMinutes,
    justification: detail.justification,
    ticket: detail.ticket,
    requestedStartAt: detail.requestedStartAt,
    createdAt: detail.createdAt,
    decideBy: detail.decideBy,
    /** The person it is for, and the teammate who filed it (null: filed by that person). */
    for: { id: detail.requester.id, name: detail.requester.name },
    filedBy: detail.filedBy,
    acknowledgedAt: detail.acknowledgedAt,
    awaitingAcknowledgment: detail.awaitingAcknowledgment,
    approvals: detail.approvals,
    approvalsRequired: detail.policy.approvalsRequired,
    decisions: detail.decisions.map(({ approver, decision, comment, at }) => ({ approver, decision, comment, at })),
    grant: detail.grant
      ? {
          id: detail.grant.id,
          status: detail.grant.status,
          startsAt: detail.grant.startsAt,
          expiresAt: detail.grant.expiresAt,
          ending: detail.grant.ending,
        }
      : null,
  };
};
export type TMeRequest = Awaited<ReturnType<typeof myRequest>>;

/** Settled for the CLI's --wait: decided, expired or cancelled, and a grant that is no longer scheduled. */
const settled = (request: TMeRequest): boolean =>
  request.status !== "PENDING" &&
  !(request.status === "APPROVED" && (!request.grant || request.grant.status === "scheduled"));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A PostgreSQL credential's parts, for the CLI's PG* environment (never a command line). */
const connectionOf = (fields: Array<{ label: string; value: string }>) => {
  const psql = fields.find((field) => field.label === "psql")?.value;
  const match = psql ? /"(postgres(?:ql)?:\/\/[^"]+)"/.exec(psql) : null;
  if (!match?.[1]) return null;
  const url = new URL(match[1]);
  return {
    kind: "postgresql" as const,
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: Number(url.port || "5432"),
    database: decodeURIComponent(url.pathname.slice(1)),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
};

export type TMeContext = {
  actor: TUserActor;
  audit: TAuditContext;
  url: URL;
  readBody: () => Promise<string>;
  signal: AbortSignal;
};

/** Answers one /me route: the status and body to send. */
export const answerMe = async (
  route: TMeRoute,
  id: string | null,
  { actor, audit, url, readBody, signal }: TMeContext,
): Promise<{ status: number; body: unknown }> => {
  const need = (): string => {
    if (!id) throw new AppError("NOT_FOUND", "Not found.");
    return id;
  };
  switch (route) {
    case "/api/v1/me":
      return {
        status: 200,
        body: { id: actor.userId, name: actor.name, email: actor.email, groups: actor.groups, device: actor.sessionId },
      };
    case "/api/v1/me/resources":
      return { status: 200, body: { resources: await listRequestable({ actor }) } };
    case "/api/v1/me/requests": {
      const parsed = ZMeCreateRequest.safeParse(parseJson(await readBody()));
      if (!parsed.success) throw invalid(parsed.error);
      const input = parsed.data;
      const [resource] = await listRequestable({ actor, resourceKey: input.resource });
      if (!resource) throw new AppError("NOT_FOUND", `No resource ${input.resource} you may request.`);
      const fitting = resource.policies.filter(
        (policy) =>
          (!input.policyId || policy.id === input.policyId) &&
          input.permissions.every((permission) => policy.permissions.includes(permission)),
      );
      if (fitting.length === 0)
        throw new AppError(
          "INVALID_INPUT",
          `No policy of yours on ${input.resource} allows ${input.permissions.join(", ")}.`,
          {
            permissions: "Not requestable together under one policy.",
          },
        );
      if (fitting.length > 1)
        throw new AppError(
          "INVALID_INPUT",
          `Several policies allow this; name one with policyId: ${fitting.map((policy) => `${policy.id} (${policy.name})`).join(", ")}.`,
          { policyId: "Choose a policy." },
        );
      const result = await requestAccess({
        actor,
        input: {
          policyId: (fitting[0] as { id: string }).id,
          permissions: input.permissions,
          durationMinutes: input.durationMinutes,
          justification: input.justification,
          ticket: input.ticket,
          startAt: input.startAt,
          onBehalfOfEmail: input.onBehalfOfEmail,
        },
        context: audit,
      });
      return { status: 201, body: { ...result, link: requestLink(result.requestId) } };
    }
    case "/api/v1/me/requests/{id}": {
      const requestId = need();
      const waitRaw = url.searchParams.get("wait");
      const wait = waitRaw === null ? 0 : Number(waitRaw);
      if (!Number.isInteger(wait) || wait < 0 || wait > MAX_WAIT_SECONDS)
        throw new AppError("INVALID_INPUT", `wait: whole seconds from 0 to ${MAX_WAIT_SECONDS}.`, { wait: "Invalid." });
      // Long polling: the database once a second until the request settles or the wait ends.
      const until = Date.now() + wait * 1000;
      let request = await myRequest(actor, requestId);
      while (!settled(request) && Date.now() < until && !signal.aborted) {
        await sleep(Math.min(1000, until - Date.now()));
        request = await myRequest(actor, requestId);
      }
      return { status: 200, body: request };
    }
    case "/api/v1/me/requests/{id}/cancel": {
      const requestId = need();
      await myRequest(actor, requestId);
      await cancelRequest({ actor, requestId, context: audit });
      return { status: 200, body: await myRequest(actor, requestId) };
    }
    case "/api/v1/me/requests/{id}/acknowledge": {
      const requestId = need();
      await myRequest(actor, requestId);
      await acknowledgeRequest({ actor, requestId, context: audit });
      return { status: 200, body: await myRequest(actor, requestId) };
    }
    case "/api/v1/me/grants": {
      const mine = await listMyAccess({ actor });
      return {
        status: 200,
        body: {
          active: mine.active,
          scheduled: mine.scheduled,
          past: mine.past.slice(0, 10),
          pending: mine.pending.map((request) => ({ ...request, link: requestLink(request.id) })),
          toAcknowledge: mine.toAcknowledge.map((request) => ({ ...request, link: requestLink(request.id) })),
        },
      };
    }
    case "/api/v1/me/grants/{id}/end": {
      const parsed = ZEnd.safeParse(parseJson(await readBody()));
      if (!parsed.success) throw invalid(parsed.error);
      const grantId = need();
      await assertOwnGrant(actor, grantId);
      await revokeGrant({ actor, input: { grantId, reason: parsed.data.reason }, context: audit });
      return { status: 200, body: { id: grantId, status: "revoked" } };
    }
    case "/api/v1/me/grants/{id}/extend": {
      const parsed = ZExtend.safeParse(parseJson(await readBody()));
      if (!parsed.success) throw invalid(parsed.error);
      const result = await requestExtension({
        actor,
        input: { grantId: need(), minutes: parsed.data.minutes, justification: parsed.data.justification },
        context: audit,
      });
      return { status: 201, body: { ...result, link: requestLink(result.requestId) } };
    }
    case "/api/v1/me/grants/{id}/credential": {
      const parsed = ZCredential.safeParse(parseJson(await readBody()));
      if (!parsed.success) throw invalid(parsed.error);
      const grantId = need();
      const view = await getGrantProvisioning({ actor, grantId, context: audit });
      // Reviewers and administrators may read others' grants in the portal; /me is only one's own.
      if (!view.own) throw new AppError("NOT_FOUND", "No such grant.");
      const { publicKey, connectorId } = parsed.data;
      if (publicKey !== undefined) {
        const connector = view.onDemand.find((candidate) => !connectorId || candidate.id === connectorId);
        if (!connector) throw new AppError("NOT_FOUND", "No connector of this grant issues certificates.");
        const credential = await issueGrantCredential({
          actor,
          input: { grantId, connectorId: connector.id, input: { publicKey } },
          context: audit,
        });
        return { status: 200, body: { connectorId: connector.id, kind: connector.kind, ...credential } };
      }
      const step =
        view.steps.find((candidate) =>
          connectorId ? candidate.connectorId === connectorId : candidate.credentialWaiting,
        ) ?? view.steps.find((candidate) => !candidate.provisionedAt && !candidate.deprovisionedAt);
      // A connector the worker has not reached yet has no step: the grant is still being provisioned.
      const now = new Date();
      const unreached = await db.connector.count({
        where: {
          resource: { key: view.resource.key },
          disabledAt: null,
          id: { notIn: [...view.steps.map((known) => known.connectorId), ...view.onDemand.map((known) => known.id)] },
        },
      });
      const live = !view.revokedAt && view.expiresAt > now && view.startsAt <= now;
      if (live && ((!step && unreached > 0) || (step && !step.credentialWaiting && !step.provisionedAt)))
        throw new AppError(
          "CONFLICT",
          "The grant is still being provisioned; retry in a moment.",
          {},
          { retryAfterSeconds: 1 },
        );
      if (!step) throw new AppError("CONFLICT", "No credential waits for this grant (each is shown once).");
      const credential = await revealGrantCredential({
        actor,
        input: { grantId, connectorId: step.connectorId },
        context: audit,
      });
      return {
        status: 200,
        body: {
          connectorId: step.connectorId,
          kind: step.kind,
          ...credential,
          connection: connectionOf(credential.fields),
        },
      };
    }
  }
};

/** The end route's own-grant rule: someone else's grant is a missing one here, whatever the caller's roles. */
const assertOwnGrant = async (actor: TUserActor, grantId: string): Promise<void> => {
  const grant = await db.grant.findUnique({ where: { id: grantId }, select: { subjectId: true } });
  if (!grant || grant.subjectId !== actor.userId) throw new AppError("NOT_FOUND", "No such grant.");
};
