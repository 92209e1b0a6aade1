import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { call } from "../../api/client";
import { Banner, Field, useNotice, useSubmit } from "../../components/forms";
import { Failed, Loading } from "../../components/states";
import { ListTable, RowButton } from "../../components/table";

/** Login security: failed-login limits and the allowlist, and the blocked IP addresses with unblock. */
export function SecurityPage() {
  return (
    <section aria-labelledby="security-title">
      <h1 id="security-title">Login security</h1>
      <LoginSettings />
      <BlockedIps />
    </section>
  );
}

function LoginSettings() {
  const queries = useQueryClient();
  const settings = useQuery({ queryKey: ["loginSettings"], queryFn: () => call("security.loginSettings.get") });
  const [values, setValues] = useState({ maxFailures: "", windowMinutes: "", blockMinutes: "", allowlist: "" });
  const [saved, setSaved] = useState(false);
  const { errors, banner, busy, run } = useSubmit((field) => field.split(".")[0] ?? field);
  useEffect(() => {
    if (!settings.data) return;
    const { maxFailures, windowMinutes, blockMinutes, allowlist } = settings.data;
    setValues({
      maxFailures: String(maxFailures),
      windowMinutes: String(windowMinutes),
      blockMinutes: String(blockMinutes),
      allowlist: allowlist.join("\n"),
    });
  }, [settings.data]);
  if (settings.isPending) return <Loading what="login security settings" />;
  if (settings.isError) return <Failed error={settings.error} />;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    void run(async () => {
      const body = {
        maxFailures: Number(values.maxFailures),
        windowMinutes: Number(values.windowMinutes),
        blockMinutes: Number(values.blockMinutes),
        allowlist: values.allowlist
          .split(/[\s,]+/)
          .map((entry) => entry.trim())
          .filter(Boolean),
      };
      queries.setQueryData(["loginSettings"], await call("security.loginSettings.update", { body }));
      setSaved(true);
    });
  };
  const number = (name: "maxFailures" | "windowMinutes" | "blockMinutes") => ({
    name,
    type: "number",
    inputMode: "numeric" as const,
    value: values[name],
    error: errors[name],
    onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [name]: e.target.value })),
  });
  return (
    <form className="card" onSubmit={onSubmit} noValidate aria-labelledby="limits-title">
      <h2 id="limits-title">Failed logins</h2>
      <Banner message={banner} />
      {saved && <Banner tone="success" message="Login security settings saved." />}
      <div className="grid">
        <Field label="Failed logins before blocking" {...number("maxFailures")} />
        <Field label="Within (minutes)" {...number("windowMinutes")} />
        <Field label="Block for (minutes)" {...number("blockMinutes")} />
      </div>
      <div className="field">
        <label htmlFor="allowlist">Never block these addresses (IP or CIDR, one a line)</label>
        <textarea
          id="allowlist"
          name="allowlist"
          rows={3}
          value={values.allowlist}
          aria-invalid={errors.allowlist ? true : undefined}
          aria-describedby={errors.allowlist ? "allowlist-error" : undefined}
          onChange={(e) => setValues((v) => ({ ...v, allowlist: e.target.value }))}
        />
        {errors.allowlist && (
          <p id="allowlist-error" className="field-error" role="alert">
            Allowlist entry {errors.allowlist}
          </p>
        )}
      </div>
      <button type="submit" className="button-primary" disabled={busy}>
        Save
      </button>
    </form>
  );
}

function BlockedIps() {
  const blocked = useQuery({ queryKey: ["blockedIps"], queryFn: () => call("security.blockedIps.list") });
  const notice = useNotice();
  const unblock = (ip: string) =>
    notice.attempt(async () => {
      await call("security.blockedIps.unblock", { params: { ip } });
      await blocked.refetch();
      return `${ip} unblocked.`;
    });
  return (
    <div className="card">
      <h2>Blocked IP addresses</h2>
      {notice.banner}
      <ListTable
        query={blocked}
        what="blocked addresses"
        empty="No address is blocked."
        caption="Blocked IP addresses"
        rowKey={(entry) => entry.ip}
        columns={[
          { header: "Address", cell: (entry) => entry.ip },
          { header: "Client", cell: (entry) => (entry.clientKind === "web" ? "Web Client" : "Linkus clients") },
          { header: "Blocked at", cell: (entry) => new Date(entry.blockedAt).toLocaleString() },
          { header: "Until", cell: (entry) => new Date(entry.blockedUntil).toLocaleString() },
          {
            header: "Actions",
            cell: (entry) => <RowButton label="Unblock" row={entry.ip} onClick={() => void unblock(entry.ip)} />,
          },
        ]}
      />
    </div>
  );
}
