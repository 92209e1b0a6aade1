import { type FormEvent, useState } from "react";
import { type CallOutput, call, setTransport } from "../../api/client";
import { accessToken, refreshNow } from "../../api/session";
import { Banner, Field, useSubmit } from "../../components/forms";

type Tenant = CallOutput<"platform.tenants.list">["items"][number];

/**
 * The SaaS operator's console: tenants with their state; provision (the administrator's
 * one-time password shown once), suspend, resume, delete. The platform key stays in memory only.
 */
export function OperatorPage() {
  const [key, setKey] = useState("");
  const [tenants, setTenants] = useState<Tenant[]>();
  const [created, setCreated] = useState<string>();
  const [form, setForm] = useState({ name: "", slug: "", adminEmail: "" });
  const login = useSubmit();
  const provision = useSubmit();

  const withKey = async <T,>(action: () => Promise<T>): Promise<T> => {
    setTransport({ token: () => key, refresh: async () => false });
    try {
      return await action();
    } finally {
      setTransport({ token: accessToken, refresh: refreshNow });
    }
  };
  const [cursor, setCursor] = useState<string>();
  const load = async (after?: string) => {
    const page = await withKey(() => call("platform.tenants.list", { query: { limit: 50, cursor: after } }));
    setTenants((list) => [...(after ? (list ?? []) : []), ...page.items]);
    setCursor(page.nextCursor);
  };
  // Rows change in place from each answer, so a long list is not read again after every action.
  const replace = (next: Tenant) => setTenants((list) => list?.map((t) => (t.id === next.id ? next : t)));
  const act = async (tenant: Tenant, action: "suspend" | "resume" | "delete") => {
    if (action === "delete" && !window.confirm(`Delete ${tenant.name} (${tenant.slug}) and everything it holds?`))
      return;
    const params = { tenantId: tenant.id };
    if (action === "delete") {
      await withKey(() => call("platform.tenants.delete", { params }));
      setTenants((list) => list?.filter((t) => t.id !== tenant.id));
    } else if (action === "suspend") {
      replace(await withKey(() => call("platform.tenants.suspend", { params })));
    } else {
      replace(await withKey(() => call("platform.tenants.resume", { params })));
    }
  };
  const onProvision = (event: FormEvent) => {
    event.preventDefault();
    void provision.run(async () => {
      const answer = await withKey(() => call("platform.tenants.create", { body: form }));
      setCreated(
        `${answer.tenant.name} is ready. Administrator ${form.adminEmail}, password (shown once): ${answer.initialPassword ?? "(as given)"}`,
      );
      setForm({ name: "", slug: "", adminEmail: "" });
      setTenants((list) => [answer.tenant, ...(list ?? [])]);
    });
  };

  if (!tenants) {
    return (
      <main className="auth-page">
        <form
          className="card auth-card"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void login.run(() => load());
          }}
        >
          <h1>Operator console</h1>
          <Banner message={login.banner} />
          <Field
            label="Platform key"
            name="key"
            type="password"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            autoComplete="off"
          />
          <button type="submit" className="button-primary">
            Open
          </button>
        </form>
      </main>
    );
  }
  return (
    <main className="content operator">
      <h1>Tenants</h1>
      {created && <Banner tone="success" message={created} />}
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">Tenants</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Server</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {tenants.map((tenant) => (
              <tr key={tenant.id}>
                <td>{tenant.name}</td>
                <td>{tenant.slug}</td>
                <td>{tenant.status}</td>
                <td className="row-actions">
                  {tenant.status === "active" ? (
                    <button type="button" onClick={() => void act(tenant, "suspend")}>
                      Suspend<span className="visually-hidden"> {tenant.slug}</span>
                    </button>
                  ) : (
                    <button type="button" onClick={() => void act(tenant, "resume")}>
                      Resume<span className="visually-hidden"> {tenant.slug}</span>
                    </button>
                  )}
                  <button type="button" className="button-danger" onClick={() => void act(tenant, "delete")}>
                    Delete<span className="visually-hidden"> {tenant.slug}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {cursor && (
        <button type="button" onClick={() => void load(cursor)}>
          Show more tenants
        </button>
      )}
      <form className="card narrow" onSubmit={onProvision} noValidate>
        <h2>Provision a tenant</h2>
        <Banner message={provision.banner} />
        <Field
          label="Name"
          name="name"
          value={form.name}
          error={provision.errors.name}
          onChange={(e) => setForm({ ...form, name: e.target.value })}
        />
        <Field
          label="Server (slug)"
          name="slug"
          value={form.slug}
          error={provision.errors.slug}
          onChange={(e) => setForm({ ...form, slug: e.target.value })}
        />
        <Field
          label="Administrator email"
          name="adminEmail"
          type="email"
          value={form.adminEmail}
          error={provision.errors.adminEmail}
          onChange={(e) => setForm({ ...form, adminEmail: e.target.value })}
        />
        <button type="submit" className="button-primary">
          Provision
        </button>
      </form>
    </main>
  );
}
