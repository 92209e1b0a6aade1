import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { MENU_NAMES, MENUS, OPERATION_NAMES, OPERATIONS } from "../../../../layers/core/linkus.js";
import { type BodyOf, type CallOutput, call } from "../../api/client";
import { Banner, Field, SelectField, useSubmit } from "../../components/forms";
import { Empty, Failed, Loading } from "../../components/states";
import { type Members, MembersField } from "./MembersField";

type LinkusRule = CallOutput<"linkusRules.list">["items"][number];
type ContactsRule = CallOutput<"companyContactsRules.list">["items"][number];

const EVERYONE: Members = { everyone: true, extensions: [], organizations: [] };

function whom(members: Members): string {
  if (members.everyone) return "Everyone";
  const parts = [
    members.extensions.length && `${members.extensions.length} extension${members.extensions.length > 1 ? "s" : ""}`,
    members.organizations.length &&
      `${members.organizations.length} organization${members.organizations.length > 1 ? "s" : ""}`,
  ];
  return parts.filter(Boolean).join(", ");
}

/** Linkus client permissions (Menu Visibility, Operation Permission) and Company Contacts rules (seeds 000, 001). */
export function PermissionsPage() {
  return (
    <section aria-labelledby="permissions-title">
      <h1 id="permissions-title">Linkus permissions</h1>
      <LinkusRules />
      <ContactsRules />
    </section>
  );
}

