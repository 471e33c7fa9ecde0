import type { Metadata } from "next";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { HoldersView } from "../../holders-view";

export const metadata: Metadata = { title: "Who held this resource" };

type TProps = {
  params: Promise<{ key: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

const ResourceHoldersPage = async ({ params, searchParams }: TProps) => {
  const { key } = await params;
  const path = `/security/resources/${encodeURIComponent(key)}`;
  const actor = await requirePageActor(path);
  await authorizePage(actor, "security.view");
  const { month } = await searchParams;
  return <HoldersView actor={actor} by="resource" id={key} title={`Who held ${key}`} basePath={path} month={month} />;
};

export default ResourceHoldersPage;
