import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { getHistoryPerson } from "@/lib/history";
import { HoldersView } from "../../holders-view";

export const metadata: Metadata = { title: "What a person held" };

type TProps = { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

const PersonHoldingsPage = async ({ params, searchParams }: TProps) => {
  const { id } = await params;
  const path = `/security/people/${encodeURIComponent(id)}`;
  const actor = await requirePageActor(path);
  await authorizePage(actor, "security.view");
  const person = await getHistoryPerson({ actor, userId: id });
  if (!person) notFound();
  const { month } = await searchParams;
  return (
    <HoldersView actor={actor} by="person" id={id} title={`What ${person.name} held`} basePath={path} month={month} />
  );
};

export default PersonHoldingsPage;
