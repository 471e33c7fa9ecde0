"use client";

import { useActionState, useId } from "react";
import type { TPolicy } from "@/lib/catalog";
import { createPolicyAction, updatePolicyAction } from "./actions";
import type { TFormResult } from "./form-data";
import {
  CheckboxField,
  CheckboxGroup,
  FormMessage,
  formState,
  SelectField,
  SubmitButton,
  TextField,
} from "./form-fields";

/** What a new policy starts with: the schema's defaults, and a sensible window. */
const NEW_POLICY: TPolicy = {
  name: "",
  permissions: [],
  requesterGroups: [],
  approverGroups: [],
  approvalsRequired: 1,
  defaultDurationMinutes: 60,
  maxDurationMinutes: 240,
  minJustificationLength: 10,
  ticketRequired: false,
  ticketPattern: null,
  decisionWindowMinutes: 1440,
  autoApproveGroups: [],
  autoApprovePermissions: [],
  breakGlassAllowed: false,
  breakGlassMaxMinutes: null,
  riskThreshold: null,
  riskExtraApprovals: 0,
  riskBlocksAutoApproval: false,
  usageCeilings: {},
  usageResponse: "alert",
  stages: [],
  escalationGroups: [],
  escalationAfterMinutes: null,
  onBehalfOfAllowed: false,
};

const USAGE_RESPONSE_OPTIONS = [
  { value: "alert", label: "Alert security only" },
  { value: "revoke", label: "Alert and end the grant at once" },
  { value: "extra_approval", label: "Alert and require one more approval on the next request" },
] as const;

/** { rows_read: 50000 } → "rows_read=50000": the form's text for a policy's ceilings. */
const ceilingsText = (ceilings: Record<string, number>): string =>
  Object.entries(ceilings)
    .map(([metric, ceiling]) => `${metric}=${ceiling}`)
    .join(", ");

const stagesText = (stages: TPolicy["stages"]): string =>
  stages.map((stage) => `${stage.name}: ${stage.approverGroups.join(", ")} x${stage.approvalsRequired}`).join("; ");

const MORE_RULES: (keyof TPolicy)[] = [
  "ticketRequired",
  "ticketPattern",
  "autoApproveGroups",
  "autoApprovePermissions",
  "breakGlassAllowed",
  "breakGlassMaxMinutes",
  "riskThreshold",
  "riskExtraApprovals",
  "riskBlocksAutoApproval",
  "usageResponse",
  "usageCeilings",
  "stages",
  "escalationGroups",
  "escalationAfterMinutes",
  "onBehalfOfAllowed",
];

const usesMoreRules = (policy: TPolicy): boolean =>
  policy.ticketRequired ||
  policy.ticketPattern !== null ||
  policy.autoApproveGroups.length > 0 ||
  policy.breakGlassAllowed ||
  policy.riskThreshold !== null ||
  policy.usageResponse !== "alert" ||
  Object.keys(policy.usageCeilings).length > 0 ||
  policy.stages.length > 0 ||
  policy.escalationGroups.length > 0 ||
  policy.onBehalfOfAllowed;

