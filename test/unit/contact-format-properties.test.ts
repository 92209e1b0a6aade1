import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  byTypeOrder,
  type ContactData,
  ContactFileError,
  NUMBER_TYPES,
} from "../../layers/core/contacts/formats/common.js";
import { csvChunks, csvRecordToContactInput, parseCsv } from "../../layers/core/contacts/formats/csv.js";
import { contactToVcard, parseVcards } from "../../layers/core/contacts/formats/vcard.js";

/**
 * Properties of the contact file formats over generated input (fast-check, fixed seeds so a
 * failure replays): exports read back as the same contacts, and the parsers, fed anything,
 * either parse or refuse with a ContactFileError (a 400), never crash or hang.
 */
const SEED = 20261201;
const RUNS = 300;

const anyChar = fc.string({ unit: "binary", minLength: 1, maxLength: 1 });

/** Text as people type it, with the characters that matter to the formats mixed in. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom(",", '"', ";", ":", "\\", "\n", "\r", "\r\n", " ", "\t", "=", "+", "-", "@", "'", "é", "李", "🚀"),
    anyChar,
  ),
  maxLength: 40,
});
const number = fc.stringMatching(/^\+?[0-9][0-9 ().-]{0,20}[0-9]$/);

/**
 * A contact with a first name. CSV keeps text exactly; vCard has one line break (LF) and its
 * reader trims values, so its contacts are generated in that form.
 */
const contactArb = (numbers: fc.Arbitrary<ContactData["numbers"]>, value = text) =>
  fc.record({
    firstName: value.filter((s) => s.trim() !== ""),
    lastName: value,
    company: value,
    email: value,
    remark: value,
    zipCode: value,
    street: value,
    city: value,
    state: value,
    country: value,
    numbers,
  });
const vcardText = text.map((s) => s.replace(/\r\n?/g, "\n").trim());
const onePerType = fc
  .subarray([...NUMBER_TYPES])
  .chain((types) => fc.tuple(...types.map((type) => number.map((n) => ({ type, number: n })))));
const anyNumbers = fc.array(fc.record({ type: fc.constantFrom(...NUMBER_TYPES), number }), { maxLength: 6 });

/** What a parser may do with hostile input: return, or refuse with a ContactFileError. */
function parsesOrRefuses(parse: () => unknown[]): boolean {
  try {
    parse();
    return true;
  } catch (error) {
    return error instanceof ContactFileError;
  }
}

describe("CSV properties", () => {
  it("export then import gives back the same contacts, numbers in type order", () => {
    fc.assert(
      fc.property(fc.array(contactArb(onePerType), { minLength: 1, maxLength: 5 }), fc.boolean(), (list, bom) => {
        const csv = [...csvChunks(list, { bom })].join("");
        const back = [...parseCsv(csv)].map((record) => csvRecordToContactInput(record.fields));
        expect(back).toEqual(list.map((c) => ({ ...c, numbers: byTypeOrder(c.numbers) })));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("parses or refuses anything, including quotes, separators and line ends in any order", () => {
    const hostile = fc.string({
      unit: fc.oneof(fc.constantFrom('"', ",", "\r", "\n", "\uFEFF", "\u0000", "a", " "), anyChar),
      maxLength: 400,
    });
    fc.assert(
      fc.property(hostile, (input) =>
        parsesOrRefuses(() => [...parseCsv(`First Name,Business Number\n${input}`)].map((r) => r.fields)),
      ),
      { seed: SEED, numRuns: RUNS * 3 },
    );
  });
});

describe("vCard properties", () => {
  it.each(["3.0", "4.0"] as const)("vCard %s: export then import gives back the same contacts", (version) => {
    fc.assert(
      fc.property(fc.array(contactArb(anyNumbers, vcardText), { minLength: 1, maxLength: 4 }), (list) => {
        const cards = list.map((c) => contactToVcard(c, version)).join("");
        expect([...parseVcards(cards)].map((r) => r.contact)).toEqual(list);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("parses or refuses anything between BEGIN and END, folded lines and bad escapes included", () => {
    const line = fc.string({
      unit: fc.oneof(fc.constantFrom(":", ";", "=", ",", "\\", "\r\n ", "\r\n\t", "\n", "TEL", "N", "FN"), anyChar),
      maxLength: 60,
    });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), (lines, close) =>
        parsesOrRefuses(() => [
          ...parseVcards(["BEGIN:VCARD", "VERSION:3.0", ...lines, ...(close ? ["END:VCARD"] : [])].join("\r\n")),
        ]),
      ),
      { seed: SEED, numRuns: RUNS * 3 },
    );
  });
});
