import type { Metadata } from "next";
import { PageHeader, Section } from "@/app/components/ui";
import { authorizePage, requirePageActor } from "@/lib/auth/current-actor";
import { buildOpenApiDocument } from "@/lib/services";

export const metadata: Metadata = { title: "API documentation" };

type TOperation = {
  tags?: string[];
  summary?: string;
  requestBody?: { content: Record<string, { schema: unknown }> };
  parameters?: Array<{ name: string; description?: string; schema: unknown }>;
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};

const Json = ({ value }: { value: unknown }) => (
  // Focusable, so a keyboard can scroll a wide example sideways.
  <pre tabIndex={0} className="overflow-x-auto rounded bg-slate-50 p-2 text-xs">
    {JSON.stringify(value, null, 2)}
  </pre>
);

/** The OpenAPI document of /api/v1 (the same one the API serves), rendered for people. */
const ApiDocsPage = async () => {
  const actor = await requirePageActor("/api-docs");
  await authorizePage(actor, "portal.use");
  const doc = buildOpenApiDocument();
  return (
    <>
      <PageHeader title={doc.info.title} description={doc.info.description} />
      <p className="mb-6 text-sm">
        Base URL <code>{doc.servers[0]?.url}</code>. Machine-readable: <code>GET /api/v1/openapi.json</code> (with a
        token). Ask an administrator for a service client.
      </p>
      {Object.entries(doc.paths).map(([path, methods]) =>
        Object.entries(methods as Record<string, TOperation>).map(([method, operation]) => (
          <Section key={`${method} ${path}`} title={`${method.toUpperCase()} ${path}`}>
            {operation.tags?.length ? (
              <p className="mb-1 text-xs tracking-wide text-slate-500 uppercase">{operation.tags.join(", ")}</p>
            ) : null}
            <p className="mb-2 text-sm">{operation.summary}</p>
            {operation.parameters?.length ? (
              <>
                <h3 className="mt-2 text-sm font-medium">Query parameters</h3>
                <ul className="list-disc pl-5 text-sm">
                  {operation.parameters.map((parameter) => (
                    <li key={parameter.name}>
                      <code>{parameter.name}</code> {parameter.description ? `: ${parameter.description}` : ""}{" "}
                      <code className="text-xs">{JSON.stringify(parameter.schema)}</code>
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            {operation.requestBody
              ? Object.entries(operation.requestBody.content).map(([type, body]) => (
                  <div key={type}>
                    <h3 className="mt-2 text-sm font-medium">Request body ({type})</h3>
                    <Json value={body.schema} />
                  </div>
                ))
              : null}
            <h3 className="mt-2 text-sm font-medium">Responses</h3>
            <ul className="space-y-2 text-sm">
              {Object.entries(operation.responses).map(([status, response]) => (
                <li key={status}>
                  <span className="font-mono">{status}</span> {response.description}
                  {response.content?.["application/json"] ? (
                    <Json value={response.content["application/json"].schema} />
                  ) : null}
                </li>
              ))}
            </ul>
          </Section>
        )),
      )}
    </>
  );
};

export default ApiDocsPage;
