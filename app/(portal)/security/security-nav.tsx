import Link from "next/link";

const LINKS = [
  { href: "/security", label: "Grant history" },
  { href: "/security/charts", label: "Charts" },
  { href: "/security/events", label: "Audit events" },
  { href: "/security/break-glass", label: "Break-glass review" },
  { href: "/security/findings", label: "Findings" },
  { href: "/security/signals", label: "Signals" },
] as const;

/** The Security area's own navigation; the current page is marked for assistive technology. */
export const SecurityNav = ({ current }: { current: (typeof LINKS)[number]["href"] }) => (
  <nav aria-label="Security area" className="mb-6 flex gap-4 text-sm">
    {LINKS.map((link) => (
      <Link
        key={link.href}
        href={link.href}
        aria-current={link.href === current ? "page" : undefined}
        className={link.href === current ? "font-medium underline" : "underline"}
      >
        {link.label}
      </Link>
    ))}
  </nav>
);
