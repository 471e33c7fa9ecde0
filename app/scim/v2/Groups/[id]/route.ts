import { handleScim, resourceResult } from "@/lib/scim/http";
import { getScimGroup } from "@/lib/scim/groups";
import { deleteScimGroup, patchScimGroup, replaceScimGroup } from "@/lib/scim/write-group";

export const dynamic = "force-dynamic";

type TParams = { params: Promise<{ id: string }> };

export const GET = async (request: Request, { params }: TParams) => {
  const { id } = await params;
  return handleScim(request, async ({ actor, params: query }) =>
    resourceResult(await getScimGroup({ actor, id, params: query })),
  );
};

export const PUT = async (request: Request, { params }: TParams) => {
  const { id } = await params;
  return handleScim(request, async ({ actor, context, body, ifMatch }) =>
    resourceResult(await replaceScimGroup({ actor, context, id, body: await body(), ifMatch })),
  );
};

export const PATCH = async (request: Request, { params }: TParams) => {
  const { id } = await params;
  return handleScim(request, async ({ actor, context, body, ifMatch }) =>
    resourceResult(await patchScimGroup({ actor, context, id, body: await body(), ifMatch })),
  );
};

export const DELETE = async (request: Request, { params }: TParams) => {
  const { id } = await params;
  return handleScim(request, async ({ actor, context, ifMatch }) => {
    await deleteScimGroup({ actor, context, id, ifMatch });
    return { status: 204 };
  });
};
