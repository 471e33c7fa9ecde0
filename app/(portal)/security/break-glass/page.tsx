import type { Metadata } from "next";
import Link from "next/link";
import { Badge, Empty, formatDateTime, PageHeader } from "@/app/components/ui";
import { RiskSignals } from "@/app/components/risk-signals";
import { listUnreviewedBreakGlass } from "@/lib/access";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { SecurityNav } from "../security-nav";
import { SignOffForm } from "./sign-off-form";

export const metadata: Metadata = { title: "Break-glass review" };

const STATUS_TONE = { active: "red", scheduled: "amber", expired: "slate", revoked: "slate" } as const;

const BreakGlassReviewPage = async () => {
  const actor = await requirePageActor("/security/break-glass");
  await authorizePage(actor, "security.view");
  const grants = await listUnreviewedBreakGlass({ actor });
  return (
    <>
      <PageHeader
        title="Break-glass review"
        description="Emergency access taken without approvers. Each stays here until a security reviewer signs it off after the incident."
      />
      <SecurityNav current="/security/break-glass" />
      {grants.length === 0 ? (
        <Empty>No break-glass access is waiting for review.</Empty>
      ) : (
        <ul className="space-y-4" aria-label="Break-glass grants awaiting review">
          {grants.map((grant) => {
            const label = `${grant.subject.name}: ${grant.permissions.join(", ")} on ${grant.resource.name}`;
            return (
              <li key={grant.id} aria-label={label} className="rounded-md border border-slate-200 bg-white p-4">
                <h2 className="font-medium">
                  {grant.requestId ? (
                    <Link href={`/requests/${grant.requestId}`} className="underline-offset-2 hover:underline">
                      {label}
                    </Link>
                  ) : (
                    label
                  )}{" "}
                  <Badge tone={STATUS_TONE[grant.status]}>{grant.status}</Badge>
                </h2>
                <p className="mt-1 text-sm text-slate-700">
                  {grant.subject.email ?? "no verified e-mail"} · {grant.resource.environment} ·{" "}
                  {formatDateTime(grant.startsAt)} to {formatDateTime(grant.revokedAt ?? grant.expiresAt)} · ticket{" "}
                  {grant.ticket ?? "none"}
                </p>
                <p className="mt-2 whitespace-pre-wrap">{grant.justification}</p>
                <div className="mt-2">
                  <RiskSignals score={grant.riskScore} signals={grant.riskSignals} compact />
                </div>
                {grant.canSignOff ? (
                  <SignOffForm grantId={grant.id} label={`Sign off ${label}`} />
                ) : (
                  <p className="mt-3 text-sm text-slate-600">Another reviewer signs off your own break-glass access.</p>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
};

export default BreakGlassReviewPage;
