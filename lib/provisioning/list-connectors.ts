import type { TUserActor } from "../authz";
import { assertCan, type TAuditContext } from "../authz/enforce";
import { db } from "../db";
import { CONNECTOR_ROW_SELECT, loadConnector } from "./internal";
import { connectorKinds, connectorOf } from "./registry";

type TListConnectorsOptions = { actor: TUserActor; resourceKey: string; context?: TAuditContext };

/** Administrators: a resource's connectors as the admin page shows them; never the credential. */
export const listConnectors = async ({ actor, resourceKey, context }: TListConnectorsOptions) => {
  await assertCan(actor, "catalog.manage", undefined, context);
  const rows = await db.connector.findMany({
    where: { resource: { key: resourceKey } },
    orderBy: { createdAt: "asc" },
    select: {
      ...CONNECTOR_ROW_SELECT,
      lastTestAt: true,
      lastTestOk: true,
      lastTestDetail: true,
      createdAt: true,
      _count: { select: { findings: { where: { resolvedAt: null } } } },
    },
  });
  return {
    kinds: connectorKinds().map((kind) => ({ kind, label: connectorOf(kind)?.label ?? kind })),
    connectors: rows.map((row) => {
      const connector = connectorOf(row.kind);
      let facts: Array<{ label: string; value: string }> = [];
      try {
        facts = connector?.describe ? connector.describe(loadConnector(row).context) : [];
      } catch {
        facts = [];
      }
      return {
        id: row.id,
        kind: row.kind,
        label: connector?.label ?? row.kind,
        name: row.name,
        settings: row.settings as Record<string, unknown>,
        mapping: row.mapping as Record<string, string[]>,
        hasCredential: row.credentialSealed !== null,
        autoRemoveDrift: row.autoRemoveDrift,
        disabledAt: row.disabledAt,
        lastTestAt: row.lastTestAt,
        lastTestOk: row.lastTestOk,
        lastTestDetail: row.lastTestDetail,
        openFindings: row._count.findings,
        facts,
      };
    }),
  };
};
export type TConnectorSummary = Awaited<ReturnType<typeof listConnectors>>["connectors"][number];
