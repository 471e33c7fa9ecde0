import { handleScim, resourceResult } from "@/lib/scim/http";
import { listScimUsers } from "@/lib/scim/users";
import { createScimUser } from "@/lib/scim/write-user";

export const dynamic = "force-dynamic";

/** SCIM 2.0 Users (RFC 7644), for the IdP's provisioning (docs/identity-providers.md). */
export const GET = (request: Request) =>
  handleScim(request, async ({ actor, params }) => ({ status: 200, body: await listScimUsers({ actor, params }) }));

export const POST = (request: Request) =>
  handleScim(request, async ({ actor, context, body }) =>
    resourceResult(await createScimUser({ actor, context, body: await body() }), 201),
  );
