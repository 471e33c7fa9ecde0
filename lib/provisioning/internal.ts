/**
 * What the use cases of this folder share: turning a connector row into the context its kind
 * receives (settings parsed, credential unsealed in memory only), and a grant row into the
 * grant a connector sees. Not exported from the folder.
 */
import { subjectIdOf } from "../auth/subject-id";
import { z } from "zod";
import type { Prisma } from "../db";
import { unseal } from "../security/sealed";
import { connectorOf } from "./registry";
import type { TAnyConnector, TConnectorContext, TProvisioningGrant } from "./types";

export const SEAL = { purpose: "connector-credentials" } as const;

/** Permission -> target names; each target a plain identifier (it may become a role name). */
export const ZConnectorMapping = z.record(
  z.string().min(1).max(64),
  z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,62}$/, "a target name: letters, digits, _ . -")).max(20),
);
export type TConnectorMapping = z.output<typeof ZConnectorMapping>;

export const CONNECTOR_ROW_SELECT = {
  id: true,
  kind: true,
  name: true,
  settings: true,
  mapping: true,
  credentialSealed: true,
  disabledAt: true,
  autoRemoveDrift: true,
  resource: { select: { id: true, key: true } },
} as const;
export type TConnectorRow = Prisma.ConnectorGetPayload<{ select: typeof CONNECTOR_ROW_SELECT }>;

export class UnknownConnectorKindError extends Error {
  constructor(kind: string) {
    super(`unknown connector kind "${kind}"`);
    this.name = "UnknownConnectorKindError";
  }
}

export type TLoadedConnector = { connector: TAnyConnector; context: TConnectorContext<unknown> };

/** The connector's kind and its context; throws when the kind is unknown or the settings no longer parse. */
export const loadConnector = (row: TConnectorRow, signal?: AbortSignal): TLoadedConnector => {
  const connector = connectorOf(row.kind);
  if (!connector) throw new UnknownConnectorKindError(row.kind);
  return {
    connector,
    context: {
      connectorId: row.id,
      resourceKey: row.resource.key,
      settings: connector.settingsSchema.parse(row.settings),
      credential: row.credentialSealed ? unseal(row.credentialSealed, { ...SEAL, label: "connector credential" }) : "",
      mapping: ZConnectorMapping.parse(row.mapping),
      ...(signal ? { signal } : {}),
    },
  };
};

export const GRANT_SELECT = {
  id: true,
  subjectId: true,
  permissions: true,
  startsAt: true,
  expiresAt: true,
  revokedAt: true,
  subject: { select: { id: true, email: true, name: true, issuer: true, subject: true } },
  resource: { select: { id: true, key: true, name: true } },
} as const;
export type TGrantRow = Prisma.GrantGetPayload<{ select: typeof GRANT_SELECT }>;

/** The targets a grant's permissions map to, each once, in mapping order. */
export const targetsOf = (permissions: string[], mapping: TConnectorMapping): string[] => [
  ...new Set(
    permissions.flatMap((permission) => (Object.hasOwn(mapping, permission) ? (mapping[permission] ?? []) : [])),
  ),
];

export const provisioningGrantOf = (
  grant: TGrantRow,
  mapping: TConnectorMapping,
  state: { externalRef: string | null; state: unknown } | null,
): TProvisioningGrant => ({
  grantId: grant.id,
  subject: {
    id: grant.subject.id,
    subjectId: subjectIdOf(grant.subject),
    email: grant.subject.email,
    name: grant.subject.name,
  },
  resource: { id: grant.resource.id, key: grant.resource.key },
  permissions: grant.permissions,
  targets: targetsOf(grant.permissions, mapping),
  startsAt: grant.startsAt,
  expiresAt: grant.expiresAt,
  revokedAt: grant.revokedAt,
  externalRef: state?.externalRef ?? null,
  state:
    state && typeof state.state === "object" && state.state !== null ? (state.state as Record<string, unknown>) : {},
});

/** When the grant's access ends (or ended): its revocation or its expiry, whichever first. */
export const endOf = (grant: { expiresAt: Date; revokedAt: Date | null }): Date =>
  grant.revokedAt && grant.revokedAt < grant.expiresAt ? grant.revokedAt : grant.expiresAt;

export const isLive = (grant: { startsAt: Date; expiresAt: Date; revokedAt: Date | null }, now: Date): boolean =>
  grant.revokedAt === null && grant.startsAt <= now && now < grant.expiresAt;

/** An error's message for the grant's timeline and the job's record, cut to size. */
export const describeFailure = (error: unknown): string => {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  return (typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message).slice(0, 500);
};
