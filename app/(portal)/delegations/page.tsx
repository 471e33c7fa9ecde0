import type { Metadata } from "next";
import { Badge, Empty, PageHeader, Section } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { can } from "@/lib/authz";
import { listMyDelegations, MAX_DELEGATION_DAYS, type TDelegationState, type TDelegationView } from "@/lib/delegation";
import { formatUtc } from "@/lib/time";
import { DelegationForm } from "./delegation-form";
import { RowActionButton } from "@/app/components/row-action-button";
import { endDelegationAction } from "./actions";

export const metadata: Metadata = { title: "Delegation" };

const TONES: Record<TDelegationState, "green" | "blue" | "slate"> = {
  running: "green",
  scheduled: "blue",
  ended: "slate",
  expired: "slate",
};

const DelegationTable = ({
  rows,
  other,
  canEnd,
}: {
  rows: TDelegationView[];
  other: "delegate" | "delegator";
  canEnd: boolean;
}) => (
  <table className="w-full text-left text-sm">
    <thead>
      <tr className="border-b border-slate-200">
        <th className="py-1">{other === "delegate" ? "To" : "From"}</th>
        <th className="py-1">Period</th>
        <th className="py-1">Reason</th>
        <th className="py-1">State</th>
        <th className="py-1">Decisions made</th>
        {canEnd ? (
          <th className="py-1">
            <span className="sr-only">Actions</span>
          </th>
        ) : null}
      </tr>
    </thead>
    <tbody>
      {rows.map((row) => (
        <tr key={row.id} className="border-b border-slate-100">
          <td className="py-1">
            {row[other].name}
            {row[other].email ? <span className="text-slate-600"> ({row[other].email})</span> : null}
          </td>
          <td className="py-1">
            {formatUtc(row.startsAt)} to {formatUtc(row.endsAt)}
          </td>
          <td className="py-1">{row.reason}</td>
          <td className="py-1">
            <Badge tone={TONES[row.state]}>{row.state}</Badge>
            {row.endedAt ? ` by ${row.endedBy ?? "someone"} at ${formatUtc(row.endedAt)}` : ""}
          </td>
          <td className="py-1">{row.decisions}</td>
          {canEnd ? (
            <td className="py-1">
              {row.state === "running" || row.state === "scheduled" ? (
                <RowActionButton
                  action={endDelegationAction}
                  id={row.id}
                  label="End now"
                  accessibleName={`End the delegation to ${row.delegate.name}`}
                />
              ) : null}
            </td>
          ) : null}
        </tr>
      ))}
    </tbody>
  </table>
);

/**
 * A person's approval delegations (ADR 0056): the ones they gave, which they may end, and the
 * ones they received, which let them decide for someone else until their end.
 */
const DelegationsPage = async () => {
  const actor = await requirePageActor("/delegations");
  await authorizePage(actor, "portal.use");
  const { given, received } = await listMyDelegations({ actor });
  const mayDelegate = can(actor, "delegation.create");
  return (
    <>
      <PageHeader
        title="Delegation"
        description="Hand your approvals to another approver while you are away. Your delegate decides what you could decide, confirmed with their own passkey and recorded as made for you; never their own request or yours, and never a request you already decided."
      />
      {mayDelegate ? (
        <Section title="Delegate my approvals">
          <DelegationForm maxDays={MAX_DELEGATION_DAYS} />
        </Section>
      ) : null}
      <Section title="My delegations">
        {given.length === 0 ? (
          <Empty>You have not delegated your approvals.</Empty>
        ) : (
          <DelegationTable rows={given} other="delegate" canEnd />
        )}
      </Section>
      <Section title="Delegated to me">
        {received.length === 0 ? (
          <Empty>Nobody has delegated their approvals to you.</Empty>
        ) : (
          <DelegationTable rows={received} other="delegator" canEnd={false} />
        )}
      </Section>
    </>
  );
};

export default DelegationsPage;
