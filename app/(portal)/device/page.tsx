import type { Metadata } from "next";
import { PageHeader, Section } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { describeDeviceAuthorization } from "@/lib/devices";
import { formatUtc } from "@/lib/time";
import { DeviceForm } from "./device-form";

export const metadata: Metadata = { title: "Sign in a device" };

type TSearchParams = Promise<Record<string, string | string[] | undefined>>;

/** RFC 8628's verification URI: the signed-in person confirms the code their `jit login` shows. */
const DevicePage = async ({ searchParams }: { searchParams: TSearchParams }) => {
  const raw = (await searchParams).code;
  const code = (Array.isArray(raw) ? raw[0] : raw)?.slice(0, 20) ?? "";
  const actor = await requirePageActor(code ? `/device?code=${encodeURIComponent(code)}` : "/device");
  await authorizePage(actor, "portal.use");
  const pending = code ? await describeDeviceAuthorization({ userCode: code }) : null;
  return (
    <>
      <PageHeader
        title="Sign in a device"
        description="Confirm the code your terminal shows. Only do this for a `jit login` you started yourself: the device can then request and use access as you."
      />
      <Section title="Confirm the code">
        {pending ? (
          <p className="mb-3 text-sm text-slate-600">
            Asked by {pending.clientName} at {formatUtc(pending.createdAt)}
            {pending.ip ? ` from ${pending.ip}` : ""}.
          </p>
        ) : code ? (
          <p role="alert" className="mb-3 text-sm text-red-700">
            No such code, or it has expired. Run `jit login` again.
          </p>
        ) : null}
        <DeviceForm code={pending?.userCode ?? code} suggestedName="My laptop" />
      </Section>
    </>
  );
};

export default DevicePage;
