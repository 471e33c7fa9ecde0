import { handleScim, resourceResult } from "@/lib/scim/http";
import { listScimGroups } from "@/lib/scim/groups";
import { createScimGroup } from "@/lib/scim/write-group";

export const dynamic = "force-dynamic";

/** SCIM 2.0 Groups (RFC 7644), for the IdP's provisioning (docs/identity-providers.md). */
export const GET = (request: Request) =>
  handleScim(request, async ({ actor, params }) => ({ status: 200, body: await listScimGroups({ actor, params }) }));

export const POST = (request: Request) =>
  handleScim(request, async ({ actor, context, body }) =>
    resourceResult(await createScimGroup({ actor, context, body: await body() }), 201),
  );
