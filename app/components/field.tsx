/**
 * What every portal form shares: the input style (a red border when refused), the error line
 * under a field, and the aria attributes that tie a field to its hint and its error.
 */
export const inputClass =
  "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 aria-[invalid=true]:border-red-600";

export const FieldError = ({ id, message }: { id: string; message?: string }) =>
  message ? (
    <p id={id} className="mt-1 text-sm text-red-700">
      {message}
    </p>
  ) : null;

/** `aria-invalid` and `aria-describedby` for a field named `name`, from the refusal's field errors. */
export const fieldAria = (errors: Record<string, string>) => ({
  invalid: (name: string) => (errors[name] ? true : undefined),
  describedBy: (name: string, hint?: string) =>
    [hint, errors[name] ? `${name}-error` : undefined].filter(Boolean).join(" ") || undefined,
});
