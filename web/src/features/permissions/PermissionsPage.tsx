import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { MENU_NAMES, MENUS, OPERATION_NAMES, OPERATIONS } from "../../../../layers/core/linkus.js";
import { type BodyOf, type CallOutput, call } from "../../api/client";
import { Banner, CheckboxGroup, Field, FormActions, SelectField, useNotice, useSubmit } from "../../components/forms";
import { EditDeleteButtons, ListTable } from "../../components/table";
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

function itemName(item: string): string {
  return (MENU_NAMES as Record<string, string>)[item] ?? (OPERATION_NAMES as Record<string, string>)[item] ?? item;
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
  const notice = useNotice();
  const remove = async (rule: LinkusRule) => {
    if (!window.confirm(`Delete the rule “${rule.name}”?`)) return;
    await notice.attempt(async () => {
      await call("linkusRules.delete", { params: { ruleId: rule.id } });
      await queries.invalidateQueries({ queryKey: ["linkusRules"] });
      return undefined;
    });
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
      {notice.banner}
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
      <ListTable
        query={rules}
        what="rules"
        empty="No rules: every user sees every menu and may change every setting."
        caption="Linkus client permission rules"
        rowKey={(rule) => rule.id}
        columns={[
          { header: "Name", cell: (rule) => rule.name },
          { header: "Kind", cell: (rule) => (rule.kind === "menu" ? "Menu Visibility" : "Operation Permission") },
          { header: "Effect", cell: (rule) => (rule.effect === "allow" ? "Allow" : "Disallow") },
          { header: "Items", cell: (rule) => rule.items.map(itemName).join(", ") },
          { header: "Members", cell: (rule) => whom(rule.members) },
          {
            header: "Actions",
            className: "row-actions",
            cell: (rule) => (
              <EditDeleteButtons name={rule.name} onEdit={() => setEditing(rule)} onDelete={() => void remove(rule)} />
            ),
          },
        ]}
      />
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
      <CheckboxGroup
        legend={kind === "menu" ? "Menus" : "Settings"}
        options={choices}
        label={(item) => names[item]}
        value={items}
        onChange={setItems}
        error={errors.items}
      />
      <MembersField value={members} onChange={setMembers} error={errors.members} />
      <FormActions onCancel={onCancel} busy={busy} submit="Save rule" />
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
  const notice = useNotice();
  const remove = async (rule: ContactsRule) => {
    if (!window.confirm(`Delete the rule “${rule.name}”?`)) return;
    await notice.attempt(async () => {
      await call("companyContactsRules.delete", { params: { ruleId: rule.id } });
      await queries.invalidateQueries({ queryKey: ["companyContactsRules"] });
      return undefined;
    });
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
      {notice.banner}
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
          <FormActions onCancel={() => setEditing(undefined)} busy={busy} submit="Save rule" />
        </form>
      )}
      <ListTable
        query={rules}
        what="rules"
        empty="No rules: only roles with a Company Contacts permission can see Company Contacts."
        caption="Company Contacts rules"
        rowKey={(rule) => rule.id}
        columns={[
          { header: "Name", cell: (rule) => rule.name },
          { header: "Access", cell: (rule) => (rule.access === "manage" ? "Manage" : "View") },
          { header: "Members", cell: (rule) => whom(rule.members) },
          {
            header: "Actions",
            className: "row-actions",
            cell: (rule) => (
              <EditDeleteButtons name={rule.name} onEdit={() => open(rule)} onDelete={() => void remove(rule)} />
            ),
          },
        ]}
      />
    </div>
  );
}
