import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { call } from "../../api/client";
import { useChannel } from "../../api/linkus";
import { useSession } from "../../api/session";
import { Dialog } from "../../components/dialog";
import { Banner, Field, SelectField } from "../../components/forms";
import { ActionMenu, type MenuAction, MoreButton, useActionMenu } from "../../components/menu";
import { Empty, Failed, Loading } from "../../components/states";
import { CallButton } from "../phone/PhonePanel";
import { type Contact, ContactForm, type Directory, NUMBER_TYPE_NAMES } from "./ContactForm";
import { ContactPresence, PRESENCE_NAMES } from "./ContactPresence";

type Choice = "all" | Directory;
const CHOICES: Record<Choice, string> = { all: "All", company: "Company Contacts", personal: "Personal Contacts" };

export function displayName(contact: Pick<Contact, "firstName" | "lastName" | "company">): string {
  return `${contact.firstName} ${contact.lastName}`.trim() || contact.company || "(no name)";
}

/** Seed 001's Contacts: the Directory drop-down, search, cards, and what the user may change. */
export function ContactsPage() {
  const principal = useSession()?.principal;
  const queries = useQueryClient();
  const [directory, setDirectory] = useState<Choice>("all");
  const [q, setQ] = useState("");
  const [editing, setEditing] = useState<Contact | "new">();
  const [viewing, setViewing] = useState<Contact>();
  const [notice, setNotice] = useState<{ tone: "success" | "error"; text: string }>();
  const menu = useActionMenu();
  const [menuFor, setMenuFor] = useState<Contact>();

  const company = principal?.companyContacts ?? "none";
  const personalView = principal?.operations.view_personal_contacts ?? false;
  const personalEdit = principal?.operations.edit_personal_contacts ?? false;
  const canEdit = (contact: Contact) => (contact.directory === "company" ? company === "manage" : personalEdit);
  const addable: Directory[] = [
    ...(company === "manage" && directory !== "personal" ? (["company"] as const) : []),
    ...(personalEdit && directory !== "company" ? (["personal"] as const) : []),
  ];
  const noAccess =
    (directory === "company" && company === "none") || (directory === "personal" && !personalView)
      ? directory === "company"
        ? "You have no access to Company Contacts. Your administrator grants it with a Company Contacts rule."
        : "Viewing personal contacts is turned off for you by a Linkus permission rule."
      : undefined;

  const list = useQuery({
    queryKey: ["contacts", directory, q],
    queryFn: () => call("contacts.list", { query: { directory, q: q || undefined, limit: 200 } }),
    enabled: !noAccess,
  });
  const changed = async (text: string) => {
    setNotice({ tone: "success", text });
    await queries.invalidateQueries({ queryKey: ["contacts"] });
  };

  const actions = (contact: Contact): MenuAction[] => [
    ...(canEdit(contact)
      ? [
          { label: "Edit", run: () => setEditing(contact) },
          { label: "Delete", danger: true, run: () => void remove(contact) },
        ]
      : []),
    ...(contact.directory === "personal" && company === "manage"
      ? [{ label: "Add to Company Contacts", run: () => void share(contact) }]
      : []),
  ];

  const remove = async (contact: Contact) => {
    if (!window.confirm(`Delete ${displayName(contact)}?`)) return;
    try {
      const params = { contactId: contact.id };
      if (contact.directory === "company")
        await call("companyContacts.delete", { params, query: { version: contact.version } });
      else await call("personalContacts.delete", { params });
      setViewing(undefined);
      await changed(`${displayName(contact)} deleted.`);
    } catch (error) {
      setNotice({ tone: "error", text: (error as Error).message });
    }
  };
  const share = async (contact: Contact) => {
    try {
      await call("personalContacts.share", { params: { contactId: contact.id } });
      await changed("Added successfully");
    } catch (error) {
      setNotice({ tone: "error", text: (error as Error).message });
    }
  };

  return (
    <section aria-labelledby="contacts-title">
      <div className="page-head">
        <h1 id="contacts-title">Contacts</h1>
        {addable.length > 0 && (
          <button type="button" className="button-primary" onClick={() => setEditing("new")}>
            Add
          </button>
        )}
      </div>
      <div className="toolbar">
        <SelectField
          label="Directory"
          name="directory"
          value={directory}
          onChange={(e) => setDirectory(e.target.value as Choice)}
        >
          {(Object.keys(CHOICES) as Choice[]).map((choice) => (
            <option key={choice} value={choice}>
              {CHOICES[choice]}
            </option>
          ))}
        </SelectField>
        <Field
          label="Search"
          name="q"
          type="search"
          placeholder="Name or number"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
      </div>
      {notice && <Banner tone={notice.tone} message={notice.text} />}
      {noAccess ? (
        <Empty>{noAccess}</Empty>
      ) : list.isPending ? (
        <Loading what="contacts" />
      ) : list.isError ? (
        <Failed error={list.error} />
      ) : list.data.items.length === 0 ? (
        <Empty>
          {q
            ? `No contact matches “${q}”.`
            : directory === "all"
              ? "No contacts yet."
              : `No contacts in ${CHOICES[directory]} yet.`}
        </Empty>
      ) : (
        <ul className="cards" aria-label={`${CHOICES[directory]} contacts`}>
          {list.data.items.map((contact) => {
            const contactActions = actions(contact);
            return (
              <li
                key={`${contact.directory}-${contact.id}`}
                className="contact-card"
                onContextMenu={(event) => {
                  if (!contactActions.length) return;
                  setMenuFor(contact);
                  menu.open(event);
                }}
              >
                <button type="button" className="card-open" onClick={() => setViewing(contact)}>
                  <span className="avatar" aria-hidden="true">
                    {displayName(contact).slice(0, 1).toUpperCase()}
                  </span>
                  <span className="card-text">
                    <strong>{displayName(contact)}</strong>
                    <span className="muted">
                      {contact.company || (contact.directory === "company" ? "Company contact" : "Personal contact")}
                    </span>
                    <span>{contact.numbers[0]?.number}</span>
                    {contact.directory === "company" && <ContactPresence numbers={contact.numbers} />}
                  </span>
                </button>
                <span className={`tag tag-${contact.directory}`}>
                  {contact.directory === "company" ? "Company" : "Personal"}
                </span>
                <CallButton number={contact.numbers[0]?.number ?? ""} name={displayName(contact)} />
                {contactActions.length > 0 && (
                  <MoreButton
                    label={`More actions for ${displayName(contact)}`}
                    onOpen={(event) => {
                      setMenuFor(contact);
                      menu.open(event);
                    }}
                  />
                )}
              </li>
            );
          })}
        </ul>
      )}
      <Colleagues own={principal?.extension.id} />
      {menu.at && menuFor && (
        <ActionMenu
          label={`Actions for ${displayName(menuFor)}`}
          actions={actions(menuFor)}
          at={menu.at}
          onClose={menu.close}
        />
      )}
      {viewing && (
        <Dialog title={displayName(viewing)} onClose={() => setViewing(undefined)}>
          <dl className="details">
            {viewing.company && (
              <>
                <dt>Company</dt>
                <dd>{viewing.company}</dd>
              </>
            )}
            {viewing.numbers.map((n) => (
              <div key={`${n.type}-${n.number}`} className="detail-row">
                <dt>{NUMBER_TYPE_NAMES[n.type]}</dt>
                <dd>{n.number}</dd>
              </div>
            ))}
            {viewing.email && (
              <>
                <dt>Email</dt>
                <dd>{viewing.email}</dd>
              </>
            )}
            {viewing.remark && (
              <>
                <dt>Remark</dt>
                <dd>{viewing.remark}</dd>
              </>
            )}
          </dl>
          <div className="actions">
            {actions(viewing).map((action) => (
              <button
                type="button"
                key={action.label}
                className={action.danger ? "button-danger" : undefined}
                onClick={() => {
                  const target = viewing;
                  if (action.label === "Edit") setViewing(undefined);
                  action.run();
                  if (action.label !== "Edit" && action.label !== "Delete") setViewing(target);
                }}
              >
                {action.label}
              </button>
            ))}
          </div>
        </Dialog>
      )}
      {editing && (
        <Dialog
          title={editing === "new" ? "Add contact" : `Edit ${displayName(editing)}`}
          onClose={() => setEditing(undefined)}
        >
          <ContactForm
            contact={editing === "new" ? undefined : editing}
            directories={editing === "new" ? addable : []}
            onDone={(saved) => {
              setEditing(undefined);
              void changed(`${displayName(saved)} saved.`);
            }}
          />
        </Dialog>
      )}
    </section>
  );
}

/** Colleagues (the PBX's extensions) with their presence, live from the 8111 channel. */
function Colleagues({ own }: { own?: string }) {
  const { colleagues, state } = useChannel();
  const list = Object.values(colleagues)
    .filter((c) => c.extensionId !== own)
    .sort((a, b) => a.number.localeCompare(b.number, undefined, { numeric: true }));
  return (
    <section className="colleagues" aria-labelledby="colleagues-title">
      <h2 id="colleagues-title">Colleagues</h2>
      {state !== "live" && list.length === 0 ? (
        <p className="muted">Presence appears once live updates are connected.</p>
      ) : list.length === 0 ? (
        <p className="muted">No other extensions yet.</p>
      ) : (
        <ul className="colleague-list">
          {list.map((colleague) => (
            <li key={colleague.extensionId}>
              <span className={`dot dot-${colleague.state}`} aria-hidden="true" />
              <span>
                {colleague.number} {colleague.name}
              </span>
              <span className="muted">{PRESENCE_NAMES[colleague.state]}</span>
              <CallButton number={colleague.number} name={colleague.name} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
