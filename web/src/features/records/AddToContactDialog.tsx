import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { call } from "../../api/client";
import { useSession } from "../../api/session";
import { Dialog } from "../../components/dialog";
import { Banner, Field, SelectField, useSubmit } from "../../components/forms";
import { Empty, Loading } from "../../components/states";
import { type Directory, NUMBER_TYPE_NAMES, type NumberType } from "../contacts/ContactForm";
import { displayName } from "../contacts/ContactsPage";
import type { RecordKind, StoredRecord } from "./RecordsPage";

const ROUTE = {
  call: "callLogs.addToContacts",
  voicemail: "voicemails.addToContacts",
  recording: "recordings.addToContacts",
} as const;

/** Seed 001: "Add New Contact" (the number as Business, its type changeable) or "Add to Existing Contact". */
export function AddToContactDialog({
  kind,
  record,
  mode,
  onClose,
  onDone,
}: {
  kind: RecordKind;
  record: StoredRecord;
  mode: "new" | "existing";
  onClose: () => void;
  onDone: (notice: string) => void;
}) {
  const principal = useSession()?.principal;
  const queries = useQueryClient();
  const directories: Directory[] = [
    ...(principal?.companyContacts === "manage" ? (["company"] as const) : []),
    ...(principal?.operations.edit_personal_contacts ? (["personal"] as const) : []),
  ];
  const [directory, setDirectory] = useState<Directory>(directories[0] ?? "company");
  const [numberType, setNumberType] = useState<NumberType>("business");
  const [names, setNames] = useState({ firstName: "", lastName: "", company: "", email: "" });
  const [contactId, setContactId] = useState<string>();
  const { errors, banner, busy, run } = useSubmit((field) => field.replace(/^contact\./, ""));
  const existing = useQuery({
    queryKey: ["contacts", directory, "pick"],
    queryFn: () => call("contacts.list", { query: { directory, limit: 200 } }),
    enabled: mode === "existing",
  });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const params = { recordId: record.id };
      const body =
        mode === "new"
          ? { mode, directory, numberType, contact: names }
          : { mode, directory, numberType, contactId: contactId ?? "" };
      const saved = await call(ROUTE[kind], { params, body });
      await queries.invalidateQueries({ queryKey: ["contacts"] });
      onDone(
        `${record.number} added to ${displayName(saved)} in ${directory === "company" ? "Company" : "Personal"} Contacts.`,
      );
    });
  };

  if (directories.length === 0) {
    return (
      <Dialog title="Add to contacts" onClose={onClose}>
        <Empty>
          You may not add contacts: Company Contacts are view-only for you and personal contacts are locked.
        </Empty>
      </Dialog>
    );
  }

  return (
    <Dialog title={mode === "new" ? "Add New Contact" : "Add to Existing Contact"} onClose={onClose}>
      <form onSubmit={onSubmit} noValidate className="contact-form">
        <Banner message={banner} />
        {mode === "existing" && errors.contactId && <Banner message="Select a contact first." />}
        <p>
          Number <strong>{record.number}</strong>
          {record.name ? ` (${record.name})` : ""}
        </p>
        <div className="grid">
          <SelectField
            label="Number type"
            name="numberType"
            value={numberType}
            onChange={(e) => setNumberType(e.target.value as NumberType)}
          >
            {Object.entries(NUMBER_TYPE_NAMES).map(([type, name]) => (
              <option key={type} value={type}>
                {name}
              </option>
            ))}
          </SelectField>
          {mode === "new" && (
            <SelectField
              label="Add to"
              name="directory"
              value={directory}
              onChange={(e) => setDirectory(e.target.value as Directory)}
            >
              {directories.map((d) => (
                <option key={d} value={d}>
                  {d === "company" ? "Company Contacts" : "Personal Contacts"}
                </option>
              ))}
            </SelectField>
          )}
        </div>
        {mode === "new" ? (
          <div className="grid">
            {(["firstName", "lastName", "company", "email"] as const).map((name) => (
              <Field
                key={name}
                name={name}
                label={{ firstName: "First Name", lastName: "Last Name", company: "Company", email: "Email" }[name]}
                value={names[name]}
                error={errors[name]}
                onChange={(e) => setNames((v) => ({ ...v, [name]: e.target.value }))}
              />
            ))}
          </div>
        ) : (
          <>
            <div role="tablist" aria-label="Directory" className="tabs">
              {directories.map((d) => (
                <button
                  key={d}
                  type="button"
                  role="tab"
                  aria-selected={directory === d}
                  onClick={() => {
                    setDirectory(d);
                    setContactId(undefined);
                  }}
                >
                  {d === "company" ? "Company Contacts" : "Personal Contacts"}
                </button>
              ))}
            </div>
            <fieldset className="pick-list" role="tabpanel">
              <legend className="visually-hidden">Pick a contact</legend>
              {existing.isPending ? (
                <Loading what="contacts" />
              ) : existing.data?.items.length === 0 ? (
                <Empty>No contacts here yet.</Empty>
              ) : (
                existing.data?.items.map((contact) => (
                  <label key={contact.id} className="check">
                    <input
                      type="radio"
                      name="contactId"
                      checked={contactId === contact.id}
                      onChange={() => setContactId(contact.id)}
                    />
                    {displayName(contact)} <span className="muted">{contact.numbers[0]?.number}</span>
                  </label>
                ))
              )}
            </fieldset>
          </>
        )}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button-primary" disabled={busy}>
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}
