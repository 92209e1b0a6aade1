import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { EVENT_LEVELS, type EventLevel } from "../../../../layers/core/events/catalog.js";
import { renderTemplate } from "../../../../layers/core/events/template.js";
import { type BodyOf, type CallOutput, call } from "../../api/client";
import { Banner, CheckboxGroup, Field, SelectField, useNotice, useSubmit } from "../../components/forms";
import { Empty, Failed, Loading } from "../../components/states";
import { DataTable, RowButton } from "../../components/table";

type Setting = CallOutput<"notifications.settings.list">["items"][number];
type Contact = CallOutput<"notifications.contacts.list">["items"][number];

const SAMPLE = {
  event_name: "Web User Blocked Out",
  event_level: "Alert",
  event_category: "Security",
  event_time: "2026-12-01T09:30:00.000Z",
  extension: "2001",
  extension_name: "Ada Lovelace",
  source_ip: "203.0.113.7",
  client: "Web Client",
};

const capital = (text: string) => `${text[0]?.toUpperCase() ?? ""}${text.slice(1)}`;

/** Event notifications: per event on/off, level, methods and email template (with a preview); notification contacts. */
export function NotificationsPage() {
  return (
    <section aria-labelledby="notifications-title">
      <h1 id="notifications-title">Event notifications</h1>
      <Settings />
      <Contacts />
    </section>
  );
}

function Settings() {
  const queries = useQueryClient();
  const list = useQuery({ queryKey: ["notificationSettings"], queryFn: () => call("notifications.settings.list") });
  const [editing, setEditing] = useState<Setting>();
  const notice = useNotice();
  const update = (setting: Setting, body: Parameters<typeof changeSetting>[1]) =>
    notice.attempt(async () => {
      await changeSetting(setting, body);
      await queries.invalidateQueries({ queryKey: ["notificationSettings"] });
      return undefined;
    });
  if (list.isPending) return <Loading what="notification settings" />;
  if (list.isError) return <Failed error={list.error} />;
  return (
    <div className="card">
      <h2>Events</h2>
      {notice.banner}
      <DataTable
        caption="Event notification settings"
        rows={list.data.items}
        rowKey={(setting) => setting.event}
        columns={[
          {
            header: "Event",
            cell: (setting) => (
              <>
                {setting.name}
                <span className="muted"> · {capital(setting.category)}</span>
              </>
            ),
          },
          {
            header: "Notify",
            cell: (setting) => (
              <input
                type="checkbox"
                aria-label={`Notify on ${setting.name}`}
                checked={setting.enabled}
                onChange={(e) => void update(setting, { enabled: e.target.checked })}
              />
            ),
          },
          {
            header: "Level",
            cell: (setting) => (
              <select
                aria-label={`Level of ${setting.name}`}
                value={setting.level}
                onChange={(e) => void update(setting, { level: e.target.value as EventLevel })}
              >
                {EVENT_LEVELS.map((level) => (
                  <option key={level} value={level}>
                    {capital(level)}
                  </option>
                ))}
              </select>
            ),
          },
          {
            header: "Methods",
            cell: (setting) =>
              list.data.methods.map((method) => (
                <label key={method.id} className="check" title={method.reason}>
                  <input
                    type="checkbox"
                    disabled={!method.available}
                    checked={setting.methods.includes(method.id)}
                    onChange={(e) =>
                      void update(setting, {
                        methods: e.target.checked
                          ? [...setting.methods, method.id]
                          : setting.methods.filter((m) => m !== method.id),
                      })
                    }
                  />
                  {method.name}
                  <span className="visually-hidden"> for {setting.name}</span>
                  {!method.available && <span className="muted"> (not available)</span>}
                </label>
              )),
          },
          {
            header: "Template",
            cell: (setting) => (
              <RowButton label="Edit template" row={`of ${setting.name}`} onClick={() => setEditing(setting)} />
            ),
          },
        ]}
      />
      {editing && (
        <TemplateForm
          key={editing.event}
          setting={editing}
          variables={list.data.variables}
          onDone={async (text) => {
            setEditing(undefined);
            notice.setNotice({ tone: "success", text });
            await queries.invalidateQueries({ queryKey: ["notificationSettings"] });
          }}
          onCancel={() => setEditing(undefined)}
        />
      )}
    </div>
  );
}

function changeSetting(setting: Setting, body: BodyOf<"notifications.settings.update">) {
  return call("notifications.settings.update", { params: { eventType: setting.event }, body });
}

