import type { ContactInput } from "../schemas/contacts.js";
import { digitsOf, displayName, nameKey } from "./normalize.js";

/**
 * The search tokens of one company contact, derived from its fields wherever they are needed and
 * held sorted in memory (entities/contact-index.ts), so each lookup is a range of a sorted list
 * (never a Scan):
 *
 *   s#<name>#<id>          list, sorted by name (one per contact)
 *   n#<word or name>#<id>  name search: each word of first name, last name and company, and the
 *                          whole "first last" and "last first", so any of them can be a prefix
 *   c#<company>#<id>       company filter
 *   d#<digits>#<id>        number search by leading digits
 *   r#<reversed>#<id>      number search by trailing digits ("0102000" finds "+1 555 010 2000")
 *   k#<first|last|company>#<id>  the import match rule's candidates
 *
 * A separator no name can contain keeps prefixes from running into ids. (Until D-imports-4 these
 * were items of a `#CCX` partition; the strings and their order are unchanged.)
 */
const SEP = "\u0001";

export function sortName(contact: Pick<ContactInput, "firstName" | "lastName" | "company">): string {
  return nameKey(displayName(contact)) || "~";
}

export function matchKey(contact: Pick<ContactInput, "firstName" | "lastName" | "company">): string {
  return [contact.firstName, contact.lastName, contact.company].map(nameKey).join("|");
}

/** The fields a contact's tokens come from. */
export type TokenFields = Pick<ContactInput, "firstName" | "lastName" | "company" | "numbers">;

export function indexTokens(contact: TokenFields, contactId: string): string[] {
  const tokens = new Set<string>();
  // Joined, not concatenated: a join makes a flat string, where `+` and templates make a rope
  // that V8 keeps beside its flattened copy; the index holds a million of these.
  const add = (kind: string, value: string) => {
    if (value) tokens.add([kind, "#", value, SEP, contactId].join(""));
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

/** The range of tokens for a prefix of one kind. */
export function tokenPrefix(kind: "s" | "n" | "c" | "d" | "r" | "k", prefix: string): string {
  return `${kind}#${prefix}`;
}

export function contactIdOf(token: string): string {
  return token.slice(token.lastIndexOf(SEP) + 1);
}
