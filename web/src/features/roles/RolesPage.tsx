import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { PERMISSIONS, type Permission } from "../../../../layers/core/permissions.js";
import { type CallOutput, call } from "../../api/client";
import { useSession } from "../../api/session";
import { Banner, CheckboxGroup, Field, FormActions, SelectField, useNotice, useSubmit } from "../../components/forms";
import { EditDeleteButtons, ListTable } from "../../components/table";

type Role = CallOutput<"roles.list">["items"][number];

/** "extensions.manage" → "Extensions: manage", grouped by what they govern. */
function permissionName(permission: Permission): string {
  const [area = "", action = ""] = permission.split(".");
  const areaName = area.replace(/_/g, " ");
  return `${areaName[0]?.toUpperCase()}${areaName.slice(1)}: ${action}`;
}

/** User roles: the system roles, custom roles with a permission editor, and how many hold each. */
export function RolesPage() {
  const queries = useQueryClient();
  const canManage = useSession()?.principal.permissions.includes("roles.manage") ?? false;
  const roles = useQuery({ queryKey: ["roles"], queryFn: () => call("roles.list") });
  const [editing, setEditing] = useState<Role | "new">();
  const [values, setValues] = useState<{ name: string; description: string; permissions: Permission[] }>({
    name: "",
    description: "",
    permissions: [],
  });
  const [deleting, setDeleting] = useState<{ role: Role; reassignTo: string }>();
  const notice = useNotice();
  const { errors, banner, busy, run } = useSubmit((field) => field.split(".")[0] ?? field);
  const open = (role?: Role) => {
    setEditing(role ?? "new");
    setValues({ name: role?.name ?? "", description: role?.description ?? "", permissions: role?.permissions ?? [] });
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      if (editing && editing !== "new") await call("roles.update", { params: { roleId: editing.id }, body: values });
      else await call("roles.create", { body: values });
      setEditing(undefined);
      await queries.invalidateQueries({ queryKey: ["roles"] });
    });
  };
  const remove = async () => {
    if (!deleting) return;
    await notice.attempt(async () => {
      await call("roles.delete", {
        params: { roleId: deleting.role.id },
        query: { reassignTo: deleting.reassignTo || undefined },
      });
      setDeleting(undefined);
      await queries.invalidateQueries({ queryKey: ["roles"] });
      return `Role ${deleting.role.name} deleted.`;
    });
  };
  return (
    <section aria-labelledby="roles-title">
      <div className="page-head">
        <h1 id="roles-title">User roles</h1>
        {canManage && (
          <button type="button" className="button-primary" onClick={() => open()}>
            Add role
          </button>
        )}
      </div>
      {notice.banner}
      {editing && (
        <form className="card inset" onSubmit={onSubmit} noValidate aria-label="Role">
          <Banner message={banner} />
          <div className="grid">
            <Field
              label="Role name"
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
          </div>
          <CheckboxGroup
            legend="Permissions"
            options={PERMISSIONS}
            label={permissionName}
            value={values.permissions}
            onChange={(permissions) => setValues({ ...values, permissions })}
            error={errors.permissions}
          />
          <FormActions onCancel={() => setEditing(undefined)} busy={busy} submit="Save role" />
        </form>
      )}
      {deleting && (
        <fieldset className="card inset" aria-label={`Delete role ${deleting.role.name}`}>
          <p>
            Delete {deleting.role.name}?{" "}
            {deleting.role.memberCount > 0 && `Its ${deleting.role.memberCount} holders move to the role you choose.`}
          </p>
          {deleting.role.memberCount > 0 && (
            <SelectField
              label="Move holders to"
              name="reassignTo"
              value={deleting.reassignTo}
              onChange={(e) => setDeleting({ ...deleting, reassignTo: e.target.value })}
            >
              {roles.data?.items
                .filter((r) => r.id !== deleting.role.id)
                .map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
            </SelectField>
          )}
          <div className="actions">
            <button type="button" onClick={() => setDeleting(undefined)}>
              Cancel
            </button>
            <button type="button" className="button-danger" onClick={() => void remove()}>
              Delete role
            </button>
          </div>
        </fieldset>
      )}
      <ListTable
        query={roles}
        what="roles"
        empty="No roles."
        caption="User roles"
        rowKey={(role) => role.id}
        columns={[
          { header: "Role", cell: (role) => role.name },
          { header: "Kind", cell: (role) => (role.system ? "System" : "Custom") },
          { header: "Holders", cell: (role) => role.memberCount },
          {
            header: "Permissions",
            className: "wrap",
            cell: (role) => (role.permissions.length ? role.permissions.map(permissionName).join(", ") : "None"),
          },
          canManage && {
            header: "Actions",
            className: "row-actions",
            cell: (role) =>
              !role.system && (
                <EditDeleteButtons
                  name={role.name}
                  onEdit={() => open(role)}
                  onDelete={() => setDeleting({ role, reassignTo: role.memberCount > 0 ? "none" : "" })}
                />
              ),
          },
        ]}
      />
    </section>
  );
}
