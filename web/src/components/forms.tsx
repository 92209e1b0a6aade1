/** Labelled fields whose errors sit under them, and the submit cycle shared by every form. */
import { type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, useId, useState } from "react";
import { ApiError } from "../api/client";

export type FieldErrors = Record<string, string>;

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string;
  name: string;
  error?: string;
  hint?: ReactNode;
}

export function Field({ label, name, error, hint, ...input }: FieldProps) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={error || hint ? `${id}-note` : undefined}
        {...input}
      />
      <FieldNote id={`${id}-note`} label={label} error={error} hint={hint} />
    </div>
  );
}

interface SelectProps extends SelectHTMLAttributes<HTMLSelectElement> {
  label: string;
  name: string;
  error?: string;
  hint?: ReactNode;
  children: ReactNode;
}

export function SelectField({ label, name, error, hint, children, ...select }: SelectProps) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={error || hint ? `${id}-note` : undefined}
        {...select}
      >
        {children}
      </select>
      <FieldNote id={`${id}-note`} label={label} error={error} hint={hint} />
    </div>
  );
}

function FieldNote({ id, label, error, hint }: { id: string; label: string; error?: string; hint?: ReactNode }) {
  if (error) {
    return (
      <p id={id} className="field-error" role="alert">
        {/* The API's messages read as predicates ("must be ..."), so the label makes them a sentence. */}
        {/^[a-z]/.test(error) ? `${label} ${error}` : error}
      </p>
    );
  }
  return hint ? (
    <p id={id} className="field-hint">
      {hint}
    </p>
  ) : null;
}

/**
 * Runs a submit: client-side checks and the API call throw the same ApiError, whose named
 * fields land next to their inputs (`fieldFor` maps an API field path to a form field);
 * anything else becomes the form's banner.
 */
export function useSubmit(fieldFor: (apiField: string) => string = (field) => field) {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [banner, setBanner] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function run(action: () => Promise<void>) {
    setBusy(true);
    setErrors({});
    setBanner(undefined);
    try {
      await action();
    } catch (error) {
      if (error instanceof ApiError) {
        const fields = Object.fromEntries(
          Object.entries(error.fieldMessages()).map(([field, message]) => [fieldFor(field), message]),
        );
        setErrors(fields);
        if (Object.keys(fields).length === 0) setBanner(error.message);
      } else {
        setBanner("The server could not be reached. Check your connection and try again.");
      }
    } finally {
      setBusy(false);
    }
  }
  return { errors, banner, busy, run, setBanner };
}

export function Banner({ message, tone = "error" }: { message?: string; tone?: "error" | "info" | "success" }) {
  if (!message) return null;
  return (
    <p className={`banner banner-${tone}`} role={tone === "error" ? "alert" : "status"}>
      {message}
    </p>
  );
}