function LinkusRules() {
  const queries = useQueryClient();
  const rules = useQuery({ queryKey: ["linkusRules"], queryFn: () => call("linkusRules.list") });
  const [editing, setEditing] = useState<LinkusRule | "new">();
  const remove = async (rule: LinkusRule) => {
    if (!window.confirm(`Delete the rule “${rule.name}”?`)) return;
    await call("linkusRules.delete", { params: { ruleId: rule.id } });
    await queries.invalidateQueries({ queryKey: ["linkusRules"] });
  };
  return (
    <div className="card">
      <div className="page-head">
        <h2>Linkus client permission rules</h2>
        <button type="button" className="button-primary" onClick={() => setEditing("new")}>
          Add rule
        </button>
      </div>
      <p className="muted">By default every menu is shown and every setting may be changed; rules restrict them.</p>
      {editing && (
        <LinkusRuleForm
          rule={editing === "new" ? undefined : editing}
          onDone={async () => {
            setEditing(undefined);
            await queries.invalidateQueries({ queryKey: ["linkusRules"] });
          }}
          onCancel={() => setEditing(undefined)}
        />
      )}
      {rules.isPending ? (
        <Loading what="rules" />
      ) : rules.isError ? (
        <Failed error={rules.error} />
      ) : rules.data.items.length === 0 ? (
        <Empty>No rules: every user sees every menu and may change every setting.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Linkus client permission rules</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Effect</th>
                <th scope="col">Items</th>
                <th scope="col">Members</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rules.data.items.map((rule) => (
                <tr key={rule.id}>
                  <td>{rule.name}</td>
                  <td>{rule.kind === "menu" ? "Menu Visibility" : "Operation Permission"}</td>
                  <td>{rule.effect === "allow" ? "Allow" : "Disallow"}</td>
                  <td>
                    {rule.items
                      .map(
                        (item) =>
                          (MENU_NAMES as Record<string, string>)[item] ??
                          (OPERATION_NAMES as Record<string, string>)[item] ??
                          item,
                      )
                      .join(", ")}
                  </td>
                  <td>{whom(rule.members)}</td>
                  <td className="row-actions">
                    <button type="button" onClick={() => setEditing(rule)}>
                      Edit<span className="visually-hidden"> {rule.name}</span>
                    </button>
                    <button type="button" className="button-danger" onClick={() => void remove(rule)}>
                      Delete<span className="visually-hidden"> {rule.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function LinkusRuleForm({ rule, onDone, onCancel }: { rule?: LinkusRule; onDone: () => void; onCancel: () => void }) {
  const [name, setName] = useState(rule?.name ?? "");
  const [kind, setKind] = useState<"menu" | "operation">(rule?.kind ?? "menu");
  const [effect, setEffect] = useState<"allow" | "disallow">(rule?.effect ?? "disallow");
  const [items, setItems] = useState<string[]>(rule?.items ?? []);
  const [members, setMembers] = useState<Members>(rule?.members ?? EVERYONE);
  const { errors, banner, busy, run } = useSubmit((field) => field.split(".")[0] ?? field);
  const choices: readonly string[] = kind === "menu" ? MENUS : OPERATIONS;
  const names: Record<string, string> = kind === "menu" ? MENU_NAMES : OPERATION_NAMES;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      // The items are checked against the kind's list by the rule's own schema.
      const body = { kind, name, effect, members, items } as BodyOf<"linkusRules.create">;
      if (rule) await call("linkusRules.replace", { params: { ruleId: rule.id }, body });
      else await call("linkusRules.create", { body });
      onDone();
    });
  };
  return (
    <form
      className="card inset"
      onSubmit={onSubmit}
      noValidate
      aria-label={rule ? `Edit rule ${rule.name}` : "New rule"}
    >
      <Banner message={banner} />
      <div className="grid">
        <Field
          label="Rule name"
          name="name"
          value={name}
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <SelectField
          label="Permission"
          name="kind"
          value={kind}
          onChange={(e) => {
            setKind(e.target.value as typeof kind);
            setItems([]);
          }}
        >
          <option value="menu">Menu Visibility</option>
          <option value="operation">Operation Permission</option>
        </SelectField>
        <SelectField
          label="Effect"
          name="effect"
          value={effect}
          onChange={(e) => setEffect(e.target.value as typeof effect)}
        >
          <option value="disallow">Disallow</option>
          <option value="allow">Allow</option>
        </SelectField>
      </div>
      <fieldset className="field">
        <legend>{kind === "menu" ? "Menus" : "Settings"}</legend>
        <div className="choices">
          {choices.map((item) => (
            <label key={item} className="check">
              <input
                type="checkbox"
                checked={items.includes(item)}
                onChange={(e) => setItems(e.target.checked ? [...items, item] : items.filter((x) => x !== item))}
              />
              {names[item]}
            </label>
          ))}
        </div>
        {errors.items && (
          <p className="field-error" role="alert">
            {kind === "menu" ? "Menus" : "Settings"}: {errors.items}
          </p>
        )}
      </fieldset>
      <MembersField value={members} onChange={setMembers} error={errors.members} />
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button-primary" disabled={busy}>
          Save rule
        </button>
      </div>
    </form>
  );
}

function ContactsRules() {
  const queries = useQueryClient();
  const rules = useQuery({ queryKey: ["companyContactsRules"], queryFn: () => call("companyContactsRules.list") });
  const [editing, setEditing] = useState<ContactsRule | "new">();
  const [name, setName] = useState("");
  const [access, setAccess] = useState<"view" | "manage">("view");
  const [members, setMembers] = useState<Members>(EVERYONE);
  const { errors, banner, busy, run } = useSubmit((field) => field.split(".")[0] ?? field);
  const open = (rule?: ContactsRule) => {
    setEditing(rule ?? "new");
    setName(rule?.name ?? "");
    setAccess(rule?.access ?? "view");
    setMembers(rule?.members ?? EVERYONE);
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const body = { name, access, members };
      if (editing && editing !== "new")
        await call("companyContactsRules.replace", { params: { ruleId: editing.id }, body });
      else await call("companyContactsRules.create", { body });
      setEditing(undefined);
      await queries.invalidateQueries({ queryKey: ["companyContactsRules"] });
    });
  };
  const remove = async (rule: ContactsRule) => {
    if (!window.confirm(`Delete the rule “${rule.name}”?`)) return;
    await call("companyContactsRules.delete", { params: { ruleId: rule.id } });
    await queries.invalidateQueries({ queryKey: ["companyContactsRules"] });
  };
  return (
    <div className="card">
      <div className="page-head">
        <h2>Company Contacts rules</h2>
        <button type="button" className="button-primary" onClick={() => open()}>
          Add Company Contacts rule
        </button>
      </div>
      <p className="muted">Who may view or manage Company Contacts, besides roles that hold the permission.</p>
      {editing && (
        <form className="card inset" onSubmit={onSubmit} noValidate aria-label="Company Contacts rule">
          <Banner message={banner} />
          <div className="grid">
            <Field
              label="Rule name"
              name="name"
              value={name}
              error={errors.name}
              onChange={(e) => setName(e.target.value)}
            />
            <SelectField
              label="Access"
              name="access"
              value={access}
              onChange={(e) => setAccess(e.target.value as typeof access)}
            >
              <option value="view">View</option>
              <option value="manage">Manage (add, edit, delete)</option>
            </SelectField>
          </div>
          <MembersField value={members} onChange={setMembers} error={errors.members} />
          <div className="actions">
            <button type="button" onClick={() => setEditing(undefined)}>
              Cancel
            </button>
            <button type="submit" className="button-primary" disabled={busy}>
              Save rule
            </button>
          </div>
        </form>
      )}
      {rules.isPending ? (
        <Loading what="rules" />
      ) : rules.isError ? (
        <Failed error={rules.error} />
      ) : rules.data.items.length === 0 ? (
        <Empty>No rules: only roles with a Company Contacts permission can see Company Contacts.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Company Contacts rules</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Access</th>
                <th scope="col">Members</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rules.data.items.map((rule) => (
                <tr key={rule.id}>
                  <td>{rule.name}</td>
                  <td>{rule.access === "manage" ? "Manage" : "View"}</td>
                  <td>{whom(rule.members)}</td>
                  <td className="row-actions">
                    <button type="button" onClick={() => open(rule)}>
                      Edit<span className="visually-hidden"> {rule.name}</span>
                    </button>
                    <button type="button" className="button-danger" onClick={() => void remove(rule)}>
                      Delete<span className="visually-hidden"> {rule.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
