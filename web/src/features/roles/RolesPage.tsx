import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { PERMISSIONS, type Permission } from "../../../../layers/core/permissions.js";
import { type CallOutput, call } from "../../api/client";
import { useSession } from "../../api/session";
import { Banner, Field, SelectField, useSubmit } from "../../components/forms";
import { Empty, Failed, Loading } from "../../components/states";

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
  const [notice, setNotice] = useState<{ tone: "success" | "error"; text: string }>();
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
    try {
      await call("roles.delete", {
        params: { roleId: deleting.role.id },
        query: { reassignTo: deleting.reassignTo || undefined },
      });
      setNotice({ tone: "success", text: `Role ${deleting.role.name} deleted.` });
      setDeleting(undefined);
      await queries.invalidateQueries({ queryKey: ["roles"] });
    } catch (error) {
      setNotice({ tone: "error", text: (error as Error).message });
    }
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
      {notice && <Banner tone={notice.tone} message={notice.text} />}
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
          <fieldset className="field">
            <legend>Permissions</legend>
            <div className="choices">
              {PERMISSIONS.map((permission) => (
                <label key={permission} className="check">
                  <input
                    type="checkbox"
                    checked={values.permissions.includes(permission)}
                    onChange={(e) =>
                      setValues({
                        ...values,
                        permissions: e.target.checked
                          ? [...values.permissions, permission]
                          : values.permissions.filter((p) => p !== permission),
                      })
                    }
                  />
                  {permissionName(permission)}
                </label>
              ))}
            </div>
            {errors.permissions && (
              <p className="field-error" role="alert">
                Permissions: {errors.permissions}
              </p>
            )}
          </fieldset>
          <div className="actions">
            <button type="button" onClick={() => setEditing(undefined)}>
              Cancel
            </button>
            <button type="submit" className="button-primary" disabled={busy}>
              Save role
            </button>
          </div>
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
      {roles.isPending ? (
        <Loading what="roles" />
      ) : roles.isError ? (
        <Failed error={roles.error} />
      ) : roles.data.items.length === 0 ? (
        <Empty>No roles.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">User roles</caption>
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">Kind</th>
                <th scope="col">Holders</th>
                <th scope="col">Permissions</th>
                {canManage && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {roles.data.items.map((role) => (
                <tr key={role.id}>
                  <td>{role.name}</td>
                  <td>{role.system ? "System" : "Custom"}</td>
                  <td>{role.memberCount}</td>
                  <td className="wrap">
                    {role.permissions.length ? role.permissions.map(permissionName).join(", ") : "None"}
                  </td>
                  {canManage && (
                    <td className="row-actions">
                      {!role.system && (
                        <>
                          <button type="button" onClick={() => open(role)}>
                            Edit<span className="visually-hidden"> {role.name}</span>
                          </button>
                          <button
                            type="button"
                            className="button-danger"
                            onClick={() => setDeleting({ role, reassignTo: role.memberCount > 0 ? "none" : "" })}
                          >
                            Delete<span className="visually-hidden"> {role.name}</span>
                          </button>
                        </>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
