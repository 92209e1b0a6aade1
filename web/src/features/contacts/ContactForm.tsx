import { type FormEvent, useState } from "react";
import { NUMBER_TYPE_LABELS } from "../../../../layers/core/contacts/formats/common.js";
import { type BodyOf, type CallOutput, call } from "../../api/client";
import { Banner, Field, SelectField, useSubmit } from "../../components/forms";

export type Contact = CallOutput<"contacts.list">["items"][number];
type Input = BodyOf<"companyContacts.create">;
export type NumberType = Contact["numbers"][number]["type"];

/** The number types' names as the API's phonebooks and files spell them (Yeastar's wording). */
export const NUMBER_TYPE_NAMES: Record<NumberType, string> = NUMBER_TYPE_LABELS;

const TEXT_FIELDS = [
  ["firstName", "First Name"],
  ["lastName", "Last Name"],
  ["company", "Company"],
  ["email", "Email"],
  ["street", "Street"],
  ["city", "City"],
  ["state", "State"],
  ["zipCode", "ZIP Code"],
  ["country", "Country"],
  ["remark", "Remark"],
] as const;
type TextField = (typeof TEXT_FIELDS)[number][0];

export type Directory = "company" | "personal";

/**
 * Add or edit a contact (seed 001): a first or last name and at least one number, any of
 * Yeastar's number types. `directories` lists where a new contact may go ("Add to").
 */
export function ContactForm({
  contact,
  directories,
  onDone,
}: {
  contact?: Contact;
  directories: Directory[];
  onDone: (saved: Contact) => void;
}) {
  const [values, setValues] = useState<Record<TextField, string>>(
    () => Object.fromEntries(TEXT_FIELDS.map(([name]) => [name, contact?.[name] ?? ""])) as Record<TextField, string>,
  );
  const [numbers, setNumbers] = useState<Input["numbers"]>(
    contact?.numbers.length ? contact.numbers : [{ type: "business", number: "" }],
  );
  const [directory, setDirectory] = useState<Directory>(contact?.directory ?? directories[0] ?? "personal");
  const { errors, banner, busy, run } = useSubmit();

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const body = { ...values, numbers: numbers.filter((n) => n.number.trim() !== "") };
      let saved: Contact;
      if (contact) {
        const update = { ...body, version: contact.version };
        const params = { contactId: contact.id };
        saved =
          contact.directory === "company"
            ? await call("companyContacts.update", { params, body: update })
            : await call("personalContacts.update", { params, body: update });
      } else {
        saved =
          directory === "company"
            ? await call("companyContacts.create", { body })
            : await call("personalContacts.create", { body });
      }
      onDone(saved);
    });
  };

  return (
    <form onSubmit={onSubmit} noValidate className="contact-form">
      <Banner message={banner} />
      {!contact && directories.length > 1 && (
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
      <div className="grid">
        {TEXT_FIELDS.map(([name, label]) => (
          <Field
            key={name}
            label={label}
            name={name}
            value={values[name]}
            type={name === "email" ? "email" : "text"}
            error={errors[name]}
            onChange={(e) => setValues((v) => ({ ...v, [name]: e.target.value }))}
          />
        ))}
      </div>
      <fieldset className="numbers">
        <legend>Numbers</legend>
        {errors.numbers && (
          <p className="field-error" role="alert">
            Numbers: {errors.numbers}
          </p>
        )}
        {numbers.map((entry, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place
          <div className="number-row" key={index}>
            <SelectField
              label={`Number ${index + 1} type`}
              name={`numbers.${index}.type`}
              value={entry.type}
              onChange={(e) =>
                setNumbers((list) =>
                  list.map((n, i) => (i === index ? { ...n, type: e.target.value as NumberType } : n)),
                )
              }
            >
              {Object.entries(NUMBER_TYPE_NAMES).map(([type, name]) => (
                <option key={type} value={type}>
                  {name}
                </option>
              ))}
            </SelectField>
            <Field
              label={`Number ${index + 1}`}
              name={`numbers.${index}.number`}
              type="tel"
              value={entry.number}
              error={errors[`numbers.${index}.number`]}
              onChange={(e) =>
                setNumbers((list) => list.map((n, i) => (i === index ? { ...n, number: e.target.value } : n)))
              }
            />
            <button
              type="button"
              className="button-quiet"
              onClick={() => setNumbers((list) => list.filter((_, i) => i !== index))}
              disabled={numbers.length === 1}
            >
              Remove<span className="visually-hidden"> number {index + 1}</span>
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setNumbers((list) => [...list, { type: "mobile", number: "" }])}>
          Add number
        </button>
      </fieldset>
      <div className="actions">
        <button type="submit" className="button-primary" disabled={busy}>
          Save
        </button>
      </div>
    </form>
  );
}
