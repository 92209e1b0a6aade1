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

export interface Notice {
  tone: "success" | "error";
  text: string;
}

/** A page's last outcome ("Sent again", or the API's refusal), shown in a banner above its list. */
export function useNotice() {
  const [notice, setNotice] = useState<Notice>();
  const banner = notice ? <Banner tone={notice.tone} message={notice.text} /> : null;
  /** Runs an action; its refusal becomes the error notice, its success message (if any) the success one. */
  async function attempt(action: () => Promise<string | undefined>) {
    try {
      const done = await action();
      if (done) setNotice({ tone: "success", text: done });
    } catch (error) {
      setNotice({ tone: "error", text: (error as Error).message });
    }
  }
  return { notice, setNotice, banner, attempt };
}

/** Cancel and submit, the end of every inline form. */
export function FormActions({ onCancel, busy, submit }: { onCancel: () => void; busy: boolean; submit: string }) {
  return (
    <div className="actions">
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="button-primary" disabled={busy}>
        {submit}
      </button>
    </div>
  );
}

/** Checkboxes choosing a subset of `options`, with the API's error for the whole set under them. */
export function CheckboxGroup<T extends string>({
  legend,
  options,
  label,
  value,
  onChange,
  error,
}: {
  legend: string;
  options: readonly T[];
  label: (option: T) => ReactNode;
  value: readonly T[];
  onChange: (next: T[]) => void;
  error?: string;
}) {
  return (
    <fieldset className="field">
      <legend>{legend}</legend>
      <div className="choices">
        {options.map((option) => (
          <label key={option} className="check">
            <input
              type="checkbox"
              checked={value.includes(option)}
              onChange={(e) => onChange(e.target.checked ? [...value, option] : value.filter((o) => o !== option))}
            />
            {label(option)}
          </label>
        ))}
      </div>
      {error && (
        <p className="field-error" role="alert">
          {legend}: {error}
        </p>
      )}
    </fieldset>
  );
}
