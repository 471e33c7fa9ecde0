/**
 * Calls the SCIM route handlers (app/scim/v2) as Next.js does, with real Request objects, for
 * integration tests: a connection and its token made through the admin use case.
 */
import * as groupRoute from "@/app/scim/v2/Groups/[id]/route";
import * as groupsRoute from "@/app/scim/v2/Groups/route";
import * as resourceTypesRoute from "@/app/scim/v2/ResourceTypes/route";
import * as schemasRoute from "@/app/scim/v2/Schemas/route";
import * as configRoute from "@/app/scim/v2/ServiceProviderConfig/route";
import * as userRoute from "@/app/scim/v2/Users/[id]/route";
import * as usersRoute from "@/app/scim/v2/Users/route";
import { getConfig } from "../config";
import { createDirectoryConnection } from "../scim/manage-connections";
import { createActor, uniqueId } from "./fixtures";

export type TScimAnswer = { status: number; body: Record<string, unknown>; headers: Headers };

type TMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

const route = (path: string) => {
  const [kind, id] = path.replace(/^\//, "").split("?")[0]?.split("/") ?? [];
  const params = { params: Promise.resolve({ id: decodeURIComponent(id ?? "") }) };
  const table: Record<string, Partial<Record<TMethod, (request: Request) => Promise<Response>>>> = {
    Users: id
      ? {
          GET: (r) => userRoute.GET(r, params),
          PUT: (r) => userRoute.PUT(r, params),
          PATCH: (r) => userRoute.PATCH(r, params),
          DELETE: (r) => userRoute.DELETE(r, params),
        }
      : { GET: usersRoute.GET, POST: usersRoute.POST },
    Groups: id
      ? {
          GET: (r) => groupRoute.GET(r, params),
          PUT: (r) => groupRoute.PUT(r, params),
          PATCH: (r) => groupRoute.PATCH(r, params),
          DELETE: (r) => groupRoute.DELETE(r, params),
        }
      : { GET: groupsRoute.GET, POST: groupsRoute.POST },
    ServiceProviderConfig: { GET: configRoute.GET },
    ResourceTypes: { GET: resourceTypesRoute.GET },
    Schemas: { GET: schemasRoute.GET },
  };
  return table[kind ?? ""] ?? {};
};

export type TScimClient = {
  connectionId: string;
  issuer: string;
  token: string;
  call: (method: TMethod, path: string, body?: unknown, headers?: Record<string, string>) => Promise<TScimAnswer>;
};

export const scimCall = async (
  token: string | null,
  method: TMethod,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<TScimAnswer> => {
  const handler = route(path)[method];
  if (!handler) throw new Error(`no SCIM route for ${method} ${path}`);
  const request = new Request(`http://portal.test/scim/v2${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/scim+json" }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const response = await handler(request);
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers,
  };
};

/** A new directory connection for a new issuer, made by an administrator, with its token. */
export const createScimClient = async (options: { linkClaim?: string } = {}): Promise<TScimClient> => {
  const admin = await createActor({ groups: [getConfig().adminGroups[0] ?? "portal-admins"] });
  const issuer = `https://${uniqueId("idp")}.example.com`;
  const created = await createDirectoryConnection({
    actor: admin,
    input: { name: uniqueId("Directory"), issuer, linkClaim: options.linkClaim },
  });
  return {
    connectionId: created.connectionId,
    issuer,
    token: created.token,
    call: (method, path, body, headers) => scimCall(created.token, method, path, body, headers),
  };
};
