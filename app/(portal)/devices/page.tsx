import type { Metadata } from "next";
import { Empty, PageHeader, Section } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { listMyDevices } from "@/lib/devices";
import { formatUtc } from "@/lib/time";
import { RowActionButton } from "@/app/components/row-action-button";
import { revokeDeviceAction } from "./actions";
import { SignOutEverywhereButton } from "./sign-out-everywhere-button";

export const metadata: Metadata = { title: "My devices" };

/** The terminals signed in as this person with `jit login`; each can be signed out here. */
const DevicesPage = async () => {
  const actor = await requirePageActor("/devices");
  await authorizePage(actor, "portal.use");
  const devices = await listMyDevices({ actor });
  return (
    <>
      <PageHeader
        title="My devices"
        description="Terminals signed in as you with `jit login`. Signing one out ends its tokens at its next call; it must sign in again."
      />
      <Section title="Signed-in devices">
        {devices.length === 0 ? (
          <Empty>No device is signed in. Run `jit login` in a terminal to add one.</Empty>
        ) : (
          <table className="w-full text-left text-sm">
            <thead>
              <tr className="border-b border-slate-200">
                <th className="py-1">Name</th>
                <th className="py-1">Signed in</th>
                <th className="py-1">Last used</th>
                <th className="py-1">From</th>
                <th className="py-1">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {devices.map((device) => (
                <tr key={device.id} className="border-b border-slate-100">
                  <td className="py-1">{device.name}</td>
                  <td className="py-1">{formatUtc(device.createdAt)}</td>
                  <td className="py-1">{device.lastUsedAt ? formatUtc(device.lastUsedAt) : "never"}</td>
                  <td className="py-1">{device.ip ?? "unknown"}</td>
                  <td className="py-1">
                    <RowActionButton
                      action={revokeDeviceAction}
                      id={device.id}
                      label="Sign out"
                      accessibleName={`Sign out ${device.name}`}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title="Sign out everywhere">
        <p className="mb-3 text-sm text-slate-700">
          Ends every browser session signed in as you, this one included, and signs out every device above. Use it when
          a laptop is lost or a token may have leaked.
        </p>
        <SignOutEverywhereButton />
      </Section>
    </>
  );
};

export default DevicesPage;
