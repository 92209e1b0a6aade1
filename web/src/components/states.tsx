/** Loading, empty and failed states that say why, so an empty screen is never a mystery. */
import type { ReactNode } from "react";
import { ApiError } from "../api/client";

export function Loading({ what }: { what: string }) {
  return (
    <p className="state" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>;
}

export function Failed({ error }: { error: unknown }) {
  let message = "Something went wrong loading this page.";
  if (error instanceof ApiError) {
    message =
      error.status === 403
        ? `You do not have access to this: ${error.message}${error.body.permission ? ` (needs ${String(error.body.permission)})` : ""}.`
        : error.message;
  }
  return (
    <p className="state state-failed" role="alert">
      {message}
    </p>
  );
}
