/**
 * Provisioning connectors (ADR 0034, docs/connectors.md): a grant's access made real in its
 * resource's targets at the start and taken away at the end, with a sweeper and drift checks.
 */
export { attachConnector } from "./attach-connector";
export { closePostgresTargets as closeConnectorTargets } from "./connectors/postgres";
export { detectDrift, type TDriftResult } from "./detect-drift";
export { disableConnector } from "./disable-connector";
export { startEndAccessTimer, type TEndAccessResult } from "./end-access-timer";
export { getGrantProvisioning, type TGrantProvisioningView } from "./get-grant-provisioning";
export { issueGrantCredential, type TIssueGrantCredential, ZIssueGrantCredential } from "./issue-grant-credential";
export { listConnectors, type TConnectorSummary } from "./list-connectors";
export { listDriftFindings, type TDriftFinding } from "./list-drift-findings";
export { queueGrantProvisioning } from "./queue-grant-provisioning";
export { connectorKinds, connectorOf } from "./registry";
export { revealGrantCredential, type TRevealGrantCredential, ZRevealGrantCredential } from "./reveal-grant-credential";
export { ProvisioningNotDueError, runProvisioning, type TRunProvisioningResult } from "./run-provisioning";
export { type TAttachConnector, type TConnectorRef, ZAttachConnector, ZConnectorRef } from "./schemas";
export { startProvisioningSweeper, sweepEndedGrants, type TSweepResult } from "./sweep-ended-grants";
export { testConnector } from "./test-connector";
export type * from "./types";
