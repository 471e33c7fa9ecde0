import type { Metadata } from "next";
import Link from "next/link";
import { Badge, Empty, formatDateTime, PageHeader, Section } from "@/app/components/ui";
import { requirePageActor } from "@/lib/auth/current-actor";
import { getMySlackLink } from "@/lib/chat";
import { getConfig } from "@/lib/config";
import { listNotifications } from "@/lib/notify";
import { MarkAllReadButton } from "./mark-all-read-button";
import { SlackLinkForm } from "./slack-link-form";

export const metadata: Metadata = { title: "Notifications" };

const NotificationsPage = async () => {
  const actor = await requirePageActor("/notifications");
  const { notifications, unread } = await listNotifications({ actor });
  const slack = getConfig().slack ? await getMySlackLink({ actor }) : null;
  return (
    <>
      <PageHeader title="Notifications" description={unread === 0 ? "Nothing unread." : `${unread} unread.`} />
      <MarkAllReadButton disabled={unread === 0} />
      {notifications.length === 0 ? (
        <Empty>No notifications yet.</Empty>
      ) : (
        <ul
          className="divide-y divide-slate-100 rounded-md border border-slate-200 bg-white"
          aria-label="Notifications, newest first"
        >
          {notifications.map((notification) => (
            <li
              key={notification.id}
              className={`px-4 py-3 ${notification.readAt ? "" : "bg-blue-50"}`}
              data-unread={notification.readAt ? undefined : "true"}
            >
              <div className="flex flex-wrap items-center gap-2">
                {notification.readAt ? null : <Badge tone="blue">unread</Badge>}
                <span className="font-medium">{notification.title}</span>
                <span className="text-sm text-slate-600">{formatDateTime(notification.createdAt)}</span>
              </div>
              {/* Stored text (justifications, comments) renders as text: React escapes it. */}
              <p className="mt-1 whitespace-pre-line text-slate-700">{notification.body}</p>
              {notification.link ? (
                <Link href={notification.link} className="mt-1 inline-block text-sm text-blue-700 underline">
                  Open
                </Link>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {slack ? (
        <Section title="Slack">
          <SlackLinkForm link={slack.link} pendingFor={slack.pendingFor?.slackUserId ?? null} />
        </Section>
      ) : null}
    </>
  );
};

export default NotificationsPage;
