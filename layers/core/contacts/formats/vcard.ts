/**
 * vCard 3.0 (RFC 2426) and 4.0 (RFC 6350), both ways.
 *
 * Export writes, per contact: BEGIN, VERSION, PRODID, UID (the contact id; `UID;VALUE=text:` in 4.0,
 * where UID is a URI by default), N (`last;first;;;`), FN (display name: "First Last", else the
 * company), ORG, EMAIL (`TYPE=internet` in 3.0), one TEL per number, ADR (`TYPE=work:;;street;city;
 * state;zip;country`, only when one of them is set), NOTE (remark), REV (the contact's `updatedAt`,
 * `2024-05-01T12:34:56Z` in 3.0, `20240501T123456Z` in 4.0), END. Text is escaped (`\\ \, \; \n`),
 * lines end in CRLF and are folded at 75 octets without splitting a UTF-8 character.
 *
 * TEL types, and how import maps them back:
 *
 *   business     TYPE=work,voice     business2  TYPE=work,voice
 *   business_fax TYPE=work,fax       mobile     TYPE=cell
 *   mobile2      TYPE=cell           home       TYPE=home,voice
 *   home2        TYPE=home,voice     home_fax   TYPE=home,fax
 *   other        TYPE=voice
 *
 * Every exported TEL also carries `X-NUMBER-TYPE=<our type>` (an x-param, which other readers ignore);
 * import uses it when present, so our own files restore business2/mobile2/home2 (and several numbers
 * of one type) exactly. Without it, TYPE decides: fax → home_fax with `home`, else business_fax;
 * cell (or mobile/iphone) → mobile; work → business; home → home; anything else → other; and a second
 * work/cell/home number on one card becomes business2/mobile2/home2 while that is free.
 *
 * Import (`parseVcards`) unfolds lines (CRLF, LF or CR), reads 3.0 and 4.0 (and 2.1-style bare
 * parameters such as `TEL;WORK;VOICE:`), `TYPE=work,voice`, `TYPE=WORK;TYPE=VOICE` and quoted
 * `TYPE="work,voice"` alike, case-insensitively; ignores CHARSET; strips a `tel:` URI scheme. It does
 * NOT decode QUOTED-PRINTABLE (vCard 2.1): such values are kept as written and the record gets a
 * warning. When N is missing or empty, FN is split at its last space into first and last name
 * (unless FN is just the ORG: a company-only card keeps its names empty).
 */
import { displayName } from "../normalize.js";
import {
  type ContactData,
  ContactFileError,
  type ExportableContact,
  emptyContact,
  isNumberType,
  type NumberType,
} from "./common.js";

export type VcardVersion = "3.0" | "4.0";

/** The x-param that carries our exact number type on TEL. */
export const NUMBER_TYPE_PARAM = "X-NUMBER-TYPE";

export const VCARD_TEL_TYPES: Record<NumberType, string> = {
  business: "work,voice",
  business2: "work,voice",
  business_fax: "work,fax",
  mobile: "cell",
  mobile2: "cell",
  home: "home,voice",
  home2: "home,voice",
  home_fax: "home,fax",
  other: "voice",
};

const PRODID = "-//cloud-pbx//Contacts//EN";
const CRLF = "\r\n";

// ---------------------------------------------------------------------------------------------
// Export

/** Escapes a text value (or one component of a structured value). */
export function escapeVcardText(value: string): string {
  return value.replace(/\\|,|;|\r\n|\r|\n/g, (m) =>
    m === "\\" ? "\\\\" : m === "," ? "\\," : m === ";" ? "\\;" : "\\n",
  );
}

/**
 * Folds a content line at 75 octets (RFC 6350 3.2): continuation lines start with one space and
 * hold at most 74 more octets. Never splits a UTF-8 sequence (or a surrogate pair). No CRLF added.
 */
