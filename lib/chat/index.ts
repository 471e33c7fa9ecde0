/**
 * Approvals in chat (ADR 0047): Slack messages (Block Kit, updated in place) and Teams cards
 * about waiting requests, signed decision links, and Slack's request signatures.
 */
export { queueChatSync, type TQueueChatSync } from "./queue-chat-sync";
export { syncRequestMessages, type TChatSettings } from "./sync-request-messages";
export { redeemDecisionLink, signDecisionLink, decisionLinkPath, DECISION_LINK_TTL_MS } from "./decision-link";
export { verifySlackSignature, slackSignature, SLACK_TIMESTAMP_TOLERANCE_SECONDS } from "./slack-signature";
export { renderSlackMessage, renderAdaptiveCard, dumpSlackBlocks, type TCardFacts } from "./approval-card";
export { startSlackLink, SLACK_LINK_CODE_TTL_MS } from "./start-slack-link";
export { confirmSlackLink } from "./confirm-slack-link";
export { getMySlackLink, unlinkSlack, type TMySlackLink } from "./my-slack-link";
