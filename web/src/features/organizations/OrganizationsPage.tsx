import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { type CallOutput, call } from "../../api/client";
import { useSession } from "../../api/session";
import { Banner, Field, FormActions, SelectField, useNotice, useSubmit } from "../../components/forms";
import { EditDeleteButtons, ListTable } from "../../components/table";

type Organization = CallOutput<"organizations.list">["items"][number];

/** Organizations (seed 002's Organization field), and the Organization Management switch. */
export function OrganizationsPage() {
  const queries = useQueryClient();
  const canSettings = useSession()?.principal.permissions.includes("settings.manage") ?? false;
  const settings = useQuery({ queryKey: ["settings"], queryFn: () => call("settings.get"), enabled: canSettings });
  const list = useQuery({ queryKey: ["organizations"], queryFn: () => call("organizations.list") });
  const [editing, setEditing] = useState<Organization | "new">();
  const [values, setValues] = useState({ name: "", description: "", parentId: "" });
  const notice = useNotice();
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
    await notice.attempt(async () => {
      await call("organizations.delete", { params: { organizationId: organization.id } });
      await queries.invalidateQueries({ queryKey: ["organizations"] });
      return undefined;
    });
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
      {notice.banner}
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
          <FormActions onCancel={() => setEditing(undefined)} busy={busy} submit="Save" />
        </form>
      )}
      <ListTable
        query={list}
        what="organizations"
        empty="No organizations yet."
        caption="Organizations"
        rowKey={(o) => o.id}
        columns={[
          { header: "Name", cell: (o) => o.name },
          { header: "Parent", cell: (o) => (o.parentId ? names.get(o.parentId) : "—") },
          { header: "Members", cell: (o) => o.memberCount },
          {
            header: "Actions",
            className: "row-actions",
            cell: (o) => <EditDeleteButtons name={o.name} onEdit={() => open(o)} onDelete={() => void remove(o)} />,
          },
        ]}
      />
    </section>
  );
}
