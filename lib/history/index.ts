import type { TUserActor } from "../authz";
import { appendAuditEvent } from "../audit";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { AppError } from "../errors";
import { csvHeader, csvLine, jsonLine, type TExportFormat } from "./export-format";
import { queryGrantHistory, type TGrantHistoryRow } from "./grant-history";
import { filterQuery, ZHistoryFilter, type THistoryFilter } from "./schemas";

export { EXPORT_FORMATS, type TExportFormat } from "./export-format";
export { type TGrantHistoryRow } from "./grant-history";
export { filterInputFrom, filterQuery, GRANT_STATUSES, type THistoryFilter } from "./schemas";
export { getHistoryCharts, type THistoryCharts } from "./charts";
export { getHistoryPerson, listHolders, type THolder } from "./holders";

export const HISTORY_PAGE_SIZE = 50;
const EXPORT_BATCH_SIZE = 1_000;

/** Parses filters from a query string; a bad one is a 400 naming the field. */
export const parseHistoryFilter = (input: Record<string, string>): THistoryFilter => {
  const parsed = ZHistoryFilter.safeParse(input);
  if (parsed.success) return parsed.data;
  const fields = Object.fromEntries(
    parsed.error.issues.map((issue) => [issue.path.join(".") || "filter", issue.message]),
  );
  throw new AppError(
    "INVALID_INPUT",
    `Invalid filter: ${Object.entries(fields)
      .map(([k, v]) => `${k}: ${v}`)
      .join("; ")}`,
    fields,
  );
};

/** Security reviewers and administrators: one keyset page of the grant history. */
export const listGrantHistory = async (options: {
  actor: TUserActor;
  input: Record<string, string>;
  context?: TAuditContext;
  now?: Date;
}) => {
  await assertCan(options.actor, "audit.read", undefined, options.context);
  const filter = parseHistoryFilter(options.input);
  const page = await queryGrantHistory({ filter, limit: HISTORY_PAGE_SIZE, now: options.now });
  return { filter, ...page };
};

/**
 * Security reviewers and administrators: the whole filtered history as CSV or JSON Lines,
 * produced batch by batch (keyset, 1,000 rows at a time) while the caller streams it, so
 * memory stays flat at any size. The export is audited (with its filters) before the first
 * byte leaves, so even an aborted download is on record.
 */
export const exportGrantHistory = async (options: {
  actor: TUserActor;
  input: Record<string, string>;
  format: string;
  context?: TAuditContext;
  now?: Date;
}): Promise<{ filter: THistoryFilter; format: TExportFormat; lines: AsyncGenerator<string> }> => {
  const { actor, context = {} } = options;
  await assertCan(actor, "audit.read", undefined, context);
  if (options.format !== "csv" && options.format !== "jsonl")
    throw new AppError("INVALID_INPUT", "format must be csv or jsonl", { format: "csv or jsonl" });
  const format = options.format;
  // An export is the whole filtered view, whatever page the person was looking at.
  const filter: THistoryFilter = { ...parseHistoryFilter(options.input), after: undefined };
  const now = options.now ?? new Date();
  await db.$transaction((tx) =>
    appendAuditEvent(tx, {
      actorType: "USER",
      actorId: actor.userId,
      action: "history.export",
      targetType: "grant_history",
      outcome: "ALLOWED",
      details: { format, filter: filterQuery(filter), asOf: now.toISOString() },
      ip: context.ip ?? null,
      userAgent: context.userAgent ?? null,
      requestId: context.requestId ?? null,
    }),
  );
  const render = format === "csv" ? csvLine : jsonLine;
  async function* lines(): AsyncGenerator<string> {
    if (format === "csv") yield csvHeader();
    let after: string | undefined;
    for (;;) {
      const page: { rows: TGrantHistoryRow[]; next: string | null } = await queryGrantHistory({
        filter: { ...filter, after },
        limit: EXPORT_BATCH_SIZE,
        now,
      });
      yield page.rows.map(render).join("");
      if (!page.next) return;
      after = page.next;
    }
  }
  return { filter, format, lines: lines() };
};

/** The choices the history filter form offers: resources and environments. */
export const listHistoryFacets = async (options: { actor: TUserActor; context?: TAuditContext }) => {
  await assertCan(options.actor, "audit.read", undefined, options.context);
  const resources = await db.resource.findMany({
    select: { key: true, name: true, environment: true },
    orderBy: { key: "asc" },
  });
  return { resources, environments: [...new Set(resources.map((resource) => resource.environment))].sort() };
};
