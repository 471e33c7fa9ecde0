import { handleScim, resourceResult } from "@/lib/scim/http";
import { getScimUser } from "@/lib/scim/users";
import { deleteScimUser, patchScimUser, replaceScimUser } from "@/lib/scim/write-user";

export const dynamic = "force-dynamic";

type TParams = { params: Promise<{ id: string }> };

export const GET = async (request: Request, { params }: TParams) => {
  const { id } = await params;
  return handleScim(request, async ({ actor }) => resourceResult(await getScimUser({ actor, id })));
};

export const PUT = async (request: Request, { params }: TParams) => {
  const { id } = await params;
  return handleScim(request, async ({ actor, context, body, ifMatch }) =>
    resourceResult(await replaceScimUser({ actor, context, id, body: await body(), ifMatch })),
  );
};

export const PATCH = async (request: Request, { params }: TParams) => {
  const { id } = await params;
  return handleScim(request, async ({ actor, context, body, ifMatch }) =>
    resourceResult(await patchScimUser({ actor, context, id, body: await body(), ifMatch })),
  );
};

export const DELETE = async (request: Request, { params }: TParams) => {
  const { id } = await params;
  return handleScim(request, async ({ actor, context, ifMatch }) => {
    await deleteScimUser({ actor, context, id, ifMatch });
    return { status: 204 };
  });
};
