import { type FormEvent, useState } from "react";
import { call } from "../../api/client";
import { replaceTokens, useSession } from "../../api/session";
import { Banner, Field, useSubmit } from "../../components/forms";

/** Settings > change your user password; this session continues, others end. */
export function PasswordPage() {
  const [currentPassword, setCurrent] = useState("");
  const [newPassword, setNew] = useState("");
  const [done, setDone] = useState(false);
  const { errors, banner, busy, run } = useSubmit();
  // Operation Permission rules may lock this setting (seed 000); the API refuses it too.
  const locked = useSession()?.principal.operations.change_password === false;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    void run(async () => {
      replaceTokens(await call("me.password", { body: { currentPassword, newPassword } }));
      setCurrent("");
      setNew("");
      setDone(true);
    });
  };
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <form className="card narrow" onSubmit={onSubmit} noValidate aria-labelledby="password-title">
        <h2 id="password-title">Change password</h2>
        <Banner message={banner} />
        {locked && (
          <Banner
            tone="info"
            message="Changing your password is locked by a Linkus permission rule. Ask your administrator."
          />
        )}
        {done && <Banner tone="success" message="Password changed. Your other sessions were logged out." />}
        <Field
          label="Current password"
          name="currentPassword"
          type="password"
          autoComplete="current-password"
          value={currentPassword}
          onChange={(e) => setCurrent(e.target.value)}
          error={errors.currentPassword}
        />
        <Field
          label="New password"
          name="newPassword"
          type="password"
          autoComplete="new-password"
          value={newPassword}
          onChange={(e) => setNew(e.target.value)}
          error={errors.newPassword}
          hint="At least 10 characters with a number, an upper-case and a lower-case letter"
        />
        <button type="submit" className="button-primary" disabled={busy || locked}>
          Change password
        </button>
      </form>
    </section>
  );
}
