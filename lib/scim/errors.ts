/**
 * SCIM's error shape (RFC 7644 §3.12): `{ schemas: [Error], status: "404", scimType?, detail }`,
 * the status a string. Every refusal of the SCIM API is one of these, never a 500 for input.
 */
export const SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
export const SCIM_CONTENT_TYPE = "application/scim+json";

export type TScimType =
  | "invalidFilter"
  | "tooMany"
  | "uniqueness"
  | "mutability"
  | "invalidSyntax"
  | "invalidPath"
  | "noTarget"
  | "invalidValue"
  | "invalidVers";

export class ScimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly scimType?: TScimType,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ScimError";
  }
}

export const isScimError = (error: unknown): error is ScimError => error instanceof ScimError;

export const scimErrorBody = (error: ScimError) => ({
  schemas: [SCIM_ERROR_SCHEMA],
  status: String(error.status),
  ...(error.scimType ? { scimType: error.scimType } : {}),
  detail: error.message,
});

export const badRequest = (scimType: TScimType, detail: string): ScimError => new ScimError(400, detail, scimType);
export const notFound = (what: string): ScimError => new ScimError(404, `${what} not found.`);
