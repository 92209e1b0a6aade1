import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import {
  byTypeOrder,
  type ContactData,
  ContactFileError,
  dialable,
  emptyContact,
} from "../../layers/core/contacts/formats/common.js";
import {
  CSV_COLUMNS,
  type CsvExportWarning,
  contactToCsvRow,
  csvChunks,
  csvHeader,
  csvRecordToContactInput,
  parseCsv,
} from "../../layers/core/contacts/formats/csv.js";
import {
  CISCO_MAX_ENTRIES,
  type PhonebookFormat,
  phonebookChunks,
  phonebookEntryCount,
  phonebookXml,
} from "../../layers/core/contacts/formats/phonebook.js";
import { contactToVcard, foldLine, parseVcards, type VcardVersion } from "../../layers/core/contacts/formats/vcard.js";
import { contactInput, NUMBER_TYPES } from "../../layers/core/schemas/contacts.js";

// ---------------------------------------------------------------------------------------------
// Fixtures

function contact(fields: Partial<ContactData>): ContactData {
  return { ...emptyContact(), ...fields };
}

/** Every field set, one number of every type, text full of separators. */
const ada = contact({
  firstName: "Ada",
  lastName: "Lovelace",
  company: "Analytical Engines, Ltd.",
  email: "ada@example.com",
  remark: 'Prefers "Countess"; call after 5,\nnot before. Back\\slash',
  zipCode: "SW1Y 4LE",
  street: "12 St James's Square; Flat 3",
  city: "London",
  state: "Greater London",
  country: "United Kingdom",
  numbers: NUMBER_TYPES.map((type, i) => ({ type, number: `+44 20 7946 0${i}${i}${i}` })),
});

/** Unicode names, a few numbers written the ways people write them. */
const zoe = contact({
  firstName: "Zoë",
  lastName: "Ångström-李",
  company: "Café 🚀, Inc.",
  city: "Zürich",
  numbers: [
    { type: "business", number: "+1 (555) 010-2000" },
    { type: "mobile2", number: "1.555.010.2001" },
    { type: "home_fax", number: "555 010 2002" },
  ],
});

/** Only a last name and one number: Yeastar's minimum. */
const solo = contact({ lastName: "Solo", numbers: [{ type: "other", number: "100" }] });

const contacts = [ada, zoe, solo];

function csvOf(list: Iterable<ContactData>, options: { bom?: boolean } = {}): string {
  return [...csvChunks(list, options)].join("");
}

function importCsv(text: string) {
  return [...parseCsv(text)].map((record) => ({ line: record.line, contact: csvRecordToContactInput(record.fields) }));
}

function withTypeOrder(c: ContactData): ContactData {
  return { ...c, numbers: byTypeOrder(c.numbers) };
}

// ---------------------------------------------------------------------------------------------
// CSV

