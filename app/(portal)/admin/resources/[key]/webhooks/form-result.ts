import type { TFormResult } from "../../form-data";

/** A form's outcome; after a creation, the signing secret, which this answer alone carries. */
export type TWebhookFormResult = Extract<TFormResult, { ok: false }> | { ok: true; message: string; secret?: string };
