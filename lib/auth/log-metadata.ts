/** The message of next-auth's logger metadata: an Error, `{ message }` or `{ error: Error }`. */
export const errorMessageOf = (metadata: unknown): string => {
  if (metadata instanceof Error) return metadata.message;
  if (!metadata || typeof metadata !== "object") return "";
  const record = metadata as { message?: unknown; error?: unknown };
  if (typeof record.message === "string" && record.message !== "") return record.message;
  if (record.error instanceof Error) return record.error.message;
  return "";
};
