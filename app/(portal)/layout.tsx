import Link from "next/link";
import type { ReactNode } from "react";
import { NavLinks, type TNavItem } from "@/app/components/nav-links";
import { SignOutButton } from "@/app/components/sign-out-button";
import { currentSession } from "@/lib/auth/current-actor";
import { can } from "@/lib/authz";
import { currentTime } from "@/lib/clock";
import { countUnreadNotifications } from "@/lib/notify";
import { hasOpenReviewToDo } from "@/lib/reviews";

// Layouts are not re-rendered on every client navigation, so each page checks the session
// itself (requirePageActor); this check only decides what the shell shows.
const PortalLayout = async ({ children }: { children: ReactNode }) => {
  const session = await currentSession();
  // The page itself redirects to sign-in, with the path to return to.
  if (!session.ok) return <main id="main">{children}</main>;
  const { actor } = session;

  const items: TNavItem[] = [
    { href: "/", label: "My access" },
    { href: "/request", label: "Request" },
  ];
  if (can(actor, "approvals.view")) items.push({ href: "/approvals", label: "Approvals" });
  if (can(actor, "delegation.create")) items.push({ href: "/delegations", label: "Delegation" });
  // Access reviews: security and administrators, and whoever has one to do now. Approvers start
  // theirs from the Approvals page (a link for every approver would crowd a phone's screen).
  if (can(actor, "security.view") || (await hasOpenReviewToDo(actor, currentTime())))
    items.push({ href: "/reviews", label: "Reviews" });
  if (can(actor, "security.view")) items.push({ href: "/security", label: "Security" });
  if (can(actor, "admin.view")) items.push({ href: "/admin", label: "Admin" });
  items.push({ href: "/passkeys", label: "Passkeys" });
  items.push({ href: "/devices", label: "My devices" });
  items.push({ href: "/notifications", label: "Notifications", unread: await countUnreadNotifications({ actor }) });

  return (
    <>
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-10 focus:rounded focus:bg-white focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <Link href="/" className="text-lg font-semibold">
            JIT Access
          </Link>
          <nav aria-label="Main" className="flex-1">
            <NavLinks items={items} />
          </nav>
          <div className="flex items-center gap-3">
            <span className="text-sm text-slate-600" data-testid="signed-in-as">
              <span className="sr-only">Signed in as </span>
              {actor.name} {actor.email ? <span className="hidden sm:inline">({actor.email})</span> : null}
            </span>
            <SignOutButton />
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-6xl px-4 py-8">
        {children}
      </main>
    </>
  );
};

export default PortalLayout;
