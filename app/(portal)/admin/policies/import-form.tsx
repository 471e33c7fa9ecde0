"use client";

import { useActionState } from "react";
import type { TPlanEntry } from "@/lib/catalog";
import { importCatalogAction, type TImportActionResult } from "./actions";

const button =
  "rounded-md px-3 py-1.5 text-sm font-medium focus:outline-none focus:ring-2 focus:ring-slate-900 disabled:opacity-60";
const input =
  "mt-1 block w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm focus:outline-none focus:ring-2 focus:ring-slate-900";

const describeChange = (entry: TPlanEntry) => {
  const what =
    entry.kind === "bundle"
      ? `bundle ${entry.bundleName}`
      : entry.kind === "resource"
        ? `resource ${entry.resourceKey}`
        : `policy ${entry.resourceKey} / ${entry.policyName}`;
  const fields = entry.changes ? `: ${Object.keys(entry.changes).join(", ")}` : "";
  return `${entry.action} ${what}${fields}`;
};

/** Paste or upload a document, check it with Dry run, then Apply the same text. */
export const ImportForm = () => {
  const [result, formAction, pending] = useActionState<TImportActionResult | null, FormData>(importCatalogAction, null);
  return (
    <div className="grid gap-4">
      <form
        action={formAction}
        className="grid max-w-3xl gap-4 rounded-md border border-slate-200 bg-white p-4"
        aria-label="Import the catalog"
      >
        <div>
          <label htmlFor="import-file" className="block text-sm font-medium">
            File
          </label>
          <input
            id="import-file"
            name="file"
            type="file"
            accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml"
            aria-describedby="import-file-hint"
            className="mt-1 block text-sm"
          />
          <p id="import-file-hint" className="mt-1 text-xs text-slate-600">
            A file, if chosen, is used instead of the text below (and its name instead of the file name).
          </p>
        </div>
        <div>
          <label htmlFor="import-source" className="block text-sm font-medium">
            Document (YAML or JSON)
          </label>
          <textarea
            id="import-source"
            name="source"
            rows={14}
            defaultValue={result?.source ?? ""}
            spellCheck={false}
            className={`${input} font-mono`}
          />
        </div>
        <div className="grid gap-4 sm:grid-cols-2">
          <div>
            <label htmlFor="import-file-name" className="block text-sm font-medium">
              File name
            </label>
            <input
              id="import-file-name"
              name="fileName"
              defaultValue={result?.fileName ?? "access-catalog.yaml"}
              aria-describedby="import-file-name-hint"
              className={input}
            />
            <p id="import-file-name-hint" className="mt-1 text-xs text-slate-600">
              Named in error messages; .json or .yaml also sets the format.
            </p>
          </div>
          <div>
            <label htmlFor="import-format" className="block text-sm font-medium">
              Format
            </label>
            <select id="import-format" name="format" defaultValue="" className={input}>
              <option value="">From the file name or content</option>
              <option value="yaml">YAML</option>
              <option value="json">JSON</option>
            </select>
          </div>
        </div>
        <div className="flex flex-wrap gap-3">
          <button
            type="submit"
            name="mode"
            value="dry-run"
            disabled={pending}
            className={`${button} border border-slate-300 bg-white hover:bg-slate-50`}
          >
            Dry run
          </button>
          <button
            type="submit"
            name="mode"
            value="apply"
            disabled={pending}
            className={`${button} bg-slate-900 text-white hover:bg-slate-700`}
          >
            Apply
          </button>
        </div>
      </form>

      <div role="status" aria-live="polite" className="max-w-3xl">
        {result ? (
          <div
            className={`rounded-md border p-4 text-sm ${result.ok ? "border-green-300 bg-green-50" : "border-red-300 bg-red-50"}`}
          >
            <p className="font-medium">{result.message}</p>
            {result.errors.length > 0 ? (
              <ul
                className="mt-2 list-none space-y-1 font-mono text-xs"
                aria-label="Problems in the document"
                data-testid="import-errors"
              >
                {result.errors.map((line, index) => (
                  <li key={index}>{line}</li>
                ))}
              </ul>
            ) : null}
            {result.plan && result.plan.changes.length > 0 ? (
              <ul className="mt-2 list-disc space-y-1 pl-5" aria-label="Planned changes" data-testid="import-plan">
                {result.plan.changes.map((entry, index) => (
                  <li key={index}>{describeChange(entry)}</li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
      </div>
    </div>
  );
};
