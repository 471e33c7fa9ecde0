/**
 * The one wrapper every server action goes through. Every export of a "use server" module is
 * a public endpoint that anyone can POST any arguments to (React's reply protocol carries
 * strings, numbers, objects, arrays, Dates, Maps, FormData, Blobs, temporary references...),
 * so the types in an action's signature are a wish, not a guarantee:
 *
 * - `formAction` (the `useActionState` shape `(previous, form: FormData)`) refuses anything but
 *   a FormData before the handler runs; `previous` is ignored, whatever it is.
 * - `dataAction` (actions called with plain values) refuses anything that is not plain JSON
 *   data (null, booleans, finite numbers, strings, arrays and plain objects, at most
 *   MAX_ARGUMENT_DEPTH deep): a Map, a Blob or a temporary reference never reaches zod or the
 *   domain, where touching it could throw.
 * - an `AppError` from the handler (or the domain under it) becomes the action's refusal with
 *   its message, and so does a database that is down or overloaded (lib/errors.ts asAppError,
 *   "try again in a moment"); Next's own control flow (redirect, notFound, forbidden) passes through; any
 *   other error is a bug: logged with an id and answered with a generic refusal naming that id,
 *   never a 500 page and never a stack trace.
 *
 * A refusal is `{ ok: false, message }` (each action maps it to its own result shape) and goes
 * out as HTTP 200 in React's protocol: see docs/decisions/0022-hostile-input.md.
 */
import { randomUUID } from "node:crypto";
import { unstable_rethrow } from "next/navigation";
import { AppError, asAppError, INTERNAL_REFUSAL_PREFIX } from "../errors";
import { logger } from "../log";

/** A refusal as the wrapper hands it to an action's `refuse`: AppError-shaped, code included. */
export type TRefusal = Pick<AppError, "code" | "message" | "fields">;

export const MAX_ARGUMENT_DEPTH = 32;

const refusal = (message: string): TRefusal => new AppError("INVALID_INPUT", message);

/** Plain JSON data only, without touching anything that is not (a getter or proxy could throw). */
export const isPlainData = (value: unknown, depth = 0): boolean => {
  if (depth > MAX_ARGUMENT_DEPTH) return false;
  if (value === null || value === undefined) return true;
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (Array.isArray(value)) return value.every((item) => isPlainData(item, depth + 1));
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      return Object.values(value as Record<string, unknown>).every((item) => isPlainData(item, depth + 1));
    }
    default:
      // function (server references, temporary references), bigint, symbol
      return false;
  }
};

/** An unexpected error as the log records it (ECS `error.message`, `error.stack_trace`). */
const errorFields = (error: unknown) => ({
  message: error instanceof Error ? error.message : String(error),
  stack_trace: error instanceof Error ? error.stack : undefined,
});

const settle = async <TState>(run: () => Promise<TState>, refuse: (refusal: TRefusal) => TState): Promise<TState> => {
  try {
    return await run();
  } catch (error) {
    // redirect(), notFound(), forbidden() and Next's dynamic-rendering bailouts work by throwing.
    unstable_rethrow(error);
    // An AppError as it is; a database that is down or overloaded as its 503 message (asAppError).
    const known = asAppError(error);
    if (known) return refuse(known);
    const id = randomUUID();
    logger().error({ error: { id, ...errorFields(error) } }, "server action failed");
    return refuse(new AppError("UNAVAILABLE", `${INTERNAL_REFUSAL_PREFIX} (error ${id}). Try again.`));
  }
};

/**
 * For `useActionState` actions: `(previous, form: FormData)`. The handler sees only a real
 * FormData; `refuse` gets the form when there is one, so it can send back what was typed.
 */
export const formAction =
  <TState>(
    refuse: (refusal: TRefusal, form: FormData | null) => TState,
    handler: (form: FormData) => Promise<TState>,
  ) =>
  async (_previous: TState, form: FormData): Promise<TState> => {
    const received: unknown = form;
    if (!(received instanceof FormData)) return refuse(refusal("Invalid request: this action takes a form."), null);
    return settle(
      () => handler(received),
      (reason) => refuseEchoing(refuse, reason, received),
    );
  };

/** The refusal with the sender's form echoed back; if echoing it throws (it is hostile data), without. */
const refuseEchoing = <TState>(
  refuse: (refusal: TRefusal, form: FormData | null) => TState,
  reason: TRefusal,
  form: FormData,
): TState => {
  try {
    return refuse(reason, form);
  } catch (error) {
    logger().error({ error: errorFields(error) }, "server action refusal could not echo the form");
    return refuse(reason, null);
  }
};

/**
 * For actions called with plain values (`cancelRequestAction(id)`, `decideRequestAction({...})`):
 * every argument must be plain data before the handler (which still validates with zod) runs.
 */
export const dataAction =
  <TArgs extends unknown[], TState>(
    refuse: (refusal: TRefusal) => TState,
    handler: (...args: TArgs) => Promise<TState>,
  ) =>
  async (...args: TArgs): Promise<TState> => {
    if (!args.every((arg) => isPlainData(arg)))
      return refuse(refusal("Invalid request: arguments must be plain data."));
    return settle(() => handler(...args), refuse);
  };
