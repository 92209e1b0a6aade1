/**
 * What the contact file formats (CSV, vCard, IP-phone phonebooks) share: the contact data they read
 * and write, the error they throw on a file they cannot read, and number helpers.
 *
 * Everything under `formats/` is pure: text in, text or plain objects out, no I/O. Parsers return
 * plain objects shaped like `ContactInput`; the caller validates them with the zod schema
 * (`contactInput`) and reports problems by the record's `line`.
 */
import { DomainError } from "../../errors.js";
import { NUMBER_TYPES, type NumberType } from "../../schemas/contacts.js";

export { NUMBER_TYPES, type NumberType };

export interface NumberData {
  type: NumberType;
  number: string;
}

/** The fields a contact file carries: Yeastar's company contact fields. */
export interface ContactData {
  firstName: string;
  lastName: string;
  company: string;
  email: string;
  remark: string;
  zipCode: string;
  street: string;
  city: string;
  state: string;
  country: string;
  numbers: NumberData[];
}

/** A stored contact as exported: the data plus, when known, its id and last change (vCard UID and REV). */
export type ExportableContact = ContactData & { id?: string; updatedAt?: string };

/** What a phonebook needs of a contact. */
export type PhonebookContact = Pick<ContactData, "firstName" | "lastName" | "company" | "numbers">;

/** The text fields of `ContactData`, in Yeastar's order. */
export const TEXT_FIELDS = [
  "firstName",
  "lastName",
  "company",
  "email",
  "remark",
  "zipCode",
  "street",
  "city",
  "state",
  "country",
] as const satisfies readonly (keyof ContactData)[];
export type TextField = (typeof TEXT_FIELDS)[number];

/** A contact with every field empty, to fill in from a record. */
export function emptyContact(): ContactData {
  return {
    firstName: "",
    lastName: "",
    company: "",
    email: "",
    remark: "",
    zipCode: "",
    street: "",
    city: "",
    state: "",
    country: "",
    numbers: [],
  };
}

/** Human labels of the number types (Yeastar's wording), used in phonebook names. */
export const NUMBER_TYPE_LABELS: Record<NumberType, string> = {
  business: "Business",
  business2: "Business 2",
  business_fax: "Business Fax",
  mobile: "Mobile",
  mobile2: "Mobile 2",
  home: "Home",
  home2: "Home 2",
  home_fax: "Home Fax",
  other: "Other",
};

const NUMBER_TYPE_SET: ReadonlySet<string> = new Set(NUMBER_TYPES);
export function isNumberType(value: string): value is NumberType {
  return NUMBER_TYPE_SET.has(value);
}

/** Orders numbers the way Yeastar lists the types (stable for numbers of one type). */
export function byTypeOrder(numbers: readonly NumberData[]): NumberData[] {
  return [...numbers].sort((a, b) => NUMBER_TYPES.indexOf(a.type) - NUMBER_TYPES.indexOf(b.type));
}

/**
 * The form of a number an IP phone can dial: spaces, dots, parentheses and dashes (and anything else
 * that is not a digit, `*` or `#`) removed, a leading `+` kept. "" when nothing dialable is left.
 * "+1 (555) 010-2000" → "+15550102000".
 */
export function dialable(number: string): string {
  const trimmed = number.trim();
  const digits = trimmed.replace(/[^0-9*#]/g, "");
  if (!/[0-9]/.test(digits)) return "";
  return trimmed.startsWith("+") ? `+${digits}` : digits;
}

/** A contact file that cannot be read at all (no header, unterminated quote, card without END). 400. */
export class ContactFileError extends DomainError {
  override readonly name = "ContactFileError";

  constructor(
    message: string,
    /** The file's physical line (1-based) where the problem is, when there is one. */
    readonly line?: number,
  ) {
    super(
      400,
      "invalid_file",
      line === undefined ? message : `line ${line}: ${message}`,
      line === undefined ? {} : { line },
    );
  }
}
