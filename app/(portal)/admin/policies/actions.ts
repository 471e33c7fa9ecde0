"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { formatImportError, importCatalog, type TImportResult, type TPlanEntry, type TPlanCounts } from "@/lib/catalog";
import { isAppError } from "@/lib/errors";
import { formAction } from "@/lib/security/server-action-guard";

export type TImportActionResult = {
  ok: boolean;
  message: string;
  /** `file: path: message`, one per problem. */
  errors: string[];
  plan?: { resources: TPlanCounts; policies: TPlanCounts; changes: TPlanEntry[]; leftAlone: string[] };
  /** The document, so the form keeps it after a dry run and Apply sends the same text. */
  source: string;
  fileName: string;
};

const ZForm = z.object({
  mode: z.enum(["dry-run", "apply"]),
  format: z.enum(["", "yaml", "json"]),
  source: z.string(),
  fileName: z.string().max(200),
});

const refused = (message: string): TImportActionResult => ({
  ok: false,
  message,
  errors: [],
  source: "",
  fileName: "",
});

/** Every export of a "use server" module is a public endpoint: this is the only one here. */
export const importCatalogAction = formAction<TImportActionResult | null>(
  ({ message }) => refused(message),
  async (form) => {
    const upload = form.get("file");
    const file = upload instanceof File && upload.size > 0 ? upload : null;
    const parsed = ZForm.safeParse({
      mode: form.get("mode"),
      format: form.get("format") ?? "",
      source: file ? await file.text() : (form.get("source") ?? ""),
      fileName: ((file ? file.name : form.get("fileName")) || "pasted document").toString().slice(0, 200),
    });
    if (!parsed.success) return refused("Invalid request.");
    const { mode, format, source, fileName } = parsed.data;
    const actor = await requireActor();
    let result: TImportResult;
    try {
      result = await importCatalog({
        actor,
        source,
        fileName,
        format: format || undefined,
        mode,
        context: await requestContext(),
      });
    } catch (error) {
      // An expected refusal sends the document back, so the form keeps it.
      if (isAppError(error)) return { ok: false, message: error.message, errors: [], source, fileName };
      throw error;
    }
    if (!result.ok)
      return { ok: false, message: result.message, errors: result.errors.map(formatImportError), source, fileName };
    if (result.applied) revalidatePath("/admin/resources", "layout");
    const { plan } = result;
    return {
      ok: true,
      message: result.message,
      errors: [],
      plan: {
        resources: plan.resources,
        policies: plan.policies,
        changes: plan.entries.filter((entry) => entry.action !== "unchanged"),
        leftAlone: plan.leftAlone,
      },
      source,
      fileName,
    };
  },
);
