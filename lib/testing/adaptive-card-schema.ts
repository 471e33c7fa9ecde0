/**
 * A check of an Adaptive Card against the documented schema (the schema explorer at
 * https://adaptivecards.io/explorer/ and https://learn.microsoft.com/adaptive-cards/schema-explorer/,
 * as of schema 1.5), for the elements the portal's cards use: each element's required and
 * allowed properties, its enumerations, and the schema version that introduced each element
 * and property, which must not exceed the version the card declares. Anything outside this
 * subset is reported, not waved through. Written from the documentation, not vendored.
 */

type TProperty = {
  since: string;
  required?: boolean;
  kind: "string" | "boolean" | "array" | "uri" | "enum";
  values?: string[];
};
type TElement = { since: string; properties: Record<string, TProperty> };

// Properties every element inherits (Element / Action), with the version that added them.
const ELEMENT_COMMON: Record<string, TProperty> = {
  type: { since: "1.0", required: true, kind: "string" },
  id: { since: "1.0", kind: "string" },
  spacing: {
    since: "1.0",
    kind: "enum",
    values: ["default", "none", "small", "medium", "large", "extraLarge", "padding"],
  },
  separator: { since: "1.0", kind: "boolean" },
  isVisible: { since: "1.2", kind: "boolean" },
};

const SCHEMA: Record<string, TElement> = {
  AdaptiveCard: {
    since: "1.0",
    properties: {
      type: { since: "1.0", required: true, kind: "string" },
      version: { since: "1.0", required: true, kind: "string" },
      $schema: { since: "1.0", kind: "uri" },
      body: { since: "1.0", kind: "array" },
      actions: { since: "1.0", kind: "array" },
      fallbackText: { since: "1.0", kind: "string" },
      speak: { since: "1.0", kind: "string" },
      lang: { since: "1.0", kind: "string" },
      minHeight: { since: "1.2", kind: "string" },
      rtl: { since: "1.5", kind: "boolean" },
    },
  },
  TextBlock: {
    since: "1.0",
    properties: {
      ...ELEMENT_COMMON,
      text: { since: "1.0", required: true, kind: "string" },
      color: {
        since: "1.0",
        kind: "enum",
        values: ["default", "dark", "light", "accent", "good", "warning", "attention"],
      },
      fontType: { since: "1.2", kind: "enum", values: ["default", "monospace"] },
      horizontalAlignment: { since: "1.0", kind: "enum", values: ["left", "center", "right"] },
      isSubtle: { since: "1.0", kind: "boolean" },
      maxLines: { since: "1.0", kind: "string" },
      size: { since: "1.0", kind: "enum", values: ["default", "small", "medium", "large", "extraLarge"] },
      weight: { since: "1.0", kind: "enum", values: ["default", "lighter", "bolder"] },
      wrap: { since: "1.0", kind: "boolean" },
      style: { since: "1.5", kind: "enum", values: ["default", "heading"] },
    },
  },
  FactSet: {
    since: "1.0",
    properties: { ...ELEMENT_COMMON, facts: { since: "1.0", required: true, kind: "array" } },
  },
  "Action.OpenUrl": {
    since: "1.0",
    properties: {
      type: { since: "1.0", required: true, kind: "string" },
      url: { since: "1.0", required: true, kind: "uri" },
      title: { since: "1.0", kind: "string" },
      iconUrl: { since: "1.1", kind: "uri" },
      id: { since: "1.0", kind: "string" },
      style: { since: "1.2", kind: "enum", values: ["default", "positive", "destructive"] },
      tooltip: { since: "1.5", kind: "string" },
      isEnabled: { since: "1.5", kind: "boolean" },
    },
  },
};

const FACT: Record<string, TProperty> = {
  title: { since: "1.0", required: true, kind: "string" },
  value: { since: "1.0", required: true, kind: "string" },
};

const KNOWN_VERSIONS = ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6"];
const newer = (a: string, b: string): boolean => KNOWN_VERSIONS.indexOf(a) > KNOWN_VERSIONS.indexOf(b);

const checkObject = (
  value: unknown,
  properties: Record<string, TProperty>,
  version: string,
  where: string,
  problems: string[],
): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.push(`${where}: not an object`);
    return false;
  }
  const object = value as Record<string, unknown>;
  for (const [name, property] of Object.entries(properties))
    if (property.required && object[name] === undefined) problems.push(`${where}.${name}: required`);
  for (const [name, field] of Object.entries(object)) {
    const property = properties[name];
    if (!property) {
      problems.push(`${where}.${name}: not a property of this element`);
      continue;
    }
    if (newer(property.since, version))
      problems.push(`${where}.${name}: needs schema ${property.since}, card declares ${version}`);
    const ok =
      property.kind === "boolean"
        ? typeof field === "boolean"
        : property.kind === "array"
          ? Array.isArray(field)
          : property.kind === "enum"
            ? typeof field === "string" &&
              (property.values ?? []).includes(
                field.toLowerCase() === "extralarge" ? "extraLarge" : field.charAt(0).toLowerCase() + field.slice(1),
              )
            : property.kind === "uri"
              ? typeof field === "string" && URL.canParse(field)
              : typeof field === "string";
    if (!ok) problems.push(`${where}.${name}: ${JSON.stringify(field)} is not a valid ${property.kind}`);
  }
  return true;
};

const checkElement = (value: unknown, version: string, where: string, problems: string[]): void => {
  const type = (value as { type?: unknown } | null)?.type;
  const element = typeof type === "string" && type !== "AdaptiveCard" ? SCHEMA[type] : undefined;
  if (!element) {
    problems.push(`${where}: unknown element type ${JSON.stringify(type)}`);
    return;
  }
  if (newer(element.since, version)) problems.push(`${where}: ${type} needs schema ${element.since}`);
  if (!checkObject(value, element.properties, version, where, problems)) return;
  if (type === "FactSet")
    (value as { facts: unknown[] }).facts.forEach((fact, index) =>
      checkObject(fact, FACT, version, `${where}.facts[${index}]`, problems),
    );
};

/** The problems of a card (empty when it conforms). */
export const checkAdaptiveCard = (card: unknown): string[] => {
  const problems: string[] = [];
  const version = (card as { version?: unknown } | null)?.version;
  if (typeof version !== "string" || !KNOWN_VERSIONS.includes(version))
    return [`version: ${JSON.stringify(version)} is not a schema version`];
  if (!checkObject(card, SCHEMA.AdaptiveCard?.properties ?? {}, version, "card", problems)) return problems;
  const root = card as { type: unknown; body?: unknown[]; actions?: unknown[] };
  if (root.type !== "AdaptiveCard") problems.push('card.type: must be "AdaptiveCard"');
  (root.body ?? []).forEach((element, index) => checkElement(element, version, `body[${index}]`, problems));
  (root.actions ?? []).forEach((action, index) => checkElement(action, version, `actions[${index}]`, problems));
  return problems;
};