function TemplateForm({
  setting,
  variables,
  onDone,
  onCancel,
}: {
  setting: Setting;
  variables: Record<string, string>;
  onDone: (text: string) => void;
  onCancel: () => void;
}) {
  const [subject, setSubject] = useState(setting.template.subject);
  const [body, setBody] = useState(setting.template.body);
  const { errors, banner, busy, run } = useSubmit((field) => field.replace(/^template\./, ""));
  const sample = {
    ...SAMPLE,
    event_name: setting.name,
    event_category: capital(setting.category),
    event_level: capital(setting.level),
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await changeSetting(setting, { template: { subject, body } });
      onDone(`Template of ${setting.name} saved.`);
    });
  };
  const reset = () =>
    void run(async () => {
      await call("notifications.settings.reset", { params: { eventType: setting.event } });
      onDone(`${setting.name} is back to the defaults.`);
    });
  return (
    <form className="card inset" onSubmit={onSubmit} noValidate aria-label={`Email template of ${setting.name}`}>
      <h3>Email template: {setting.name}</h3>
      <Banner message={banner} />
      <Field
        label="Subject"
        name="subject"
        value={subject}
        error={errors.subject}
        onChange={(e) => setSubject(e.target.value)}
      />
      <div className="field">
        <label htmlFor="template-body">Body</label>
        <textarea
          id="template-body"
          rows={6}
          value={body}
          aria-invalid={errors.body ? true : undefined}
          aria-describedby="template-body-note"
          onChange={(e) => setBody(e.target.value)}
        />
        <p id="template-body-note" className={errors.body ? "field-error" : "field-hint"}>
          {errors.body
            ? `Body ${errors.body}`
            : `Variables: ${Object.keys(variables)
                .map((v) => `{{${v}}}`)
                .join(" ")}`}
        </p>
      </div>
      <section className="preview" aria-label="Preview">
        <p>
          <strong>{renderTemplate(subject, sample)}</strong>
        </p>
        <pre>{renderTemplate(body, sample)}</pre>
      </section>
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" onClick={reset} disabled={busy}>
          Reset to default
        </button>
        <button type="submit" className="button-primary" disabled={busy}>
          Save template
        </button>
      </div>
    </form>
  );
}

function Contacts() {
  const queries = useQueryClient();
  const list = useQuery({ queryKey: ["notificationContacts"], queryFn: () => call("notifications.contacts.list") });
  const extensions = useQuery({
    queryKey: ["extensions", "all-for-members"],
    queryFn: () => call("extensions.list", { query: { pageSize: 100, sortBy: "number" } }),
  });
  const [type, setType] = useState<"extension" | "custom">("custom");
  const [extensionId, setExtensionId] = useState("");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [levels, setLevels] = useState<EventLevel[]>(["alert"]);
  const { errors, banner, busy, run } = useSubmit();
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const body = type === "extension" ? { type, extensionId, levels } : { type, name, email, levels };
      await call("notifications.contacts.create", { body });
      setName("");
      setEmail("");
      await queries.invalidateQueries({ queryKey: ["notificationContacts"] });
    });
  };
  const notice = useNotice();
  const remove = (contact: Contact) =>
    notice.attempt(async () => {
      await call("notifications.contacts.delete", { params: { contactId: contact.id } });
      await queries.invalidateQueries({ queryKey: ["notificationContacts"] });
      return undefined;
    });
  return (
    <div className="card">
      <h2>Notification contacts</h2>
      {notice.banner}
      {list.isPending ? (
        <Loading what="notification contacts" />
      ) : list.isError ? (
        <Failed error={list.error} />
      ) : list.data.items.length === 0 ? (
        <Empty>Nobody is notified yet: add an extension or an email address.</Empty>
      ) : (
        <ul className="contact-list">
          {list.data.items.map((contact) => (
            <li key={contact.id}>
              <span>
                {contact.name}
                {contact.email ? ` <${contact.email}>` : ""} · {contact.levels.map(capital).join(", ")}
              </span>
              <RowButton label="Remove" row={contact.name} onClick={() => void remove(contact)} danger />
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={onSubmit} noValidate aria-label="Add notification contact" className="card inset">
        <Banner message={banner} />
        <div className="grid">
          <SelectField
            label="Contact"
            name="type"
            value={type}
            onChange={(e) => setType(e.target.value as typeof type)}
          >
            <option value="custom">Custom contact (email)</option>
            <option value="extension">Extension</option>
          </SelectField>
          {type === "extension" ? (
            <SelectField
              label="Extension"
              name="extensionId"
              value={extensionId}
              error={errors.extensionId}
              onChange={(e) => setExtensionId(e.target.value)}
            >
              <option value="">Choose…</option>
              {extensions.data?.items.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.number} {`${x.firstName} ${x.lastName}`.trim()}
                </option>
              ))}
            </SelectField>
          ) : (
            <>
              <Field
                label="Name"
                name="name"
                value={name}
                error={errors.name}
                onChange={(e) => setName(e.target.value)}
              />
              <Field
                label="Email"
                name="email"
                type="email"
                value={email}
                error={errors.email}
                onChange={(e) => setEmail(e.target.value)}
              />
            </>
          )}
        </div>
        <CheckboxGroup
          legend="Receives"
          options={EVENT_LEVELS}
          label={capital}
          value={levels}
          onChange={setLevels}
          error={errors.levels}
        />
        <button type="submit" className="button-primary" disabled={busy}>
          Add contact
        </button>
      </form>
    </div>
  );
}