export function foldLine(line: string): string {
  if (line.length <= 25) return line; // at most 3 octets per UTF-16 unit
  if (line.length <= 75 && Buffer.byteLength(line, "utf8") <= 75) return line;
  let out = "";
  let start = 0;
  let octets = 0;
  let limit = 75;
  for (let i = 0; i < line.length; ) {
    const cp = line.codePointAt(i) ?? 0;
    const units = cp > 0xffff ? 2 : 1;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (octets + size > limit) {
      out += `${line.slice(start, i)}${CRLF} `;
      start = i;
      octets = 0;
      limit = 74;
    }
    octets += size;
    i += units;
  }
  return start === 0 ? line : out + line.slice(start);
}

function revision(updatedAt: string | undefined, version: VcardVersion): string | undefined {
  if (!updatedAt) return undefined;
  const time = Date.parse(updatedAt);
  if (Number.isNaN(time)) return undefined;
  const iso = new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");
  return version === "4.0" ? iso.replace(/[-:]/g, "") : iso;
}

/** One contact as a vCard (BEGIN to END, CRLF after every line). */
export function contactToVcard(contact: ExportableContact, version: VcardVersion): string {
  const e = escapeVcardText;
  const lines = ["BEGIN:VCARD", `VERSION:${version}`, `PRODID:${PRODID}`];
  if (contact.id) lines.push(version === "4.0" ? `UID;VALUE=text:${e(contact.id)}` : `UID:${e(contact.id)}`);
  lines.push(`N:${e(contact.lastName)};${e(contact.firstName)};;;`);
  lines.push(`FN:${e(displayName(contact))}`);
  if (contact.company) lines.push(`ORG:${e(contact.company)}`);
  if (contact.email)
    lines.push(version === "3.0" ? `EMAIL;TYPE=internet:${e(contact.email)}` : `EMAIL:${e(contact.email)}`);
  for (const { type, number } of contact.numbers) {
    lines.push(`TEL;TYPE=${VCARD_TEL_TYPES[type]};${NUMBER_TYPE_PARAM}=${type}:${e(number)}`);
  }
  if (contact.street || contact.city || contact.state || contact.zipCode || contact.country) {
    const adr = [contact.street, contact.city, contact.state, contact.zipCode, contact.country].map(e).join(";");
    lines.push(`ADR;TYPE=work:;;${adr}`);
  }
  if (contact.remark) lines.push(`NOTE:${e(contact.remark)}`);
  const rev = revision(contact.updatedAt, version);
  if (rev) lines.push(`REV:${rev}`);
  lines.push("END:VCARD");
  let card = "";
  for (const line of lines) card += foldLine(line) + CRLF;
  return card;
}

/** A whole export, one card per chunk. */
export function* vcardChunks(contacts: Iterable<ExportableContact>, version: VcardVersion): Generator<string> {
  for (const contact of contacts) yield contactToVcard(contact, version);
}

// ---------------------------------------------------------------------------------------------
// Import

/** One card read from a file, mapped to the contact shape (not yet validated). */
export interface VcardRecord {
  /** The file's physical line (1-based) of the card's BEGIN:VCARD. */
  line: number;
  /** The card's VERSION ("3.0", "4.0", "2.1", or "" when missing). */
  version: string;
  /** The card's UID, when it has one (our exports put the contact id there). */
  uid?: string;
  contact: ContactData;
  /** Things read but not understood, e.g. quoted-printable values. */
  warnings: string[];
}

interface Property {
  /** Upper case, without the group prefix. */
  name: string;
  /** Upper-case parameter names → values (unquoted, comma lists split). Bare 2.1 parameters go under TYPE. */
  params: Map<string, string[]>;
  /** As written (still escaped). */
  value: string;
  line: number;
}

/** Unfolded content lines with the physical line each starts on. */
function* contentLines(text: string): Generator<{ line: number; text: string }> {
  let source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (/\r(?!\n)/.test(source)) source = source.replace(/\r\n?/g, "\n");
  let current: string | undefined;
  let currentLine = 0;
  let physical = 0;
  let at = 0;
  while (at <= source.length) {
    let end = source.indexOf("\n", at);
    if (end === -1) end = source.length;
    let raw = source.slice(at, end);
    if (raw.endsWith("\r")) raw = raw.slice(0, -1);
    physical++;
    at = end + 1;
    const first = raw.charCodeAt(0);
    if ((first === 32 || first === 9) && current !== undefined) {
      current += raw.slice(1);
      continue;
    }
    if (current !== undefined && current !== "") yield { line: currentLine, text: current };
    current = raw;
    currentLine = physical;
  }
  if (current !== undefined && current !== "") yield { line: currentLine, text: current };
}

