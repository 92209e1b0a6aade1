import type { ContactInput } from "../schemas/contacts.js";
import { digitsOf, displayName, nameKey } from "./normalize.js";

/**
 * The search index of one company contact: small items in the tenant's `#CCX` partition whose
 * sort keys make each lookup a key-range Query (never a Scan):
 *
 *   s#<name>#<id>          list, sorted by name (one per contact)
 *   n#<word or name>#<id>  name search: each word of first name, last name and company, and the
 *                          whole "first last" and "last first", so any of them can be a prefix
 *   c#<company>#<id>       company filter
 *   d#<digits>#<id>        number search by leading digits
 *   r#<reversed>#<id>      number search by trailing digits ("0102000" finds "+1 555 010 2000")
 *   k#<first|last|company>#<id>  the import match rule's candidates
 *
 * A separator no name can contain keeps prefixes from running into ids.
 */
const SEP = "\u0001";

export function sortName(contact: Pick<ContactInput, "firstName" | "lastName" | "company">): string {
  return nameKey(displayName(contact)) || "~";
}

export function matchKey(contact: Pick<ContactInput, "firstName" | "lastName" | "company">): string {
  return [contact.firstName, contact.lastName, contact.company].map(nameKey).join("|");
}

/** The one sort-order entry of a contact (the first of `indexTokens`). */
export function sortToken(
  contact: Pick<ContactInput, "firstName" | "lastName" | "company">,
  contactId: string,
): string {
  return `s#${sortName(contact)}${SEP}${contactId}`;
}

export function indexTokens(contact: ContactInput, contactId: string): string[] {
  const tokens = new Set<string>();
  const add = (kind: string, value: string) => {
    if (value) tokens.add(`${kind}#${value}${SEP}${contactId}`);
  };
  add("s", sortName(contact));
  const first = nameKey(contact.firstName);
  const last = nameKey(contact.lastName);
  const company = nameKey(contact.company);
  for (const word of `${first} ${last} ${company}`.split(" ")) add("n", word);
  add("n", `${first} ${last}`.trim());
  add("n", `${last} ${first}`.trim());
  add("n", company);
  add("c", company);
  add("k", matchKey(contact));
  for (const { number } of contact.numbers) {
    const digits = digitsOf(number);
    add("d", digits);
    add("r", [...digits].reverse().join(""));
  }
  return [...tokens];
}

/** The Query range for a prefix of one kind of token. */
export function tokenPrefix(kind: "s" | "n" | "c" | "d" | "r" | "k", prefix: string): string {
  return `${kind}#${prefix}`;
}

export function contactIdOf(token: string): string {
  return token.slice(token.lastIndexOf(SEP) + 1);
}
