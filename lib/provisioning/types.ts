/**
 * The connector interface (ADR 0034). A connector turns a grant into real access in one kind
 * of target (a PostgreSQL role, an SSH certificate, a webhook receiver's record) and back.
 * The framework (lib/provisioning) owns everything around it: which grants reach it and when
 * (the outbox-driven lifecycle, the sweeper), retries, the grant's timeline, the one-time
 * credential's storage, drift findings. A connector owns only the talk with its target.
 *
 * Rules every connector keeps (the conformance suite, lib/provisioning/conformance, tests them):
 * - Every operation is idempotent and safe to repeat after a crash at any point: the framework
 *   may call `provision` again for a grant the target already holds (a retry after the target
 *   changed but the portal's database write was lost), and `deprovision` for one it never held.
 * - `provision` converges: it makes the target hold exactly what the grant says now, ending at
 *   `grant.expiresAt` where the target can express an end (an extension calls it again with
 *   the new end; access must not lapse in between).
 * - `deprovision` removes the access and ends live sessions where the target can, and reports
 *   how many it ended.
 * - Secrets (the admin credential, a one-time credential) never reach a log line, an error
 *   message or an audit detail.
 * - Every connection to a target goes through `openTarget` (lib/provisioning/outbound.ts), the
 *   one place outbound addresses are vetted.
 */
import type { z } from "zod";

/** A connector's kind, as stored on the resource's connector row: "postgres", "webhook", "ssh". */
export type TConnectorKind = string;

/** What a connector knows about the grant it acts on: enough to act, nothing more. */
export type TProvisioningGrant = {
  grantId: string;
  /**
   * `subjectId` is the person's stable identity for other systems (`<issuer>#<sub>`); `email`
   * is set only when the IdP vouched for it, so never key access on it.
   */
  subject: { id: string; subjectId: string; email: string | null; name: string };
  resource: { id: string; key: string };
  /** The resource's permissions this grant holds, e.g. ["read"]. */
  permissions: string[];
  /** What those permissions mean in the target, through the connector's mapping (deduplicated). */
  targets: string[];
  startsAt: Date;
  /** The grant's current end (moved by an extension). */
  expiresAt: Date;
  revokedAt: Date | null;
  /**
   * What the target knows this grant by (e.g. the role name), when the portal recorded a
   * provision; null when it never did (first provision, or a crash before the record).
   */
  externalRef: string | null;
  /** Connector-specific state the portal recorded for this grant (e.g. certificate serials). */
  state: Record<string, unknown>;
};

/**
 * Shown once to the grantee only (on the grant page), then erased: the portal keeps it sealed
 * until that first view and no readable copy after.
 */
export type TOneTimeCredential = {
  /** e.g. "PostgreSQL login". */
  title: string;
  /** In display order; `secret` fields are masked until revealed and never logged. */
  fields: Array<{ label: string; value: string; secret?: boolean }>;
};

export type TProvisionResult = {
  /** The target's name for this grant's access (a role name, a certificate's key id). */
  externalRef: string;
  /** "created" the first time; "updated" when the target already held it (a retry, an extension). */
  outcome: "created" | "updated";
  /** For the grant's timeline, e.g. "PostgreSQL role jit_alice_1a2b created". No secrets. */
  summary: string;
  /** A credential for the grantee, when this call minted one (null or absent otherwise). */
  credential?: TOneTimeCredential | null;
  /** Replaces the connector state recorded for the grant, when present. */
  state?: Record<string, unknown>;
};

export type TDeprovisionResult = {
  /** "removed" when the target held access for the grant; "absent" when there was nothing (a no-op). */
  outcome: "removed" | "absent";
  /** Live sessions ended ("sessions terminated: 2"); null when the target has no notion of one. */
  sessionsTerminated: number | null;
  summary: string;
  state?: Record<string, unknown>;
};

