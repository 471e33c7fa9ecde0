"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

/** `unread`: a count shown beside the label (and read out as "N unread"), when above zero. */
export type TNavItem = { href: string; label: string; unread?: number };

export const NavLinks = ({ items }: { items: TNavItem[] }) => {
  const pathname = usePathname();
  const isCurrent = (href: string) =>
    href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
  return (
    <ul className="flex flex-wrap gap-1">
      {items.map((item) => (
        <li key={item.href}>
          <Link
            href={item.href}
            aria-current={isCurrent(item.href) ? "page" : undefined}
            className="block rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 aria-[current=page]:bg-slate-900 aria-[current=page]:text-white"
          >
            {item.label}
            {item.unread ? " " : null}
            {item.unread ? (
              <span className="ml-1 rounded-full bg-red-700 px-1.5 py-0.5 text-xs text-white">
                {item.unread > 99 ? "99+" : item.unread}
                <span className="sr-only"> unread</span>
              </span>
            ) : null}
          </Link>
        </li>
      ))}
    </ul>
  );
};
