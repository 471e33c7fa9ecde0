/**
 * The SCIM resources as this portal keeps them: what a POST/PUT (and a PATCH's result) may
 * say, normalised (Entra ID's "True"/"False" strings become booleans), and what GET answers.
 * Attributes the portal does not keep (title, addresses, the enterprise extension) are
 * accepted and dropped, so an IdP's full mapping does not break provisioning.
 */
import { z } from "zod";
import { storableText } from "../storable-text";
import { badRequest } from "./errors";

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/** A boolean, or the strings "true"/"false" in any case (Entra ID sends "False"). */
const ZScimBoolean = z.union([
  z.boolean(),
  z
    .string()
    .transform((text) => text.trim().toLowerCase())
    .pipe(z.enum(["true", "false"]))
    .transform((text) => text === "true"),
]);

const text = (max: number) => z.string().max(max).transform(storableText);

const ZName = z
  .looseObject({
    formatted: text(200).nullish(),
    givenName: text(100).nullish(),
    familyName: text(100).nullish(),
    middleName: text(100).nullish(),
  })
  .transform(({ formatted, givenName, familyName, middleName }) => ({
    ...(formatted ? { formatted } : {}),
    ...(givenName ? { givenName } : {}),
    ...(familyName ? { familyName } : {}),
    ...(middleName ? { middleName } : {}),
  }));

const ZEmail = z
  .looseObject({ value: text(320), type: text(40).nullish(), primary: ZScimBoolean.nullish() })
  .transform(({ value, type, primary }) => ({ value, ...(type ? { type } : {}), ...(primary ? { primary } : {}) }));

export const ZScimUser = z.looseObject({
  userName: text(256).refine((value) => value.trim().length > 0, "userName must not be empty"),
  externalId: text(256).nullish(),
  active: ZScimBoolean.nullish(),
  displayName: text(200).nullish(),
  name: ZName.nullish(),
  emails: z.array(ZEmail).max(20).nullish(),
});
export type TScimUserInput = z.infer<typeof ZScimUser>;

const ZMember = z.looseObject({ value: z.string().min(1).max(64) });

export const ZScimGroup = z.looseObject({
  displayName: text(256).refine((value) => value.trim().length > 0, "displayName must not be empty"),
  externalId: text(256).nullish(),
  members: z.array(ZMember).max(50_000).nullish(),
});
export type TScimGroupInput = z.infer<typeof ZScimGroup>;

/** Parses a resource body, or a SCIM 400 naming the attribute. */
export const parseResource = <TSchema extends z.ZodType>(schema: TSchema, body: unknown): z.infer<TSchema> => {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.join(".") || "body";
  throw badRequest("invalidValue", `${where}: ${issue?.message ?? "invalid"}`);
};

/** The address a SCIM person is reached at: the primary one, else the work one, else the first. */
export const primaryEmail = (emails: TScimUserInput["emails"]): string | null => {
  const list = emails ?? [];
  const chosen = list.find((email) => email.primary) ?? list.find((email) => email.type === "work") ?? list[0];
  const address = chosen?.value.trim().toLowerCase() ?? "";
  return /^[^\s@]+@[^\s@]+$/.test(address) ? address : null;
};

/** The name the portal shows: displayName, else the formatted or composed name, else userName. */
export const displayNameOf = (input: TScimUserInput): string => {
  const composed = [input.name?.givenName, input.name?.familyName].filter(Boolean).join(" ");
  return (input.displayName?.trim() || input.name?.formatted?.trim() || composed.trim() || input.userName).slice(
    0,
    200,
  );
};
