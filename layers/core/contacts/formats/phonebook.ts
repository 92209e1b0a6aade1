/**
 * Remote phonebooks for IP phones, as XML the phones download (Yeastar's "remote phonebook").
 *
 * Every format writes `<?xml version="1.0" encoding="UTF-8"?>`, escapes text and attributes (and
 * drops characters XML 1.0 cannot carry), and dials numbers in the form phones dial (`dialable`:
 * spaces, dots, parentheses and dashes removed, a leading `+` kept). A number with no digit is left
 * out, and so is a contact with no number left. Entries come in the order given (the caller sorts by
 * name). An entry's name is the contact's display name ("First Last", else the company).
 *
 * - `yealink`: `<YealinkIPPhoneDirectory><DirectoryEntry><Name/><Telephone/>…</DirectoryEntry>…`,
 *   one entry per contact with a Telephone per number. This root has no Title: the phone shows the
 *   name configured with the phonebook URL.
 * - `yealink-menu`: `<YealinkIPPhoneBook><Title/><Menu Name=""><Unit Name="" Phone1="" Phone2=""
 *   Phone3=""/>…</Menu></YealinkIPPhoneBook>`: one Unit per contact holding its first three numbers
 *   (the form has three slots; further numbers are left out — use `yealink` to list them all). Empty
 *   slots are written as "". The menu is named `menuName`, else the title.
 * - `cisco` (and `fanvil`, which reads the same XML): `<CiscoIPPhoneDirectory><Title/><Prompt/>
 *   <DirectoryEntry><Name/><Telephone/></DirectoryEntry>…`. A Cisco entry holds one Telephone, so a
 *   contact gets one entry per number, the type in the name: "Ada Lovelace (Mobile)". Cisco phones
 *   show at most 32 DirectoryEntry objects per CiscoIPPhoneDirectory (Cisco Unified IP Phone Services
 *   Application Development Notes); serve pages with `offset`/`limit` (32) and
 *   `phonebookEntryCount` for the total.
 * - `snom`: `<SnomIPPhoneDirectory>` with Title, Prompt and the same one-number entries as Cisco.
 * - `grandstream`: `<AddressBook><Contact><LastName/><FirstName/><Phone type="Work"><phonenumber/>
 *   <accountindex/></Phone>…</Contact>…</AddressBook>`. Grandstream's XML phonebook guides (GXP17xx,
 *   GXP21xx, GVC32xx) give Phone a `type` of Work/Home/Mobile/Fax/Other and `accountindex` 0–5 for
 *   the phone's accounts 1–6; we write `accountIndex` (default 0, the first account). Business
 *   numbers are Work, mobiles Mobile, home numbers Home, both faxes Fax, other Other. A contact with
 *   neither first nor last name gets its company as FirstName (the guide wants one of the two).
 *   The optional `<version>`, `<Group>` and `<pbgroup>` elements are not written.
 *
 * `phonebookChunks` yields the document in pieces of about 16 KB, so 100,000 contacts never sit in
 * one array; `phonebookXml` joins them.
 */
import { displayName } from "../normalize.js";
import { dialable, NUMBER_TYPE_LABELS, type NumberType, type PhonebookContact } from "./common.js";

export const PHONEBOOK_FORMATS = ["yealink", "yealink-menu", "cisco", "fanvil", "snom", "grandstream"] as const;
export type PhonebookFormat = (typeof PHONEBOOK_FORMATS)[number];

/** Cisco phones show at most this many DirectoryEntry objects per CiscoIPPhoneDirectory. */
export const CISCO_MAX_ENTRIES = 32;

export interface PhonebookOptions {
  /** Cisco, Fanvil and Snom: the Prompt line. Default "Select a contact". */
  prompt?: string;
  /** yealink-menu: the Menu's Name. Default: the title. */
  menuName?: string;
  /** Grandstream: the account a number is dialled from, 0–5 for accounts 1–6. Default 0. */
  accountIndex?: number;
  /** Skip this many entries (DirectoryEntry, Unit or Contact elements), for paging. Default 0. */
  offset?: number;
  /** Write at most this many entries. Default: all. */
  limit?: number;
}

const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const TEXT_SPECIAL = /[&<>]/g;
const ATTR_SPECIAL = /[&<>"'\t\n\r]/g;
const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};
const entity = (ch: string) => ENTITIES[ch] ?? ch;

/** Escapes element text. */
export function xmlText(value: string): string {
  return value.replace(NOT_XML_CHAR, "").replace(TEXT_SPECIAL, entity);
}

/** Escapes an attribute value (for double or single quotes; white space kept as character references). */
export function xmlAttr(value: string): string {
  return value.replace(NOT_XML_CHAR, "").replace(ATTR_SPECIAL, entity);
}

const GRANDSTREAM_TYPES: Record<NumberType, string> = {
  business: "Work",
  business2: "Work",
  business_fax: "Fax",
  mobile: "Mobile",
  mobile2: "Mobile",
  home: "Home",
  home2: "Home",
  home_fax: "Fax",
  other: "Other",
};

interface Dialable {
  type: NumberType;
  number: string;
}

function dialableNumbers(contact: PhonebookContact): Dialable[] {
  const out: Dialable[] = [];
  for (const { type, number } of contact.numbers) {
    const dial = dialable(number);
    if (dial) out.push({ type, number: dial });
  }
  return out;
}

