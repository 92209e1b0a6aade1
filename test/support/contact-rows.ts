import type { ContactData } from "../../layers/core/contacts/formats/common.js";
import type { NumberType } from "../../layers/core/schemas/contacts.js";
import { prng } from "./prng.js";

/** A contact with only a name and one number, told apart by `i`. */
export function person(i: number, extra: Partial<ContactData> = {}): ContactData {
  return {
    firstName: `Person${i}`,
    lastName: "Example",
    company: "",
    email: "",
    remark: "",
    zipCode: "",
    street: "",
    city: "",
    state: "",
    country: "",
    numbers: [{ type: "business", number: `555 ${String(i).padStart(4, "0")}` }],
    ...extra,
  };
}

const NUMBER_TYPES: NumberType[] = [
  "business",
  "business2",
  "business_fax",
  "mobile",
  "mobile2",
  "home",
  "home2",
  "home_fax",
  "other",
];

/** Contacts with every column filled: long remarks and streets, nine numbers (about 1.1 KB of CSV each). */
export function wideContacts(count: number, seed: number): ContactData[] {
  const random = prng(seed);
  const word = () => Math.floor(random() * 36 ** 6).toString(36);
  const words = (n: number) => Array.from({ length: n }, word).join(" ");
  return Array.from({ length: count }, (_, i) =>
    person(i, {
      firstName: `Wide${i} ${word()}`,
      lastName: `Ŵïdé-${word()}`,
      company: words(8).slice(0, 128),
      email: `p${i}@${word()}.example.com`,
      remark: words(100).slice(0, 700),
      zipCode: String(10000 + i),
      street: words(20).slice(0, 140),
      city: word(),
      state: word(),
      country: word(),
      numbers: NUMBER_TYPES.map((type, n) => ({ type, number: `+1 (555) ${String(i).padStart(4, "0")}-${n}0${n}` })),
    }),
  );
}
