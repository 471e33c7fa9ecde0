/**
 * For integration tests: a service client allowed `access:check`, its token from the services
 * API's token endpoint, and a function asking that API's check, as a service would.
 */
import { createServiceClient } from "../services";
import { uniqueId } from "./fixtures";

export const serviceChecker = async (apiUrl: string) => {
  const service = await createServiceClient({
    actor: { kind: "system", name: "test" },
    input: { name: uniqueId("svc"), scopes: ["access:check"], resourceKeys: [] },
  });
  const tokenAnswer = await fetch(`${apiUrl}/api/v1/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(service.clientId)}:${encodeURIComponent(service.clientSecret)}`).toString("base64")}`,
    },
    body: "grant_type=client_credentials",
  });
  const token = ((await tokenAnswer.json()) as { access_token: string }).access_token;
  /** The check's answer body, e.g. `{ allowed: false }`. */
  return async (subject: string, resource: string, permission = "read") =>
    (await (
      await fetch(`${apiUrl}/api/v1/access/check`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ subject, resource, permission }),
      })
    ).json()) as { allowed: boolean };
};
