/**
 * The connector kinds the portal knows, by kind. Adding a kind: write the module under
 * lib/provisioning/connectors/, pass the conformance suite against its real target
 * (docs/connectors.md), and add one line here.
 */
import { postgresConnector } from "./connectors/postgres";
import { webhookConnector } from "./connectors/webhook";
import { sshConnector } from "./ssh/connector";
import type { TAnyConnector, TConnectorKind } from "./types";

const CONNECTORS: Record<TConnectorKind, TAnyConnector> = {
  [postgresConnector.kind]: postgresConnector,
  [webhookConnector.kind]: webhookConnector,
  [sshConnector.kind]: sshConnector,
};

export const connectorKinds = (): TConnectorKind[] => Object.keys(CONNECTORS).sort();

/** The connector of a kind, or null for a kind this build does not know (e.g. a row from a newer version). */
export const connectorOf = (kind: TConnectorKind): TAnyConnector | null =>
  Object.hasOwn(CONNECTORS, kind) ? (CONNECTORS[kind] ?? null) : null;
