import { type FormEvent, useState } from "react";
import { ApiError, call } from "../../api/client";
import { signIn } from "../../api/session";
import { Banner, Field, useSubmit } from "../../components/forms";
import { navigate } from "../../router";

/** The login-security answers, said plainly: a blocked IP is told until when. */
export function loginProblem(error: ApiError): string {
  if (error.code === "ip_blocked" && typeof error.body.blockedUntil === "string") {
    const until = new Date(error.body.blockedUntil);
    return `Too many failed logins from this network address. Logging in is blocked until ${until.toLocaleString()}; ask your administrator to unblock it sooner.`;
  }
  if (error.status === 401) return "The server, email or extension number, or password is wrong.";
  return error.message;
}

/** Seed 000's manual login: server, email (or extension number) and user password. */
export function LoginPage() {
  const [server, setServer] = useState(() => localStorage.getItem("pbx.server") ?? "");
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  // The API names `email` or `extension`; both come from the one input.
  const { errors, banner, busy, run, setBanner } = useSubmit((field) => (field === "extension" ? "email" : field));

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const byNumber = /^\d+$/.test(user.trim());
      try {
        const answer = await call("auth.login", {
          body: { server, password, client: "web", ...(byNumber ? { extension: user } : { email: user }) },
        });
        localStorage.setItem("pbx.server", server.trim().toLowerCase());
        signIn(answer);
        navigate("/contacts", { replace: true });
      } catch (error) {
        if (error instanceof ApiError && error.status !== 400) return setBanner(loginProblem(error));
        throw error;
      }
    });
  };

  return (
    <main className="auth-page">
      <form className="card auth-card" onSubmit={onSubmit} noValidate aria-labelledby="login-title">
        <h1 id="login-title">Log in to Linkus</h1>
        <p className="muted">Use the details from your welcome email, or the quick login link in it.</p>
        <Banner message={banner} />
        <Field
          label="Server"
          name="server"
          value={server}
          onChange={(e) => setServer(e.target.value)}
          error={errors.server}
          autoComplete="organization"
          hint="Your PBX's name, as in the welcome email"
        />
        <Field
          label="Email or extension number"
          name="email"
          value={user}
          onChange={(e) => setUser(e.target.value)}
          error={errors.email}
          autoComplete="username"
        />
        <Field
          label="Password"
          name="password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
          autoComplete="current-password"
        />
        <button type="submit" className="button-primary" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
      </form>
    </main>
  );
}
