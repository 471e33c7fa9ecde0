/**
 * Approvals in chat (ADR 0047): Slack messages (Block Kit, updated in place) and Teams cards
 * about waiting requests, signed decision links, and Slack's request signatures.
 */
export { queueChatSync, type TQueueChatSync } from "./queue-chat-sync";
export { syncRequestMessages, type TChatSettings } from "./sync-request-messages";
export { redeemDecisionLink, signDecisionLink, decisionLinkPath, DECISION_LINK_TTL_MS } from "./decision-link";
export { verifySlackSignature, slackSignature, SLACK_TIMESTAMP_TOLERANCE_SECONDS } from "./slack-signature";
export { renderSlackMessage, renderAdaptiveCard, dumpSlackBlocks, type TCardFacts } from "./approval-card";