/** Adds a policy to a resource (no `policy`) or edits one. Groups are typed comma-separated. */
export const PolicyForm = ({
  resourceKey,
  resourcePermissions,
  policy,
}: {
  resourceKey: string;
  resourcePermissions: string[];
  policy?: TPolicy & { id: string };
}) => {
  const [result, formAction, pending] = useActionState<TFormResult | null, FormData>(
    policy ? updatePolicyAction : createPolicyAction,
    null,
  );
  const prefix = useId();
  const initial = policy ?? NEW_POLICY;
  const state = formState(result);
  const field = (name: keyof TPolicy) => ({ id: `${prefix}-${name}`, name, error: state.error(name) });
  const text = (name: keyof TPolicy, value: string | number | null) =>
    state.text(name, value === null ? "" : String(value));
  const list = (name: keyof TPolicy, value: string[]) => state.text(name, value.join(", "));
  // Offer the resource's permissions, plus any the policy still names that the resource lost.
  const permissionOptions = [...new Set([...resourcePermissions, ...initial.permissions])];

  return (
    <form
      action={formAction}
      className="grid gap-4"
      aria-label={policy ? `Edit policy ${policy.name}` : `New policy for ${resourceKey}`}
    >
      <input type="hidden" name="resourceKey" value={resourceKey} />
      {policy ? <input type="hidden" name="policyId" value={policy.id} /> : null}
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField {...field("name")} label="Policy name" defaultValue={text("name", initial.name)} required />
        <CheckboxGroup
          {...field("permissions")}
          label="Permissions it grants"
          options={permissionOptions}
          isChecked={(value) => state.checked("permissions", value, initial.permissions.includes(value))}
        />
        <TextField
          {...field("requesterGroups")}
          label="Requester groups"
          hint="IdP groups, comma-separated."
          defaultValue={list("requesterGroups", initial.requesterGroups)}
          required
        />
        <TextField
          {...field("approverGroups")}
          label="Approver groups"
          hint="IdP groups, comma-separated."
          defaultValue={list("approverGroups", initial.approverGroups)}
          required
        />
        <TextField
          {...field("approvalsRequired")}
          type="number"
          min={1}
          max={10}
          label="Approvals required"
          hint="Distinct approvers, 1 to 10."
          defaultValue={text("approvalsRequired", initial.approvalsRequired)}
          required
        />
        <TextField
          {...field("decisionWindowMinutes")}
          type="number"
          min={5}
          max={10080}
          label="Decision window (minutes)"
          hint="A request nobody decides within this expires. 5 to 10080."
          defaultValue={text("decisionWindowMinutes", initial.decisionWindowMinutes)}
          required
        />
        <TextField
          {...field("defaultDurationMinutes")}
          type="number"
          min={1}
          max={10080}
          label="Default duration (minutes)"
          defaultValue={text("defaultDurationMinutes", initial.defaultDurationMinutes)}
          required
        />
        <TextField
          {...field("maxDurationMinutes")}
          type="number"
          min={1}
          max={10080}
          label="Maximum duration (minutes)"
          hint="At most 10080 (7 days)."
          defaultValue={text("maxDurationMinutes", initial.maxDurationMinutes)}
          required
        />
        <div className="grid gap-2">
          <CheckboxField
            id={`${prefix}-justificationRequired`}
            name="justificationRequired"
            label="Justification required"
            defaultChecked={state.checked("justificationRequired", "on", initial.minJustificationLength > 0)}
          />
          <TextField
            {...field("minJustificationLength")}
            type="number"
            min={1}
            max={1000}
            label="Minimum justification length"
            hint="Characters, 1 to 1000, when a justification is required."
            defaultValue={text(
              "minJustificationLength",
              initial.minJustificationLength > 0 ? initial.minJustificationLength : NEW_POLICY.minJustificationLength,
            )}
          />
        </div>
      </div>
      {/* Most policies need only the essentials above; the rest waits under "More rules", open
          when the policy already uses one of them. */}
      <details open={usesMoreRules(initial) || state.touched(MORE_RULES)} className="grid gap-4">
        <summary className="cursor-pointer text-sm font-medium">
          More rules: ticket, auto-approval, break-glass, risk, usage signals
        </summary>
        <div className="mt-3 grid gap-4">
          <fieldset className="grid gap-3 rounded-md border border-slate-200 p-3">
            <legend className="px-1 text-sm font-medium">Ticket</legend>
            <CheckboxField
              {...field("ticketRequired")}
              label="A ticket is required"
              defaultChecked={state.checked("ticketRequired", "on", initial.ticketRequired)}
            />
            <TextField
              {...field("ticketPattern")}
              label="Ticket pattern"
              hint="A JavaScript regular expression, at most 200 characters, for example ^(INC|CHG)-\d+$. Required when a ticket is required."
              defaultValue={text("ticketPattern", initial.ticketPattern)}
            />
          </fieldset>
          <fieldset className="grid gap-3 rounded-md border border-slate-200 p-3">
            <legend className="px-1 text-sm font-medium">Auto-approval</legend>
            <TextField
              {...field("autoApproveGroups")}
              label="Auto-approved groups"
              hint="Requesters in these groups are approved at once for the permissions below. Comma-separated; leave empty for none."
              defaultValue={list("autoApproveGroups", initial.autoApproveGroups)}
            />
            <CheckboxGroup
              {...field("autoApprovePermissions")}
              label="Auto-approved permissions"
              options={permissionOptions}
              isChecked={(value) =>
                state.checked("autoApprovePermissions", value, initial.autoApprovePermissions.includes(value))
              }
            />
          </fieldset>
          <fieldset className="grid gap-3 rounded-md border border-slate-200 p-3">
            <legend className="px-1 text-sm font-medium">Break-glass</legend>
            <CheckboxField
              {...field("breakGlassAllowed")}
              label="Break-glass allowed"
              defaultChecked={state.checked("breakGlassAllowed", "on", initial.breakGlassAllowed)}
            />
            <TextField
              {...field("breakGlassMaxMinutes")}
              type="number"
              min={1}
              max={10080}
              label="Break-glass maximum (minutes)"
              hint="Required when break-glass is allowed; at most the maximum duration. Leave empty otherwise."
              defaultValue={text("breakGlassMaxMinutes", initial.breakGlassMaxMinutes)}
            />
          </fieldset>
          <fieldset className="grid gap-3 rounded-md border border-slate-200 p-3">
            <legend className="px-1 text-sm font-medium">Risk</legend>
            <TextField
              {...field("riskThreshold")}
              type="number"
              min={1}
              max={100}
              label="Risk threshold"
              hint="A request whose risk score reaches this gets the rules below. Leave empty for none. Scores are explained in the README."
              defaultValue={text("riskThreshold", initial.riskThreshold)}
            />
            <TextField
              {...field("riskExtraApprovals")}
              type="number"
              min={0}
              max={9}
              label="Extra approvals at the threshold"
              hint="On top of the approvals required; together at most 10."
              defaultValue={text("riskExtraApprovals", initial.riskExtraApprovals)}
            />
            <CheckboxField
              {...field("riskBlocksAutoApproval")}
              label="No auto-approval at the threshold"
              defaultChecked={state.checked("riskBlocksAutoApproval", "on", initial.riskBlocksAutoApproval)}
            />
          </fieldset>
          <fieldset className="grid gap-3 rounded-md border border-slate-200 p-3">
            <legend className="px-1 text-sm font-medium">Usage signals</legend>
            <SelectField
              {...field("usageResponse")}
              label="When a service flags unusual use"
              hint="A report far outside the person's 30-day baseline, above a ceiling, or a high or critical event."
              defaultValue={state.text("usageResponse", initial.usageResponse)}
              options={USAGE_RESPONSE_OPTIONS}
            />
            <TextField
              {...field("usageCeilings")}
              label="Ceilings per minute"
              hint="metric=value, comma-separated, e.g. rows_read=50000: a report above one flags at once. Empty for none."
              defaultValue={state.text("usageCeilings", ceilingsText(initial.usageCeilings))}
            />
          </fieldset>
          <fieldset className="grid gap-3 rounded-md border border-slate-200 p-3">
            <legend className="px-1 text-sm font-medium">Stages and escalation</legend>
            <TextField
              {...field("stages")}
              label="Approval stages, in order"
              hint="name: groups xN, separated by ; e.g. Team lead: db-leads x1; Security: security-reviewers x2. With stages, the approver groups above are the stages' groups. Empty for one stage."
              defaultValue={state.text("stages", stagesText(initial.stages))}
            />
            <TextField
              {...field("escalationGroups")}
              label="Escalation groups"
              hint="Told, and allowed to decide, when a stage has no quorum after the delay. Comma-separated; empty for none."
              defaultValue={text("escalationGroups", initial.escalationGroups.join(", "))}
            />
            <TextField
              {...field("escalationAfterMinutes")}
              type="number"
              min={1}
              label="Escalate after (minutes)"
              hint="Counted from when the stage opened. Required with escalation groups."
              defaultValue={text("escalationAfterMinutes", initial.escalationAfterMinutes)}
            />
          </fieldset>
          <fieldset className="grid gap-3 rounded-md border border-slate-200 p-3">
            <legend className="px-1 text-sm font-medium">On behalf of</legend>
            <CheckboxField
              {...field("onBehalfOfAllowed")}
              label="Requests for a teammate allowed"
              hint="A requester may file a request for another person in the requester groups, who acknowledges it before the grant starts."
              defaultChecked={state.checked("onBehalfOfAllowed", "on", initial.onBehalfOfAllowed)}
            />
          </fieldset>
        </div>
      </details>
      <div className="flex items-center gap-3">
        <SubmitButton pending={pending}>{policy ? "Save policy" : "Add policy"}</SubmitButton>
        <FormMessage result={result} />
      </div>
    </form>
  );
};
