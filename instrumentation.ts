/**
 * Next.js calls onRequestError for every error a page, server action or route handler throws.
 * A database connection error marks the database down for this process, so the proxy answers
 * the following requests with a 503 until a probe sees it back (ADR 0021).
 */
import { noteDatabaseError } from "./lib/db/availability";

export const onRequestError = (error: unknown): void => {
  noteDatabaseError(error);
};
