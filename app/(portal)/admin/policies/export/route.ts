import { z } from "zod";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { catalogFileName, exportCatalog } from "@/lib/catalog";
import { answerError, downloadResponse } from "@/lib/errors";

export const dynamic = "force-dynamic";

const ZQuery = z.object({ format: z.enum(["yaml", "json"]).default("yaml") });

const CONTENT_TYPES = { yaml: "application/yaml; charset=utf-8", json: "application/json; charset=utf-8" } as const;

const problem = (status: number, code: string, message: string) =>
  Response.json({ error: code, message }, { status, headers: { "cache-control": "no-store" } });

/** GET /admin/policies/export?format=yaml|json: the catalog document, as a download. Administrators only. */
export const GET = async (request: Request) => {
  try {
    const actor = await requireActor();
    const query = ZQuery.safeParse({ format: new URL(request.url).searchParams.get("format") ?? undefined });
    if (!query.success) return problem(400, "INVALID_INPUT", "format must be yaml or json.");
    const { format } = query.data;
    const text = await exportCatalog({ actor, format, context: await requestContext() });
    return downloadResponse(text, { contentType: CONTENT_TYPES[format], filename: catalogFileName(format) });
  } catch (error) {
    return answerError(error);
  }
};