/**
 * One piece of access the target holds now that the connector manages or could manage:
 * `principal` is who holds it (a login role; matched against the grants' `externalRef`), and
 * `target` what it is (the mapped role), or null for the principal's mere existence.
 */
export type TInspectEntry = { principal: string; target: string | null; description: string };

export type TTestResult = { ok: true; detail: string } | { ok: false; error: string };

/**
 * Connector-specific credential issued on demand after activation, from the grant page (the
 * SSH connector: the engineer posts a public key and gets a certificate). The framework checks
 * that the actor is the grant's subject and the grant is live, parses `input` with
 * `issueCredentialInput`, and records the returned state.
 */
export type TIssueCredentialResult = {
  credential: TOneTimeCredential;
  summary: string;
  state?: Record<string, unknown>;
};

/** What every operation receives: the connector row as the framework unsealed it. */
export type TConnectorContext<TSettings> = {
  connectorId: string;
  resourceKey: string;
  settings: TSettings;
  /** The admin credential, unsealed in memory for this call; "" when the kind needs none. */
  credential: string;
  /** The resource's permission -> target names (e.g. { read: ["app_readonly"] }). */
  mapping: Record<string, string[]>;
  /** Aborted when the worker shuts down or the operation times out. */
  signal?: AbortSignal;
};

export type TConnector<TSettings = unknown, TIssueInput = unknown> = {
  kind: TConnectorKind;
  /** Human name, e.g. "PostgreSQL". */
  label: string;
  /** Non-secret settings, validated on attach, on import and before every call. */
  settingsSchema: z.ZodType<TSettings>;
  /** What the admin credential is (e.g. "Admin connection password"); null when the kind needs none. */
  credentialLabel: string | null;
  provision: (context: TConnectorContext<TSettings>, grant: TProvisioningGrant) => Promise<TProvisionResult>;
  deprovision: (context: TConnectorContext<TSettings>, grant: TProvisioningGrant) => Promise<TDeprovisionResult>;
  /**
   * Ends access for many grants at their end instant, at once and fast: new logins refused and
   * live sessions ended, nothing else. The worker's end-of-access timer calls it at each end
   * (ADR 0060) so that a burst of ends, or a Redis that lost the jobs, never delays the moment
   * access stops; `deprovision` still follows for the clean-up and must still work after it.
   * Idempotent; a grant the target does not hold is skipped. Returns the sessions ended per
   * grant id. Absent where the target ends access by itself (an SSH certificate's validity).
   */
  endAccess?: (context: TConnectorContext<TSettings>, grants: TProvisioningGrant[]) => Promise<Map<string, number>>;
  inspect: (context: TConnectorContext<TSettings>) => Promise<TInspectEntry[]>;
  test: (context: TConnectorContext<TSettings>) => Promise<TTestResult>;
  /**
   * Removes one drift finding's access (the per-resource auto-removal); absent when the
   * connector cannot do it safely.
   */
  removeDrift?: (context: TConnectorContext<TSettings>, entry: TInspectEntry) => Promise<void>;
  /** On-demand credentials after activation (see TIssueCredentialResult); absent for most kinds. */
  issueCredentialInput?: z.ZodType<TIssueInput>;
  issueCredential?: (
    context: TConnectorContext<TSettings>,
    grant: TProvisioningGrant,
    input: TIssueInput,
  ) => Promise<TIssueCredentialResult>;
  /**
   * For kinds that mint their own admin secret when attached (an SSH certificate authority's
   * key) instead of taking one from the admin: returns the secret to seal.
   */
  generateCredential?: (settings: TSettings) => Promise<string>;
  /** Non-secret facts for the admin page (e.g. the CA public key for TrustedUserCAKeys). */
  describe?: (context: TConnectorContext<TSettings>) => Array<{ label: string; value: string }>;
};

/** A connector of any settings type, as the registry holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry checks its own settings with its schema
export type TAnyConnector = TConnector<any, any>;