function splitParamValues(raw: string): string[] {
  const values: string[] = [];
  let value = "";
  let quoted = false;
  for (const ch of raw) {
    if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) {
      values.push(value);
      value = "";
    } else value += ch;
  }
  values.push(value);
  return values;
}

function addParam(params: Map<string, string[]>, param: string): void {
  const eq = param.indexOf("=");
  const key = eq === -1 ? "TYPE" : param.slice(0, eq).trim().toUpperCase();
  const raw = eq === -1 ? param : param.slice(eq + 1);
  const values = (raw.includes('"') ? splitParamValues(raw) : raw.split(",")).map((v) => v.trim());
  const known = params.get(key);
  if (known) known.push(...values);
  else params.set(key, values);
}

function parseContentLine(text: string, line: number): Property | undefined {
  // name[;param...]:value — a colon inside a quoted parameter value does not end the parameters.
  const colon = text.indexOf(":");
  if (colon === -1) return undefined;
  const head = text.slice(0, colon);
  if (!head.includes('"')) {
    // The common case: no quoted parameter value, so `;` and `:` are all separators.
    const parts = head.split(";");
    const fullName = parts[0] ?? "";
    const params = new Map<string, string[]>();
    for (let p = 1; p < parts.length; p++) addParam(params, parts[p] ?? "");
    const name = fullName
      .slice(fullName.lastIndexOf(".") + 1)
      .trim()
      .toUpperCase();
    return { name, params, value: text.slice(colon + 1), line };
  }
  let i = 0;
  while (i < text.length && text[i] !== ";" && text[i] !== ":") i++;
  if (i >= text.length) return undefined;
  const fullName = text.slice(0, i);
  const name = fullName
    .slice(fullName.lastIndexOf(".") + 1)
    .trim()
    .toUpperCase();
  const params = new Map<string, string[]>();
  while (text[i] === ";") {
    i++;
    const start = i;
    let quoted = false;
    while (i < text.length && (quoted || (text[i] !== ";" && text[i] !== ":"))) {
      if (text[i] === '"') quoted = !quoted;
      i++;
    }
    addParam(params, text.slice(start, i));
  }
  if (text[i] !== ":") return undefined;
  return { name, params, value: text.slice(i + 1), line };
}

/** Unescapes a text value: `\n` `\N` → newline, `\x` → x. */
export function unescapeVcardText(value: string): string {
  if (!value.includes("\\")) return value;
  return value.replace(/\\(.)/gs, (_, ch: string) => (ch === "n" || ch === "N" ? "\n" : ch));
}

/** Splits at `separator` where it is not escaped; the parts stay escaped. */
function splitEscaped(value: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === "\\") i++;
    else if (ch === separator) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts;
}

/** The components of a structured value (N, ADR, ORG); list values inside a component joined by `join`. */
function components(value: string, join: string): string[] {
  return splitEscaped(value, ";").map((part) =>
    splitEscaped(part, ",")
      .map(unescapeVcardText)
      .map((v) => v.trim())
      .filter((v) => v !== "")
      .join(join),
  );
}

const SECOND_OF: Partial<Record<NumberType, NumberType>> = {
  business: "business2",
  mobile: "mobile2",
  home: "home2",
};

function telType(property: Property, used: ReadonlySet<NumberType>): NumberType {
  const explicit = property.params.get(NUMBER_TYPE_PARAM)?.[0]?.toLowerCase();
  if (explicit !== undefined && isNumberType(explicit)) return explicit;
  // `TYPE="work,voice"` (RFC 6350's own example) is one quoted value meaning two types.
  const types = new Set((property.params.get("TYPE") ?? []).flatMap((t) => t.toLowerCase().split(",")));
  let base: NumberType;
  if (types.has("fax")) base = types.has("home") ? "home_fax" : "business_fax";
  else if (types.has("cell") || types.has("mobile") || types.has("iphone")) base = "mobile";
  else if (types.has("work")) base = "business";
  else if (types.has("home")) base = "home";
  else base = "other";
  const second = SECOND_OF[base];
  return used.has(base) && second !== undefined && !used.has(second) ? second : base;
}