describe("CSV export", () => {
  it("writes Yeastar's template header", () => {
    // Act
    const header = csvHeader();

    // Assess
    expect(header).toBe(
      "First Name,Last Name,Company,Email,Business Number,Business Number 2,Business Fax,Mobile Number,Mobile Number 2,Home Number,Home Number 2,Home Fax,Other Number,Zip Code,Street,City,State,Country,Remark\r\n",
    );
    expect(csvHeader({ bom: true }).startsWith("\uFEFFFirst Name,")).toBe(true);
  });

  it("quotes fields with quotes, commas and line breaks (RFC 4180) and ends rows in CRLF", () => {
    // Act
    const row = contactToCsvRow(
      contact({ firstName: 'Ann "Nan"', lastName: "Lee", company: "A, B", remark: "one\ntwo", city: " padded " }),
    );

    // Assess
    expect(row).toBe('"Ann ""Nan""",Lee,"A, B",,,,,,,,,,,,," padded ",,,"one\ntwo"\r\n');
  });

  it("puts a number in the column of its type", () => {
    // Act
    const row = contactToCsvRow(zoe);

    // Assess
    const cells = parseCsvCells(row);
    const column = (header: string) => cells[CSV_COLUMNS.findIndex((c) => c.header === header)];
    expect(column("Business Number")).toBe("+1 (555) 010-2000");
    expect(column("Mobile Number 2")).toBe("1.555.010.2001");
    expect(column("Home Fax")).toBe("555 010 2002");
    expect(column("Mobile Number")).toBe("");
  });

  it("moves a second number of one type to the type's 2 column, then Other, and drops what is left", () => {
    // Prepare
    const many = contact({
      firstName: "Many",
      numbers: [
        { type: "mobile", number: "1" },
        { type: "mobile", number: "2" },
        { type: "mobile", number: "3" },
        { type: "mobile", number: "4" },
        { type: "business_fax", number: "5" },
        { type: "business_fax", number: "6" },
      ],
    });
    const warnings: CsvExportWarning[] = [];

    // Act
    const row = contactToCsvRow(many, (w) => warnings.push(w));
    const [back] = importCsv(csvHeader() + row);

    // Assess
    expect(back?.contact.numbers).toEqual([
      { type: "business_fax", number: "5" },
      { type: "mobile", number: "1" },
      { type: "mobile2", number: "2" },
      { type: "other", number: "3" },
    ]);
    expect(warnings).toEqual([
      { kind: "moved", number: { type: "mobile", number: "2" }, to: "mobile2" },
      { kind: "moved", number: { type: "mobile", number: "3" }, to: "other" },
      { kind: "dropped", number: { type: "mobile", number: "4" } },
      { kind: "dropped", number: { type: "business_fax", number: "6" } },
    ]);
  });

  it("guards cells a spreadsheet would run as formulas, but not phone numbers starting with +", () => {
    // Prepare
    const evil = contact({
      firstName: '=HYPERLINK("http://evil","x")',
      lastName: "+SUM(A1)",
      company: "-2+3",
      email: "@cmd",
      remark: "\tTab",
      street: "\rCR",
      city: "'=already quoted",
      state: "＝fullwidth",
      country: "Plain",
      numbers: [
        { type: "business", number: "+15550100" },
        { type: "mobile", number: "-555" },
        { type: "other", number: "=1+2" },
      ],
    });

    // Act
    const row = contactToCsvRow(evil);
    const [back] = importCsv(csvHeader() + row);

    // Assess
    const cells = [...parseCsvCells(row)];
    const cell = (key: string) => cells[CSV_COLUMNS.findIndex((c) => c.key === key)];
    expect(cell("firstName")).toBe('\'=HYPERLINK("http://evil","x")');
    expect(cell("lastName")).toBe("'+SUM(A1)");
    expect(cell("company")).toBe("'-2+3");
    expect(cell("email")).toBe("'@cmd");
    expect(cell("remark")).toBe("'\tTab");
    expect(cell("street")).toBe("'\rCR");
    expect(cell("city")).toBe("''=already quoted");
    expect(cell("state")).toBe("'＝fullwidth");
    expect(cell("country")).toBe("Plain");
    expect(cell("business")).toBe("+15550100");
    expect(cell("mobile")).toBe("-555");
    expect(cell("other")).toBe("'=1+2");
    expect(back?.contact).toEqual(withTypeOrder(evil));
  });
});

/** The cells of one CSV row, via the importer's own tokenizer (header of 19 generic names). */
function parseCsvCells(row: string): string[] {
  const [record] = [...parseCsv(csvHeader() + row)];
  return CSV_COLUMNS.map((c) => record?.fields[c.key] ?? "");
}