function entryName(contact: PhonebookContact, numbers: readonly Dialable[]): string {
  return displayName(contact) || numbers[0]?.number || "";
}

/** The XML elements (DirectoryEntry, Unit or Contact) of one contact. */
function entriesOf(format: PhonebookFormat, contact: PhonebookContact, options: PhonebookOptions): string[] {
  const numbers = dialableNumbers(contact);
  if (numbers.length === 0) return [];
  const name = entryName(contact, numbers);
  switch (format) {
    case "yealink": {
      let entry = `<DirectoryEntry><Name>${xmlText(name)}</Name>`;
      for (const { number } of numbers) entry += `<Telephone>${xmlText(number)}</Telephone>`;
      return [`${entry}</DirectoryEntry>\n`];
    }
    case "yealink-menu": {
      const [one, two, three] = numbers;
      return [
        `<Unit Name="${xmlAttr(name)}" Phone1="${xmlAttr(one?.number ?? "")}" Phone2="${xmlAttr(two?.number ?? "")}" Phone3="${xmlAttr(three?.number ?? "")}"/>\n`,
      ];
    }
    case "cisco":
    case "fanvil":
    case "snom":
      return numbers.map(
        ({ type, number }) =>
          `<DirectoryEntry><Name>${xmlText(`${name} (${NUMBER_TYPE_LABELS[type]})`)}</Name><Telephone>${xmlText(number)}</Telephone></DirectoryEntry>\n`,
      );
    case "grandstream": {
      const account = String(options.accountIndex ?? 0);
      const named = contact.firstName !== "" || contact.lastName !== "";
      let entry = `<Contact><LastName>${xmlText(contact.lastName)}</LastName><FirstName>${xmlText(named ? contact.firstName : name)}</FirstName>`;
      for (const { type, number } of numbers) {
        entry += `<Phone type="${GRANDSTREAM_TYPES[type]}"><phonenumber>${xmlText(number)}</phonenumber><accountindex>${account}</accountindex></Phone>`;
      }
      return [`${entry}</Contact>\n`];
    }
  }
}

function opening(format: PhonebookFormat, title: string, options: PhonebookOptions): string {
  const declaration = '<?xml version="1.0" encoding="UTF-8"?>\n';
  const prompt = xmlText(options.prompt ?? "Select a contact");
  switch (format) {
    case "yealink":
      return `${declaration}<YealinkIPPhoneDirectory>\n`;
    case "yealink-menu":
      return `${declaration}<YealinkIPPhoneBook>\n<Title>${xmlText(title)}</Title>\n<Menu Name="${xmlAttr(options.menuName ?? title)}">\n`;
    case "cisco":
    case "fanvil":
      return `${declaration}<CiscoIPPhoneDirectory>\n<Title>${xmlText(title)}</Title>\n<Prompt>${prompt}</Prompt>\n`;
    case "snom":
      return `${declaration}<SnomIPPhoneDirectory>\n<Title>${xmlText(title)}</Title>\n<Prompt>${prompt}</Prompt>\n`;
    case "grandstream":
      return `${declaration}<AddressBook>\n`;
  }
}

const CLOSING: Record<PhonebookFormat, string> = {
  yealink: "</YealinkIPPhoneDirectory>\n",
  "yealink-menu": "</Menu>\n</YealinkIPPhoneBook>\n",
  cisco: "</CiscoIPPhoneDirectory>\n",
  fanvil: "</CiscoIPPhoneDirectory>\n",
  snom: "</SnomIPPhoneDirectory>\n",
  grandstream: "</AddressBook>\n",
};

const CHUNK = 16_384;

/** The phonebook document in pieces of about 16 KB. Stops reading `contacts` once `limit` entries are written. */
export function* phonebookChunks(
  format: PhonebookFormat,
  title: string,
  contacts: Iterable<PhonebookContact>,
  options: PhonebookOptions = {},
): Generator<string> {
  const offset = Math.max(0, options.offset ?? 0);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let buffer = opening(format, title, options);
  let seen = 0;
  let written = 0;
  if (written < limit) {
    for (const contact of contacts) {
      for (const entry of entriesOf(format, contact, options)) {
        if (seen++ < offset) continue;
        buffer += entry;
        written++;
        if (written >= limit) break;
      }
      if (buffer.length >= CHUNK) {
        yield buffer;
        buffer = "";
      }
      if (written >= limit) break;
    }
  }
  yield buffer + CLOSING[format];
}

/** The whole phonebook document. */
export function phonebookXml(
  format: PhonebookFormat,
  title: string,
  contacts: Iterable<PhonebookContact>,
  options: PhonebookOptions = {},
): string {
  let xml = "";
  for (const chunk of phonebookChunks(format, title, contacts, options)) xml += chunk;
  return xml;
}

/** How many entries (DirectoryEntry, Unit or Contact elements) the contacts make in a format: for paging. */
export function phonebookEntryCount(format: PhonebookFormat, contacts: Iterable<PhonebookContact>): number {
  let count = 0;
  const perNumber = format === "cisco" || format === "fanvil" || format === "snom";
  for (const contact of contacts) {
    const numbers = dialableNumbers(contact).length;
    count += perNumber ? numbers : numbers > 0 ? 1 : 0;
  }
  return count;
}
