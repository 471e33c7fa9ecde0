/**
 * Notifications: in-app rows, with e-mail and (security notices) chat copies sent by the
 * notify worker from the same row. Domain code calls `notify(tx, …)` inside its transaction.
 * The dev mail catcher (dev-smtp.ts) is not exported here: it pulls in a dev dependency.
 */
export {
  notificationJob,
  notify,
  notifyMany,
  ZNotify,
  emailJobId,
  chatJobId,
  type TNotify,
  type TNotifyResult,
} from "./notify";
export {
  sendNotification,
  closeMailTransports,
  ZSendNotification,
  type TSendNotification,
  type TSendResult,
  type TDeliverySettings,
} from "./send-notification";
export {
  listNotifications,
  countUnreadNotifications,
  markNotificationsRead,
  ZMarkNotificationsRead,
  type TNotificationRow,
} from "./list-notifications";
export { escapeHtml, escapeMrkdwn, renderEmail, renderChat } from "./render";
