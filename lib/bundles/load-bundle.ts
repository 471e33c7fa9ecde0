import type { Db } from "../db";

/** A bundle with its items in order, each with its policy and resource as the request rules need them. */
export const loadBundle = (tx: Db, bundleId: string) =>
  tx.bundle.findUnique({
    where: { id: bundleId },
    include: {
      items: {
        orderBy: { position: "asc" },
        include: {
          policy: {
            include: {
              resource: {
                select: { id: true, key: true, environment: true, permissions: true, archivedAt: true, name: true },
              },
            },
          },
        },
      },
    },
  });
export type TLoadedBundle = NonNullable<Awaited<ReturnType<typeof loadBundle>>>;

/** How an item is named to people: `prod-postgres read`. */
export const itemLabel = (item: { permission: string; policy: { resource: { key: string } } }): string =>
  `${item.policy.resource.key} ${item.permission}`;
