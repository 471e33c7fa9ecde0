/** The discovery endpoints (RFC 7644 §4): what this service provider supports, stated honestly. */
import { LIST_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from "./schemas";
import { scimBaseUrl } from "./users";

const meta = (resourceType: string, path: string) => ({ resourceType, location: `${scimBaseUrl()}${path}` });

export const serviceProviderConfig = () => ({
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: 200 },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: true },
  authenticationSchemes: [
    {
      type: "oauthbearertoken",
      name: "Bearer token",
      description: "A directory token created in Admin > Directory sync.",
      primary: true,
    },
  ],
  meta: meta("ServiceProviderConfig", "/ServiceProviderConfig"),
});

const resourceTypes = () => [
  {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
    id: "User",
    name: "User",
    endpoint: "/Users",
    schema: USER_SCHEMA,
    meta: meta("ResourceType", "/ResourceTypes/User"),
  },
  {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
    id: "Group",
    name: "Group",
    endpoint: "/Groups",
    schema: GROUP_SCHEMA,
    meta: meta("ResourceType", "/ResourceTypes/Group"),
  },
];

const attribute = (name: string, options: Record<string, unknown> = {}) => ({
  name,
  type: "string",
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: "readWrite",
  returned: "default",
  uniqueness: "none",
  ...options,
});

const schemas = () => [
  {
    id: USER_SCHEMA,
    name: "User",
    description: "A person of the portal",
    attributes: [
      attribute("userName", { required: true, uniqueness: "server" }),
      attribute("externalId", { caseExact: true }),
      attribute("active", { type: "boolean" }),
      attribute("displayName"),
      attribute("name", {
        type: "complex",
        subAttributes: [
          attribute("formatted"),
          attribute("givenName"),
          attribute("familyName"),
          attribute("middleName"),
        ],
      }),
      attribute("emails", {
        type: "complex",
        multiValued: true,
        subAttributes: [attribute("value"), attribute("type"), attribute("primary", { type: "boolean" })],
      }),
      attribute("groups", { type: "complex", multiValued: true, mutability: "readOnly" }),
    ],
    meta: meta("Schema", `/Schemas/${USER_SCHEMA}`),
  },
  {
    id: GROUP_SCHEMA,
    name: "Group",
    description: "A group of the IdP; its name is what access policies name",
    attributes: [
      attribute("displayName", { required: true, uniqueness: "server" }),
      attribute("externalId", { caseExact: true }),
      attribute("members", {
        type: "complex",
        multiValued: true,
        subAttributes: [
          attribute("value", { mutability: "immutable" }),
          attribute("display", { mutability: "readOnly" }),
        ],
      }),
    ],
    meta: meta("Schema", `/Schemas/${GROUP_SCHEMA}`),
  },
];

const list = (resources: unknown[]) => ({
  schemas: [LIST_SCHEMA],
  totalResults: resources.length,
  startIndex: 1,
  itemsPerPage: resources.length,
  Resources: resources,
});

export const listResourceTypes = () => list(resourceTypes());
export const listSchemas = () => list(schemas());
