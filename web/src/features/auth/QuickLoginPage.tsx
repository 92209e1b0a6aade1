import { useEffect, useState } from "react";
import { ApiError, call } from "../../api/client";
import { signIn } from "../../api/session";
import { Link, navigate } from "../../router";

/**
 * Where the welcome email's link and QR code land: `/quick-login#token=...`. The token rides
 * in the fragment so it never reaches a server log; it is read, wiped from the address bar,
 * and exchanged once.
 */
// The token is single use: read it once, and exchange it once even if the effect runs twice.
let taken: string | null | undefined;
let exchanging: { token: string; answer: ReturnType<typeof exchangeOnce> } | undefined;

function takeToken(): string | null {
  if (taken === undefined) {
    taken = new URLSearchParams(window.location.hash.slice(1)).get("token");
    history.replaceState(null, "", "/quick-login");
  }
  return taken;
}

function exchangeOnce(token: string) {
  return call("auth.quickLogin", { body: { token, client: "web" } });
}

function exchange(token: string) {
  if (exchanging?.token !== token) exchanging = { token, answer: exchangeOnce(token) };
  return exchanging.answer;
}

export function QuickLoginPage() {
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    const token = takeToken();
    if (!token) {
      setProblem("This link has no login token. Open the link from your welcome email again.");
      return;
    }
    let cancelled = false;
    exchange(token)
      .then((answer) => {
        if (cancelled) return;
        signIn(answer);
        navigate("/contacts", { replace: true });
      })
      .catch((error: unknown) => {
        if (cancelled) return;
        setProblem(
          error instanceof ApiError && error.status === 401
            ? "This quick login link has expired or was already used. Ask your administrator for a new welcome email, or log in with your password."
            : error instanceof ApiError
              ? error.message
              : "The server could not be reached.",
        );
      });
    return () => {
      cancelled = true;
    };
  }, []);
  return (
    <main className="auth-page">
      <section className="card auth-card" aria-labelledby="quick-title">
        <h1 id="quick-title">Quick login</h1>
        {problem ? (
          <>
            <p role="alert" className="banner banner-error">
              {problem}
            </p>
            <Link to="/login">Log in with your password</Link>
          </>
        ) : (
          <p role="status">Logging you in…</p>
        )}
      </section>
    </main>
  );
}
