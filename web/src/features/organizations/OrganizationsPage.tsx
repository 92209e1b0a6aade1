import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { type CallOutput, call } from "../../api/client";
import { useSession } from "../../api/session";
import { Banner, Field, SelectField, useSubmit } from "../../components/forms";
import { Empty, Failed, Loading } from "../../components/states";

type Organization = CallOutput<"organizations.list">["items"][number];

/** Organizations (seed 002's Organization field), and the Organization Management switch. */
export function OrganizationsPage() {
  const queries = useQueryClient();
  const canSettings = useSession()?.principal.permissions.includes("settings.manage") ?? false;
  const settings = useQuery({ queryKey: ["settings"], queryFn: () => call("settings.get"), enabled: canSettings });
  const list = useQuery({ queryKey: ["organizations"], queryFn: () => call("organizations.list") });
  const [editing, setEditing] = useState<Organization | "new">();
  const [values, setValues] = useState({ name: "", description: "", parentId: "" });
  const [notice, setNotice] = useState<{ tone: "success" | "error"; text: string }>();
  const { errors, banner, busy, run } = useSubmit();
  const open = (organization?: Organization) => {
    setEditing(organization ?? "new");
    setValues({
      name: organization?.name ?? "",
      description: organization?.description ?? "",
      parentId: organization?.parentId ?? "",
    });
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const body = { ...values, parentId: values.parentId || null };
      if (editing && editing !== "new") {
        await call("organizations.update", { params: { organizationId: editing.id }, body });
      } else await call("organizations.create", { body });
      setEditing(undefined);
      await queries.invalidateQueries({ queryKey: ["organizations"] });
    });
  };
  const remove = async (organization: Organization) => {
    if (!window.confirm(`Delete the organization “${organization.name}”?`)) return;
    try {
      await call("organizations.delete", { params: { organizationId: organization.id } });
      await queries.invalidateQueries({ queryKey: ["organizations"] });
    } catch (error) {
      setNotice({ tone: "error", text: (error as Error).message });
    }
  };
  const toggle = async (on: boolean) => {
    queries.setQueryData(["settings"], await call("settings.update", { body: { organizationManagement: on } }));
  };
  const names = new Map(list.data?.items.map((o) => [o.id, o.name]));
  return (
    <section aria-labelledby="organizations-title">
      <div className="page-head">
        <h1 id="organizations-title">Organizations</h1>
        <button type="button" className="button-primary" onClick={() => open()}>
          Add organization
        </button>
      </div>
      {settings.data && (
        <label className="check card">
          <input
            type="checkbox"
            checked={settings.data.organizationManagement}
            onChange={(e) => void toggle(e.target.checked)}
          />
          Organization Management (shows the Organization field on extensions)
        </label>
      )}
      {notice && <Banner tone={notice.tone} message={notice.text} />}
      {editing && (
        <form className="card inset" onSubmit={onSubmit} noValidate aria-label="Organization">
          <Banner message={banner} />
          <div className="grid">
            <Field
              label="Name"
              name="name"
              value={values.name}
              error={errors.name}
              onChange={(e) => setValues({ ...values, name: e.target.value })}
            />
            <Field
              label="Description"
              name="description"
              value={values.description}
              error={errors.description}
              onChange={(e) => setValues({ ...values, description: e.target.value })}
            />
            <SelectField
              label="Parent organization"
              name="parentId"
              value={values.parentId}
              error={errors.parentId}
              onChange={(e) => setValues({ ...values, parentId: e.target.value })}
            >
              <option value="">None (top level)</option>
              {list.data?.items
                .filter((o) => editing === "new" || o.id !== editing.id)
                .map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name}
                  </option>
                ))}
            </SelectField>
          </div>
          <div className="actions">
            <button type="button" onClick={() => setEditing(undefined)}>
              Cancel
            </button>
            <button type="submit" className="button-primary" disabled={busy}>
              Save
            </button>
          </div>
        </form>
      )}
      {list.isPending ? (
        <Loading what="organizations" />
      ) : list.isError ? (
        <Failed error={list.error} />
      ) : list.data.items.length === 0 ? (
        <Empty>No organizations yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Organizations</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Parent</th>
                <th scope="col">Members</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((organization) => (
                <tr key={organization.id}>
                  <td>{organization.name}</td>
                  <td>{organization.parentId ? names.get(organization.parentId) : "—"}</td>
                  <td>{organization.memberCount}</td>
                  <td className="row-actions">
                    <button type="button" onClick={() => open(organization)}>
                      Edit<span className="visually-hidden"> {organization.name}</span>
                    </button>
                    <button type="button" className="button-danger" onClick={() => void remove(organization)}>
                      Delete<span className="visually-hidden"> {organization.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