function telNumber(value: string): string {
  const text = unescapeVcardText(value).trim();
  if (!/^tel:/i.test(text)) return text;
  const number = text.slice(4).split(";")[0] ?? "";
  try {
    return decodeURIComponent(number);
  } catch {
    return number;
  }
}

function splitFullName(fn: string): { firstName: string; lastName: string } {
  const name = fn.trim().replace(/\s+/g, " ");
  const space = name.lastIndexOf(" ");
  return space === -1
    ? { firstName: name, lastName: "" }
    : { firstName: name.slice(0, space), lastName: name.slice(space + 1) };
}

function toRecord(line: number, properties: Property[]): VcardRecord {
  const contact = emptyContact();
  const warnings: string[] = [];
  let version = "";
  let uid: string | undefined;
  let fn: string | undefined;
  let hasName = false;
  let hasAdr = false;
  const used = new Set<NumberType>();
  for (const property of properties) {
    const encoding = property.params.get("ENCODING")?.[0]?.toUpperCase();
    if (encoding === "QUOTED-PRINTABLE") {
      warnings.push(`line ${property.line}: ${property.name} is quoted-printable, which is not decoded`);
    }
    switch (property.name) {
      case "VERSION":
        version = property.value.trim();
        break;
      case "UID":
        uid ??= unescapeVcardText(property.value).trim() || undefined;
        break;
      case "N": {
        if (hasName) break;
        const [last = "", first = ""] = components(property.value, " ");
        contact.lastName = last;
        contact.firstName = first;
        hasName = last !== "" || first !== "";
        break;
      }
      case "FN":
        fn ??= unescapeVcardText(property.value);
        break;
      case "ORG":
        contact.company ||= components(property.value, ", ")
          .filter((v) => v !== "")
          .join(", ");
        break;
      case "EMAIL":
        contact.email ||= unescapeVcardText(property.value).trim();
        break;
      case "TEL": {
        const number = telNumber(property.value);
        if (number === "") break;
        const type = telType(property, used);
        used.add(type);
        contact.numbers.push({ type, number });
        break;
      }
      case "ADR": {
        if (hasAdr) break;
        hasAdr = true;
        const [, , street = "", city = "", state = "", zipCode = "", country = ""] = components(property.value, ", ");
        Object.assign(contact, { street, city, state, zipCode, country });
        break;
      }
      case "NOTE":
        contact.remark ||= unescapeVcardText(property.value);
        break;
    }
  }
  // A card for a company alone (FN = ORG, as ours are when a contact has no name) keeps its names empty.
  if (!hasName && fn !== undefined && fn.trim() !== contact.company) Object.assign(contact, splitFullName(fn));
  return uid === undefined ? { line, version, contact, warnings } : { line, version, uid, contact, warnings };
}

/**
 * The cards of a vCard file, lazily, each mapped to the contact shape. Text outside
 * BEGIN:VCARD…END:VCARD is ignored. A card without END:VCARD, or a BEGIN:VCARD inside a card, is a
 * `ContactFileError` naming the line.
 */
export function* parseVcards(text: string): Generator<VcardRecord> {
  let card: { line: number; properties: Property[] } | undefined;
  for (const { line, text: content } of contentLines(text)) {
    const property = parseContentLine(content, line);
    if (property === undefined) continue;
    const value = property.value.trim().toUpperCase();
    if (property.name === "BEGIN" && value === "VCARD") {
      if (card) throw new ContactFileError(`BEGIN:VCARD inside the card that starts on line ${card.line}`, line);
      card = { line, properties: [] };
    } else if (property.name === "END" && value === "VCARD") {
      if (!card) throw new ContactFileError("END:VCARD without BEGIN:VCARD", line);
      yield toRecord(card.line, card.properties);
      card = undefined;
    } else if (card) {
      card.properties.push(property);
    }
  }
  if (card) throw new ContactFileError("the card has no END:VCARD", card.line);
}