describe("CSV round trip", () => {
  it("gives back the same contacts: unicode, separators in text, every number type", () => {
    // Act
    const back = importCsv(csvOf(contacts, { bom: true }));

    // Assess
    expect(back.map((r) => r.contact)).toEqual(contacts.map(withTypeOrder));
    expect(back.map((r) => r.line)).toEqual([2, 4, 5]); // Ada's remark spans two lines
  });

  it("lists numbers in Yeastar's type order whatever order they were in", () => {
    // Prepare
    const shuffled = contact({
      firstName: "Shuffled",
      numbers: [
        { type: "other", number: "9" },
        { type: "business", number: "1" },
        { type: "home", number: "5" },
      ],
    });

    // Act
    const [back] = importCsv(csvOf([shuffled]));

    // Assess
    expect(back?.contact.numbers.map((n) => n.type)).toEqual(["business", "home", "other"]);
  });

  it("produces input the contact schema accepts", () => {
    // Act
    const back = importCsv(csvOf([zoe, solo]));

    // Assess
    for (const record of back) expect(contactInput.safeParse(record.contact).success).toBe(true);
  });
});

describe("CSV import", () => {
  it("accepts a byte order mark, CRLF, blank lines and rows of empty cells", () => {
    // Prepare
    const text = "\uFEFFFirst Name,Mobile Number\r\n\r\nAnn,100\r\n,\r\n   \r\nBob,200\r\n";

    // Act
    const back = importCsv(text);

    // Assess
    expect(back.map((r) => [r.line, r.contact.firstName, r.contact.numbers[0]?.number])).toEqual([
      [3, "Ann", "100"],
      [6, "Bob", "200"],
    ]);
  });

  it("keeps line breaks inside quoted fields and numbers records by the physical line they start on", () => {
    // Prepare
    const text = [
      "Last Name,Remark,Other Number",
      'One,"first\r\nsecond\nthird",1',
      "Two,plain,2",
      'Three,"a ""quoted""\rline",3',
      "Four,,4",
    ].join("\n");

    // Act
    const back = importCsv(text);

    // Assess
    expect(back.map((r) => [r.line, r.contact.lastName, r.contact.remark])).toEqual([
      [2, "One", "first\r\nsecond\nthird"],
      [5, "Two", "plain"],
      [6, "Three", 'a "quoted"\rline'],
      [8, "Four", ""],
    ]);
  });

  it("matches headers case-insensitively, ignoring spaces, underscores and unknown columns", () => {
    // Prepare
    const text =
      "  FIRST NAME ,last_name,Nickname,zip_code,mobile number 2,BusinessFax,Favourite Colour\nAnn,Lee,Annie,12345,200,300,blue\n";

    // Act
    const [back] = importCsv(text);

    // Assess
    expect(back?.contact).toEqual(
      contact({
        firstName: "Ann",
        lastName: "Lee",
        zipCode: "12345",
        numbers: [
          { type: "business_fax", number: "300" },
          { type: "mobile2", number: "200" },
        ],
      }),
    );
  });

  it("treats missing columns and short rows as empty, ignores extra cells and blank number cells", () => {
    // Prepare
    const text = "Last Name,Business Number,Mobile Number,City\nShort,100\nLong,, 200 ,Oslo,extra,cells\n";

    // Act
    const back = importCsv(text);

    // Assess
    expect(back.map((r) => r.contact)).toEqual([
      contact({ lastName: "Short", numbers: [{ type: "business", number: "100" }] }),
      contact({ lastName: "Long", city: "Oslo", numbers: [{ type: "mobile", number: " 200 " }] }),
    ]);
  });

  it("counts a repeated column once (the first)", () => {
    // Act
    const [back] = importCsv("Last Name,Mobile Number,Mobile Number\nLee,1,2\n");

    // Assess
    expect(back?.contact.numbers).toEqual([{ type: "mobile", number: "1" }]);
  });

  it("removes an apostrophe a spreadsheet user put before a +", () => {
    // Act
    const [back] = importCsv("Last Name,Mobile Number\nLee,'+4420794600\n");

    // Assess
    expect(back?.contact.numbers).toEqual([{ type: "mobile", number: "+4420794600" }]);
  });

  it.each([
    ["an empty file", "", /empty/, undefined],
    ["a file of blank lines", "\r\n\r\n", /empty/, undefined],
    ["data where the header should be", "Ann,Lee,555\n", /not a header/, 1],
    ["a semicolon-separated file", "First Name;Mobile Number\nAnn;1\n", /separate columns with commas/, 1],
    ["a header without a name column", "Company,Mobile Number\nAcme,1\n", /First Name or Last Name/, 1],
    ["a header without a number column", "\nFirst Name,Email\nAnn,a@b.c\n", /number column/, 2],
    ["an unclosed quote", 'Last Name,Remark,Other Number\nLee,ok,1\nKim,"never closed\n', /never closed/, 3],
  ])("rejects %s with a clear error", (_, text, message, line) => {
    // Act
    const read = () => [...parseCsv(text)];

    // Assess
    expect(read).toThrow(ContactFileError);
    expect(read).toThrow(message);
    try {
      read();
    } catch (error) {
      expect((error as ContactFileError).line).toBe(line);
      expect((error as ContactFileError).status).toBe(400);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// vCard

const stored = { ...ada, id: "01HZY3M5X8V0Q2W4E6R8T0Y2U4", updatedAt: "2024-05-01T12:34:56.789Z" };

describe.each(["3.0", "4.0"] as VcardVersion[])("vCard %s", (version) => {
  it("round trips contacts exactly, in their number order, with the id as UID", () => {
    // Prepare
    const list = [
      stored,
      zoe,
      solo,
      contact({
        firstName: "Dup",
        numbers: [
          { type: "mobile2", number: "2" },
          { type: "mobile", number: "1" },
          { type: "mobile", number: "3" },
        ],
      }),
    ];

    // Act
    const text = list.map((c) => contactToVcard(c, version)).join("");
    const back = [...parseVcards(text)];

    // Assess
    expect(back.map((r) => r.contact)).toEqual([ada, zoe, solo, list[3]]);
    expect(back.map((r) => r.uid)).toEqual([stored.id, undefined, undefined, undefined]);
    expect(back.every((r) => r.version === version && r.warnings.length === 0)).toBe(true);
    expect(back[1]?.line).toBe(text.split("\r\n").indexOf("BEGIN:VCARD", 1) + 1);
  });

  it("writes the properties, escaping and type mapping documented in vcard.ts", () => {
    // Act
    const card = contactToVcard(stored, version);

    // Assess
    const lines = card.replace(/\r\n[ \t]/g, "").split("\r\n");
    expect(card.endsWith("END:VCARD\r\n")).toBe(true);
    expect(lines.slice(0, 2)).toEqual(["BEGIN:VCARD", `VERSION:${version}`]);
    expect(lines).toContain(version === "4.0" ? `UID;VALUE=text:${stored.id}` : `UID:${stored.id}`);
    expect(lines).toContain("N:Lovelace;Ada;;;");
    expect(lines).toContain("FN:Ada Lovelace");
    expect(lines).toContain("ORG:Analytical Engines\\, Ltd.");
    expect(lines).toContain(version === "3.0" ? "EMAIL;TYPE=internet:ada@example.com" : "EMAIL:ada@example.com");
    expect(lines.filter((l) => l.startsWith("TEL")).map((l) => l.slice(0, l.indexOf(":")))).toEqual([
      "TEL;TYPE=work,voice;X-NUMBER-TYPE=business",
      "TEL;TYPE=work,voice;X-NUMBER-TYPE=business2",
      "TEL;TYPE=work,fax;X-NUMBER-TYPE=business_fax",
      "TEL;TYPE=cell;X-NUMBER-TYPE=mobile",
      "TEL;TYPE=cell;X-NUMBER-TYPE=mobile2",
      "TEL;TYPE=home,voice;X-NUMBER-TYPE=home",
      "TEL;TYPE=home,voice;X-NUMBER-TYPE=home2",
      "TEL;TYPE=home,fax;X-NUMBER-TYPE=home_fax",
      "TEL;TYPE=voice;X-NUMBER-TYPE=other",
    ]);
    expect(lines).toContain(
      "ADR;TYPE=work:;;12 St James's Square\\; Flat 3;London;Greater London;SW1Y 4LE;United Kingdom",
    );
    expect(lines).toContain('NOTE:Prefers "Countess"\\; call after 5\\,\\nnot before. Back\\\\slash');
    expect(lines).toContain(version === "4.0" ? "REV:20240501T123456Z" : "REV:2024-05-01T12:34:56Z");
  });

  it("folds long lines at 75 octets without splitting multi-byte characters, and unfolds them", () => {
    // Prepare
    const long = contact({
      firstName: "Zoë",
      lastName: "Ångström",
      remark: `${"日本語のメモ🚀é".repeat(20)} end`,
      numbers: [{ type: "mobile", number: "1" }],
    });

    // Act
    const card = contactToVcard(long, version);
    const [back] = [...parseVcards(card)];

    // Assess
    const physical = card.split("\r\n").slice(0, -1);
    expect(physical.length).toBeGreaterThan(10);
    for (const line of physical) {
      expect(Buffer.byteLength(line, "utf8")).toBeLessThanOrEqual(75);
      expect(line).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
    expect(physical.filter((l) => l.startsWith(" ")).length).toBeGreaterThan(5);
    expect(back?.contact).toEqual(long);
  });
});

describe("vCard folding", () => {
  it("leaves short lines alone and fills folded lines to exactly 75 octets of ASCII", () => {
    // Act
    const folded = foldLine(`NOTE:${"x".repeat(200)}`);

    // Assess
    expect(foldLine("FN:Short")).toBe("FN:Short");
    expect(folded.split("\r\n").map((l) => l.length)).toEqual([75, 75, 57]);
  });
});

describe("vCard import", () => {
  it("reads foreign 3.0 and 4.0 cards: type spellings, tel: URIs, charset, groups, FN without N", () => {
    // Prepare
    const text = [
      "BEGIN:VCARD",
      "VERSION:3.0",
      "N;CHARSET=UTF-8:Doe;John;;;",
      "FN:John Doe",
      "TEL;TYPE=WORK;TYPE=VOICE:+1 555 0100",
      "tel;type=cell:555-0101",
      "TEL;type=CELL:555-0102",
      "item1.TEL;TYPE=HOME,FAX:555-0103",
      "item1.X-ABLabel:fax",
      "TEL;TYPE=WORK:555-0104",
      "TEL:555-0105",
      "TEL;TYPE=pager:555-0106",
      "END:VCARD",
      "",
      "BEGIN:VCARD",
      "VERSION:4.0",
      "FN:Grace Brewster Hopper",
      'TEL;VALUE=uri;TYPE="work,voice":tel:+1-555-0200;ext=12',
      "TEL;VALUE=uri;PREF=1;TYPE=fax:tel:+1-555-0201",
      "ORG:Navy;Computing",
      "EMAIL;TYPE=work:grace@example.com",
      "ADR:;;1 Main St, Suite 2;Arlington;VA;22201;USA",
      "END:VCARD",
    ].join("\n");

    // Act
    const [john, grace] = [...parseVcards(text)];

    // Assess
    expect(john?.line).toBe(1);
    expect(john?.contact).toEqual(
      contact({
        firstName: "John",
        lastName: "Doe",
        numbers: [
          { type: "business", number: "+1 555 0100" },
          { type: "mobile", number: "555-0101" },
          { type: "mobile2", number: "555-0102" },
          { type: "home_fax", number: "555-0103" },
          { type: "business2", number: "555-0104" },
          { type: "other", number: "555-0105" },
          { type: "other", number: "555-0106" },
        ],
      }),
    );
    expect(grace?.line).toBe(15);
    expect(grace?.contact).toEqual(
      contact({
        firstName: "Grace Brewster",
        lastName: "Hopper",
        company: "Navy, Computing",
        email: "grace@example.com",
        street: "1 Main St, Suite 2",
        city: "Arlington",
        state: "VA",
        zipCode: "22201",
        country: "USA",
        numbers: [
          { type: "business", number: "+1-555-0200" },
          { type: "business_fax", number: "+1-555-0201" },
        ],
      }),
    );
  });

  it("unfolds lines continued with a space or a tab and counts physical lines for card starts", () => {
    // Prepare
    const text = [
      "junk before the first card",
      "BEGIN:VCARD",
      "VERSION:3.0",
      "N:Long;Na",
      " me;;;",
      "NOTE:one ",
      "\ttwo",
      "TEL:1",
      "END:VCARD",
      "BEGIN:VCARD",
      "VERSION:3.0",
      "N:Next;;;;",
      "TEL:2",
      "END:VCARD",
    ].join("\r\n");

    // Act
    const cards = [...parseVcards(text)];

    // Assess
    expect(cards.map((c) => [c.line, c.contact.firstName, c.contact.lastName, c.contact.remark])).toEqual([
      [2, "Name", "Long", "one two"],
      [10, "", "Next", ""],
    ]);
  });

  it("warns that quoted-printable is not decoded (vCard 2.1), and keeps 2.1 bare types", () => {
    // Prepare
    const text =
      "BEGIN:VCARD\nVERSION:2.1\nN:Old;Card\nNOTE;ENCODING=QUOTED-PRINTABLE:caf=C3=A9\nTEL;HOME;FAX:9\nEND:VCARD\n";

    // Act
    const [card] = [...parseVcards(text)];

    // Assess
    expect(card?.contact.remark).toBe("caf=C3=A9");
    expect(card?.contact.numbers).toEqual([{ type: "home_fax", number: "9" }]);
    expect(card?.warnings).toEqual(["line 4: NOTE is quoted-printable, which is not decoded"]);
  });

  it.each([
    ["a card without END", "BEGIN:VCARD\nVERSION:3.0\nFN:A\n", /no END:VCARD/, 1],
    ["a card inside a card", "BEGIN:VCARD\nFN:A\nBEGIN:VCARD\nEND:VCARD\n", /inside the card/, 3],
    ["END without BEGIN", "FN:A\nEND:VCARD\n", /without BEGIN/, 2],
  ])("rejects %s", (_, text, message, line) => {
    // Act
    const read = () => [...parseVcards(text)];

    // Assess
    expect(read).toThrow(message);
    try {
      read();
    } catch (error) {
      expect((error as ContactFileError).line).toBe(line);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Phonebooks

interface XmlNode {
  tag: string;
  attrs?: Record<string, string>;
  text?: string;
  children?: XmlNode[];
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  trimValues: false,
  htmlEntities: true,
});

type Ordered = Record<string, unknown>;

function toNode(raw: Ordered): XmlNode {
  const tag = Object.keys(raw).find((k) => k !== ":@") as string;
  const node: XmlNode = { tag };
  const attrs = raw[":@"] as Record<string, string> | undefined;
  if (attrs) node.attrs = attrs;
  const content = (raw[tag] as Ordered[]).filter((c) => !("#text" in c && String(c["#text"]).trim() === ""));
  const texts = content.filter((c) => "#text" in c);
  const elements = content.filter((c) => !("#text" in c));
  if (texts.length > 0) node.text = texts.map((c) => String(c["#text"])).join("");
  if (elements.length > 0) node.children = elements.map(toNode);
  return node;
}

/** Validates the document and returns its root element as a plain tree. */
function xmlTree(xml: string): XmlNode {
  expect(XMLValidator.validate(xml)).toBe(true);
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
  const roots = (parser.parse(xml) as Ordered[]).filter((r) => !("#text" in r));
  expect(roots).toHaveLength(1);
  return toNode(roots[0] as Ordered);
}

const el = (tag: string, ...children: XmlNode[]): XmlNode => (children.length > 0 ? { tag, children } : { tag });
const txt = (tag: string, text: string): XmlNode => (text === "" ? { tag } : { tag, text });

const book = [
  contact({
    firstName: "Ada",
    lastName: "Lovelace",
    numbers: [
      { type: "business", number: "+44 (20) 7946-0000" },
      { type: "mobile", number: "07700.900.123" },
      { type: "home_fax", number: "020 7946 0001" },
      { type: "other", number: "100" },
    ],
  }),
  contact({ company: "Acme & Sons <Ltd>", numbers: [{ type: "business2", number: "+1-555-0100" }] }),
  contact({ firstName: "No", lastName: "Number", numbers: [{ type: "mobile", number: " ( ) " }] }),
  contact({ firstName: 'Q"uote', lastName: "O'Hara", numbers: [{ type: "mobile2", number: "555 0101" }] }),
];

describe("phonebook numbers", () => {
  it.each([
    ["+44 (20) 7946-0000", "+442079460000"],
    ["07700.900.123", "07700900123"],
    ["  +1 555 0100 ", "+15550100"],
    ["1+2", "12"],
    ["( ) .", ""],
  ])("dials %j as %j", (number, expected) => {
    expect(dialable(number)).toBe(expected);
  });
});

describe("phonebook XML", () => {
  it("Yealink directory: one entry per contact, a Telephone per number, no contact without numbers", () => {
    // Act
    const tree = xmlTree(phonebookXml("yealink", "Company", book));

    // Assess
    expect(tree).toEqual(
      el(
        "YealinkIPPhoneDirectory",
        el(
          "DirectoryEntry",
          txt("Name", "Ada Lovelace"),
          txt("Telephone", "+442079460000"),
          txt("Telephone", "07700900123"),
          txt("Telephone", "02079460001"),
          txt("Telephone", "100"),
        ),
        el("DirectoryEntry", txt("Name", "Acme & Sons <Ltd>"), txt("Telephone", "+15550100")),
        el("DirectoryEntry", txt("Name", `Q"uote O'Hara`), txt("Telephone", "5550101")),
      ),
    );
  });

  it("Yealink menu: Title, a Menu named after the title, Units with three phone slots", () => {
    // Act
    const tree = xmlTree(phonebookXml("yealink-menu", "Company & Co", book));

    // Assess
    expect(tree).toEqual(
      el("YealinkIPPhoneBook", txt("Title", "Company & Co"), {
        tag: "Menu",
        attrs: { Name: "Company & Co" },
        children: [
          {
            tag: "Unit",
            attrs: { Name: "Ada Lovelace", Phone1: "+442079460000", Phone2: "07700900123", Phone3: "02079460001" },
          },
          { tag: "Unit", attrs: { Name: "Acme & Sons <Ltd>", Phone1: "+15550100", Phone2: "", Phone3: "" } },
          { tag: "Unit", attrs: { Name: `Q"uote O'Hara`, Phone1: "5550101", Phone2: "", Phone3: "" } },
        ],
      }),
    );
    expect(xmlTree(phonebookXml("yealink-menu", "T", [], { menuName: "Sales" })).children?.[1]?.attrs).toEqual({
      Name: "Sales",
    });
  });

  it.each([
    ["cisco", "CiscoIPPhoneDirectory"],
    ["fanvil", "CiscoIPPhoneDirectory"],
    ["snom", "SnomIPPhoneDirectory"],
  ] as [PhonebookFormat, string][])(
    "%s: Title, Prompt, one entry per number with the type in the name",
    (format, root) => {
      // Act
      const tree = xmlTree(phonebookXml(format, "Company", book, { prompt: "Pick <one>" }));

      // Assess
      const entry = (name: string, number: string) => el("DirectoryEntry", txt("Name", name), txt("Telephone", number));
      expect(tree).toEqual(
        el(
          root,
          txt("Title", "Company"),
          txt("Prompt", "Pick <one>"),
          entry("Ada Lovelace (Business)", "+442079460000"),
          entry("Ada Lovelace (Mobile)", "07700900123"),
          entry("Ada Lovelace (Home Fax)", "02079460001"),
          entry("Ada Lovelace (Other)", "100"),
          entry("Acme & Sons <Ltd> (Business 2)", "+15550100"),
          entry(`Q"uote O'Hara (Mobile 2)`, "5550101"),
        ),
      );
    },
  );

  it("Grandstream: LastName, FirstName, a typed Phone per number with its account index", () => {
    // Act
    const tree = xmlTree(phonebookXml("grandstream", "ignored", book, { accountIndex: 1 }));

    // Assess
    const phone = (type: string, number: string) => ({
      tag: "Phone",
      attrs: { type },
      children: [txt("phonenumber", number), txt("accountindex", "1")],
    });
    expect(tree).toEqual(
      el(
        "AddressBook",
        el(
          "Contact",
          txt("LastName", "Lovelace"),
          txt("FirstName", "Ada"),
          phone("Work", "+442079460000"),
          phone("Mobile", "07700900123"),
          phone("Fax", "02079460001"),
          phone("Other", "100"),
        ),
        el("Contact", txt("LastName", ""), txt("FirstName", "Acme & Sons <Ltd>"), phone("Work", "+15550100")),
        el("Contact", txt("LastName", "O'Hara"), txt("FirstName", 'Q"uote'), phone("Mobile", "5550101")),
      ),
    );
    expect(phonebookXml("grandstream", "", book)).toContain("<accountindex>0</accountindex>");
  });

  it("escapes XML special characters and drops characters XML cannot carry", () => {
    // Prepare
    const nasty = contact({
      firstName: "<script>&amp;",
      lastName: "\u0001\u0008 ]]> \"'",
      numbers: [{ type: "mobile", number: "1" }],
    });

    // Act
    const yealink = phonebookXml("yealink", "T", [nasty]);
    const menu = phonebookXml("yealink-menu", `A "quoted" & <tagged>\ntitle`, [nasty]);

    // Assess
    expect(yealink).toContain("<Name>&lt;script&gt;&amp;amp;  ]]&gt; \"'</Name>");
    expect(xmlTree(yealink).children?.[0]?.children?.[0]?.text).toBe("<script>&amp;  ]]> \"'");
    const tree = xmlTree(menu);
    expect(tree.children?.[0]?.text).toBe(`A "quoted" & <tagged>\ntitle`);
    expect(tree.children?.[1]?.attrs?.Name).toBe(`A "quoted" & <tagged>\ntitle`);
    expect(tree.children?.[1]?.children?.[0]?.attrs?.Name).toBe("<script>&amp;  ]]> \"'");
  });

  it("pages Cisco directories 32 entries at a time and stops reading contacts after the page", () => {
    // Prepare
    const many = Array.from({ length: 30 }, (_, i) =>
      contact({
        firstName: `P${String(i).padStart(2, "0")}`,
        numbers: [
          { type: "business", number: `1${i}` },
          { type: "mobile", number: `2${i}` },
        ],
      }),
    );
    let read = 0;
    function* counted() {
      for (const c of many) {
        read++;
        yield c;
      }
    }

    // Act
    const total = phonebookEntryCount("cisco", many);
    const pages = [0, 1].map((page) =>
      xmlTree(
        phonebookXml("cisco", "T", page === 0 ? counted() : many, { offset: page * 32, limit: CISCO_MAX_ENTRIES }),
      ),
    );

    // Assess
    expect(total).toBe(60);
    expect(read).toBe(16);
    const names = pages.flatMap((p) => (p.children ?? []).slice(2).map((e) => e.children?.[0]?.text));
    expect(pages.map((p) => (p.children?.length ?? 0) - 2)).toEqual([32, 28]);
    expect(names).toEqual(many.flatMap((c) => [`${c.firstName} (Business)`, `${c.firstName} (Mobile)`]));
    expect(phonebookEntryCount("yealink", many)).toBe(30);
  });

  it("streams large phonebooks in chunks that join to the whole document", () => {
    // Prepare
    const many = Array.from({ length: 3000 }, (_, i) =>
      contact({ firstName: `Name${i}`, lastName: "Ünïcode", numbers: [{ type: "mobile", number: `+1 555 ${i}` }] }),
    );

    // Act
    const chunks = [...phonebookChunks("yealink", "T", many)];

    // Assess
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBeLessThan(17_000);
    const xml = chunks.join("");
    expect(xml).toBe(phonebookXml("yealink", "T", many));
    expect(xmlTree(xml).children).toHaveLength(3000);
  });
});
