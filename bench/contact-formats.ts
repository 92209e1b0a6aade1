// Throughput of the contact file formats on generated contacts, on one core:
//   npx tsx bench/contact-formats.ts [contacts]
// Prints contacts per second for CSV export and import, vCard 3.0/4.0 export and import, and the
// Yealink, Cisco and Grandstream phonebook XML.

import type { ContactData } from "../layers/core/contacts/formats/common.js";
import { csvChunks, csvRecordToContactInput, parseCsv } from "../layers/core/contacts/formats/csv.js";
import { phonebookChunks } from "../layers/core/contacts/formats/phonebook.js";
import { parseVcards, vcardChunks } from "../layers/core/contacts/formats/vcard.js";

const count = Number(process.argv[2] ?? 100_000);
const FIRST = ["Ada", "Zoë", "Grace", "Ørjan", "李", "José", "Amélie", "Noah"];
const LAST = ["Lovelace", "Ångström", "Hopper", "O'Brien", "Müller", "García", "Nakamura", "Smith, Jr."];

const contacts: ContactData[] = Array.from({ length: count }, (_, i) => ({
  firstName: FIRST[i % FIRST.length] ?? "",
  lastName: `${LAST[i % LAST.length]} ${i}`,
  company: i % 3 === 0 ? `Company ${i % 500}, Inc.` : "",
  email: `user${i}@example.com`,
  remark: i % 10 === 0 ? `Call after 5; "VIP"\nfloor ${i % 40}` : "",
  zipCode: String(10_000 + (i % 90_000)),
  street: `${i % 999} Main Street`,
  city: "Springfield",
  state: "IL",
  country: "USA",
  numbers: [
    {
      type: "business",
      number: `+1 (555) ${String(i % 1000).padStart(3, "0")}-${String(i % 10_000).padStart(4, "0")}`,
    },
    { type: "mobile", number: `+1 555.${String(i % 10_000).padStart(4, "0")}` },
    ...(i % 2 === 0 ? [{ type: "home" as const, number: `555 ${i}` }] : []),
  ],
}));

function measure(label: string, run: () => number): void {
  const start = performance.now();
  const items = run();
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `${label.padEnd(28)} ${Math.round(items / seconds)
      .toLocaleString("en-US")
      .padStart(12)} contacts/s  (${seconds.toFixed(2)} s)`,
  );
}

let csv = "";
measure("CSV export", () => {
  for (const chunk of csvChunks(contacts, { bom: true })) csv += chunk;
  return count;
});
measure("CSV import (parse + map)", () => {
  let n = 0;
  for (const record of parseCsv(csv)) if (csvRecordToContactInput(record.fields).numbers.length > 0) n++;
  return n;
});
for (const version of ["3.0", "4.0"] as const) {
  let vcf = "";
  measure(`vCard ${version} export`, () => {
    for (const chunk of vcardChunks(contacts, version)) vcf += chunk;
    return count;
  });
  measure(`vCard ${version} import`, () => {
    let n = 0;
    for (const card of parseVcards(vcf)) if (card.contact.numbers.length > 0) n++;
    return n;
  });
}
for (const format of ["yealink", "cisco", "grandstream"] as const) {
  measure(`${format} phonebook XML`, () => {
    let bytes = 0;
    for (const chunk of phonebookChunks(format, "Company", contacts)) bytes += chunk.length;
    return bytes > 0 ? count : 0;
  });
}
