import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Empty, PageHeader } from "@/app/components/ui";
import { requirePageActor } from "@/lib/auth/current-actor";
import { getConfig } from "@/lib/config";
import { listDevMail } from "@/lib/notify/dev-mail-store";

export const metadata: Metadata = { title: "Development mail" };
// Decided per request: prerendering at build time would read the configuration, and builds
// (the Docker image's included) run without production's secrets.
export const dynamic = "force-dynamic";

/**
 * Development only: the mail `npm run dev`'s SMTP catcher received. Production answers 404
 * before reading anything; elsewhere it still takes a signed-in user, since the mail of every
 * demo user is here.
 */
const DevMailPage = async () => {
  if (getConfig().isProduction) notFound();
  await requirePageActor("/dev/mail");
  const mails = await listDevMail();
  return (
    <main id="main" className="mx-auto max-w-6xl px-4 py-8">
      <PageHeader
        title="Development mail"
        description="Messages caught by the development SMTP listener, newest first (the last 200)."
      />
      {mails.length === 0 ? (
        <Empty>No mail yet. Messages sent to SMTP_URL while `npm run dev` runs appear here.</Empty>
      ) : (
        <ul className="space-y-4">
          {mails.map((mail) => (
            <li key={mail.id} className="rounded-md border border-slate-200 bg-white p-4">
              <dl className="grid grid-cols-[6rem_1fr] gap-x-3 gap-y-1 text-sm">
                <dt className="text-slate-500">Subject</dt>
                <dd className="font-medium">{mail.subject}</dd>
                <dt className="text-slate-500">From</dt>
                <dd>{mail.from}</dd>
                <dt className="text-slate-500">To</dt>
                <dd>{mail.to.join(", ")}</dd>
                <dt className="text-slate-500">Date</dt>
                <dd>{mail.date}</dd>
              </dl>
              {/* Text only: the captured HTML is shown as source, never rendered. */}
              <pre className="mt-3 rounded bg-slate-50 p-3 text-sm break-words whitespace-pre-wrap">{mail.text}</pre>
              {mail.html ? (
                <details className="mt-2 text-sm">
                  <summary className="cursor-pointer text-slate-600">HTML source</summary>
                  <pre className="mt-2 rounded bg-slate-50 p-3 break-words whitespace-pre-wrap">{mail.html}</pre>
                </details>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </main>
  );
};

export default DevMailPage;
