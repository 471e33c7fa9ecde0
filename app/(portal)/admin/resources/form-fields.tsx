import type { ReactNode } from "react";
import type { TFormResult } from "./form-data";

/** What a form shows again after a refusal: the submitted values, else the initial ones. */
export const formState = (result: TFormResult | null) => {
  const refused = result && !result.ok ? result : null;
  return {
    error: (name: string): string | undefined => refused?.fields[name],
    text: (name: string, initial: string): string => refused?.values[name]?.[0] ?? initial,
    checked: (name: string, value: string, initial: boolean): boolean =>
      refused ? (refused.values[name] ?? []).includes(value) : initial,
    /** Whether a refused submission named any of these fields, with a reason or with a value. */
    touched: (names: readonly string[]): boolean =>
      names.some((name) => refused?.fields[name] || (refused?.values[name] ?? []).some((value) => value !== "")),
  };
};

const inputClass =
  "mt-1 block w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm aria-[invalid=true]:border-red-600 focus:outline-none focus:ring-2 focus:ring-slate-900";

type TFieldProps = {
  id: string;
  name: string;
  label: string;
  hint?: string;
  error?: string;
};

const Described = ({ id, hint, error }: { id: string; hint?: string; error?: string }) => (
  <>
    {hint ? (
      <p id={`${id}-hint`} className="mt-1 text-xs text-slate-600">
        {hint}
      </p>
    ) : null}
    {error ? (
      <p id={`${id}-error`} className="mt-1 text-sm text-red-700">
        {error}
      </p>
    ) : null}
  </>
);

const describedBy = (id: string, hint?: string, error?: string) =>
  [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;

export const TextField = ({
  id,
  name,
  label,
  hint,
  error,
  defaultValue,
  type = "text",
  required,
  min,
  max,
  multiline,
  rows = 2,
}: TFieldProps & {
  defaultValue: string;
  type?: "text" | "number";
  required?: boolean;
  min?: number;
  max?: number;
  multiline?: boolean;
  /** A multiline field's height in lines. */
  rows?: number;
}) => (
  <div>
    <label htmlFor={id} className="block text-sm font-medium">
      {label}
    </label>
    {multiline ? (
      <textarea
        id={id}
        name={name}
        defaultValue={defaultValue}
        required={required}
        rows={rows}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        className={inputClass}
      />
    ) : (
      <input
        id={id}
        name={name}
        type={type}
        defaultValue={defaultValue}
        required={required}
        min={min}
        max={max}
        step={type === "number" ? 1 : undefined}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        className={inputClass}
      />
    )}
    <Described id={id} hint={hint} error={error} />
  </div>
);

export const SelectField = ({
  id,
  name,
  label,
  hint,
  error,
  defaultValue,
  options,
}: TFieldProps & { defaultValue: string; options: ReadonlyArray<{ value: string; label: string }> }) => (
  <div>
    <label htmlFor={id} className="block text-sm font-medium">
      {label}
    </label>
    <select
      id={id}
      name={name}
      defaultValue={defaultValue}
      aria-invalid={error ? true : undefined}
      aria-describedby={describedBy(id, hint, error)}
      className={inputClass}
    >
      {options.map((option) => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </select>
    <Described id={id} hint={hint} error={error} />
  </div>
);

export const CheckboxField = ({
  id,
  name,
  label,
  hint,
  error,
  defaultChecked,
}: TFieldProps & { defaultChecked: boolean }) => (
  <div>
    <div className="flex items-center gap-2">
      <input
        id={id}
        name={name}
        type="checkbox"
        defaultChecked={defaultChecked}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        className="h-4 w-4"
      />
      <label htmlFor={id} className="text-sm font-medium">
        {label}
      </label>
    </div>
    <Described id={id} hint={hint} error={error} />
  </div>
);

/** A set of checkboxes sharing one name, labelled by its legend. */
export const CheckboxGroup = ({
  id,
  name,
  label,
  hint,
  error,
  options,
  isChecked,
}: TFieldProps & { options: string[]; isChecked: (value: string) => boolean }) => (
  <fieldset aria-describedby={describedBy(id, hint, error)} aria-invalid={error ? true : undefined}>
    <legend className="text-sm font-medium">{label}</legend>
    <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
      {options.map((option) => (
        <label key={option} className="flex items-center gap-1.5 text-sm">
          <input type="checkbox" name={name} value={option} defaultChecked={isChecked(option)} className="h-4 w-4" />
          {option}
        </label>
      ))}
    </div>
    <Described id={id} hint={hint} error={error} />
  </fieldset>
);

export const SubmitButton = ({
  children,
  pending,
  tone = "primary",
  name,
  value,
}: {
  children: ReactNode;
  pending: boolean;
  tone?: "primary" | "secondary" | "danger";
  name?: string;
  value?: string;
}) => {
  const tones = {
    primary: "bg-slate-900 text-white hover:bg-slate-700",
    secondary: "border border-slate-300 bg-white text-slate-900 hover:bg-slate-50",
    danger: "border border-red-300 bg-white text-red-800 hover:bg-red-50",
  };
  return (
    <button
      type="submit"
      name={name}
      value={value}
      disabled={pending}
      className={`rounded-md px-3 py-1.5 text-sm font-medium focus:ring-2 focus:ring-slate-900 focus:outline-none disabled:opacity-60 ${tones[tone]}`}
    >
      {children}
    </button>
  );
};

/** The outcome of the last submission, announced to screen readers. */
export const FormMessage = ({ result }: { result: TFormResult | null }) => (
  <p role="status" aria-live="polite" className={`text-sm ${result?.ok === false ? "text-red-700" : "text-green-800"}`}>
    {result?.message ?? ""}
  </p>
);
