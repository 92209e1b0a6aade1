/**
 * Company contacts as CSV, in the columns of Yeastar's company contact import template:
 *
 *   First Name,Last Name,Company,Email,Business Number,Business Number 2,Business Fax,Mobile Number,
 *   Mobile Number 2,Home Number,Home Number 2,Home Fax,Other Number,Zip Code,Street,City,State,Country,Remark
 *
 * Export (`csvHeader`, `contactToCsvRow`, `csvChunks`): RFC 4180, UTF-8, CRLF after every row; a field
 * is quoted when it holds `"`, `,`, CR or LF or starts or ends with white space. `csvHeader({ bom: true })`
 * starts the file with a UTF-8 byte order mark, which Excel needs to read non-ASCII names correctly.
 *
 * One number per type column. A contact with two numbers of one type keeps the first in its own
 * column; each extra one moves to the type's "2" column (business ↔ business2, mobile ↔ mobile2,
 * home ↔ home2) when that is free, otherwise to Other Number when that is free, otherwise it is left
 * out. Both cases are reported through `onWarning`. So export → import is exact for contacts with at
 * most one number per type; import lists numbers in Yeastar's type order (`NUMBER_TYPES`), which is
 * the only change such a contact can see.
 *
 * Formula injection (a cell a spreadsheet would run as a formula): a cell that starts with
 * `= + - @`, TAB, CR or LF (or their full-width forms `＝ ＋ － ＠`), after any apostrophes, gets one
 * more leading apostrophe on export, and import removes exactly one such apostrophe, so values round
 * trip unchanged (`'=x` is written `''=x`). The number columns are the exception: a value made only of
 * the characters a contact number may hold (digits, space, `( ) . - +`) is written as it is, so
 * "+15550100" stays "+15550100"; such a value cannot call a function or reach another cell. Any other
 * value in a number column is guarded like text (and fails validation on import anyway).
 *
 * Import (`parseCsv`, `csvRecordToContactInput`): a UTF-8 byte order mark, CRLF, LF or CR line ends,
 * and quoted fields spanning lines are accepted; each record carries the file's physical line where
 * it starts. Blank lines (and rows of empty cells) are skipped. The header is the first non-blank row;
 * its names match case-insensitively, ignoring spaces, underscores and punctuation ("first_name",
 * "FIRST NAME", "FirstName"), and Yeastar's API field names (`zip_code`, `business_fax`, …) work too.
 * Unknown columns are ignored, missing ones are empty, a repeated column counts once (the first).
 */
import {
  type ContactData,
  ContactFileError,
  emptyContact,
  NUMBER_TYPES,
  type NumberData,
  type NumberType,
  TEXT_FIELDS,
  type TextField,
} from "./common.js";

/** A CSV column: the header Yeastar's template uses and the contact field it fills. */
export type CsvKey = TextField | NumberType;

export const CSV_COLUMNS: readonly { header: string; key: CsvKey }[] = [
  { header: "First Name", key: "firstName" },
  { header: "Last Name", key: "lastName" },
  { header: "Company", key: "company" },
  { header: "Email", key: "email" },
  { header: "Business Number", key: "business" },
  { header: "Business Number 2", key: "business2" },
  { header: "Business Fax", key: "business_fax" },
  { header: "Mobile Number", key: "mobile" },
  { header: "Mobile Number 2", key: "mobile2" },
  { header: "Home Number", key: "home" },
  { header: "Home Number 2", key: "home2" },
  { header: "Home Fax", key: "home_fax" },
  { header: "Other Number", key: "other" },
  { header: "Zip Code", key: "zipCode" },
  { header: "Street", key: "street" },
  { header: "City", key: "city" },
  { header: "State", key: "state" },
  { header: "Country", key: "country" },
  { header: "Remark", key: "remark" },
];

/** The byte order mark that tells Excel a CSV file is UTF-8. */
export const CSV_BOM = "\uFEFF";

/** One data row of an imported file: where it starts and its cells by column. */
export interface CsvRecord {
  /** The file's physical line (1-based) where the record starts. */
  line: number;
  /** Cells of the known columns present in the header; a short row simply lacks the rest. */
  fields: Partial<Record<CsvKey, string>>;
}

/** A number that did not get its own column on export. */
export interface CsvExportWarning {
  kind: "moved" | "dropped";
  number: NumberData;
  /** For "moved": the column's type it was written under. */
  to?: NumberType;
}

// ---------------------------------------------------------------------------------------------
// Export

const CRLF = "\r\n";
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
const FORMULA_START = /^'*[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;
const GUARDED = /^'+[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;
const NUMBER_CHARS = /^[0-9 ().+-]*$/;

function quote(value: string): string {
  if (value === "") return value;
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** First characters that may start a formula, plus the apostrophe that may precede one. */
const RISKY_FIRST = new Set([..."=+-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20'"].map((ch) => ch.charCodeAt(0)));

/** A text cell made safe to open in a spreadsheet (see the module comment). */
export function guardCell(value: string): string {
  if (value === "" || !RISKY_FIRST.has(value.charCodeAt(0))) return value;
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Undoes `guardCell`: removes one apostrophe from a cell that starts with apostrophes then a formula character. */
export function unguardCell(value: string): string {
  return GUARDED.test(value) ? value.slice(1) : value;
}

function guardNumberCell(value: string): string {
  return NUMBER_CHARS.test(value) ? value : guardCell(value);
}

/** The header row (with its CRLF), optionally preceded by the UTF-8 byte order mark. */
export function csvHeader(options: { bom?: boolean } = {}): string {
  return (options.bom ? CSV_BOM : "") + CSV_COLUMNS.map((c) => quote(c.header)).join(",") + CRLF;
}

const SIBLING: Partial<Record<NumberType, NumberType>> = {
  business: "business2",
  business2: "business",
  mobile: "mobile2",
  mobile2: "mobile",
  home: "home2",
  home2: "home",
};

/** Which number goes in which type column, by the rule in the module comment. */
export function assignNumberColumns(numbers: readonly NumberData[]): {
  columns: Partial<Record<NumberType, string>>;
  warnings: CsvExportWarning[];
} {
  const columns: Partial<Record<NumberType, string>> = {};
  const extras: NumberData[] = [];
  for (const entry of numbers) {
    if (columns[entry.type] === undefined) columns[entry.type] = entry.number;
    else extras.push(entry);
  }
  const warnings: CsvExportWarning[] = [];
  for (const entry of extras) {
    const sibling = SIBLING[entry.type];
    const to =
      sibling !== undefined && columns[sibling] === undefined
        ? sibling
        : columns.other === undefined
          ? "other"
          : undefined;
    if (to === undefined) {
      warnings.push({ kind: "dropped", number: entry });
    } else {
      columns[to] = entry.number;
      warnings.push({ kind: "moved", number: entry, to });
    }
  }
  return { columns, warnings };
}

/** One contact as a CSV row (with its CRLF). Numbers that do not fit their column are reported to `onWarning`. */
export function contactToCsvRow(contact: ContactData, onWarning?: (warning: CsvExportWarning) => void): string {
  const { columns, warnings } = assignNumberColumns(contact.numbers);
  if (onWarning) for (const warning of warnings) onWarning(warning);
  let row = "";
  for (let i = 0; i < CSV_COLUMNS.length; i++) {
    const { key } = CSV_COLUMNS[i] as (typeof CSV_COLUMNS)[number];
    const cell = isTextKey(key) ? guardCell(contact[key]) : guardNumberCell(columns[key] ?? "");
    row += i === 0 ? quote(cell) : `,${quote(cell)}`;
  }
  return row + CRLF;
}

/** A whole export, a chunk (header, then one row per contact) at a time. */
export function* csvChunks(
  contacts: Iterable<ContactData>,
  options: { bom?: boolean; onWarning?: (warning: CsvExportWarning, contact: ContactData) => void } = {},
): Generator<string> {
  yield csvHeader(options);
  const { onWarning } = options;
  for (const contact of contacts) {
    yield contactToCsvRow(contact, onWarning && ((warning) => onWarning(warning, contact)));
  }
}

const TEXT_KEYS: ReadonlySet<string> = new Set(TEXT_FIELDS);
function isTextKey(key: CsvKey): key is TextField {
  return TEXT_KEYS.has(key);
}

// ---------------------------------------------------------------------------------------------
// Import

/** Lower case, letters and digits only: "Business Number 2" → "businessnumber2", "zip_code" → "zipcode". */
function headerKey(name: string): string {
  return name.toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
}

const HEADER_ALIASES: ReadonlyMap<string, CsvKey> = (() => {
  const map = new Map<string, CsvKey>();
  for (const { header, key } of CSV_COLUMNS) {
    map.set(headerKey(header), key);
    map.set(headerKey(key), key); // firstName, zipCode, business_fax: Yeastar's API names
  }
  const extra: [string, CsvKey][] = [
    ["E-mail", "email"],
    ["Email Address", "email"],
    ["Postal Code", "zipCode"],
    ["Postcode", "zipCode"],
    ["Zip", "zipCode"],
    ["Note", "remark"],
    ["Notes", "remark"],
    ["Other", "other"],
  ];
  for (const [name, key] of extra) map.set(headerKey(name), key);
  return map;
})();

const NAME_KEYS: ReadonlySet<CsvKey> = new Set<CsvKey>(["firstName", "lastName"]);
const NUMBER_KEYS: ReadonlySet<CsvKey> = new Set<CsvKey>(NUMBER_TYPES);

function countLineBreaks(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) count++;
  }
  return count;
}

/**
 * The raw rows of a CSV text (RFC 4180, lenient): each with the physical line where it starts.
 * A quote inside an unquoted field is kept as text; text after a closing quote is appended.
 * An unclosed quoted field is a `ContactFileError` naming the line where it opened.
 */
export function* csvRows(text: string): Generator<{ line: number; cells: string[] }> {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < n) {
    const start = line;
    const cells: string[] = [];
    for (;;) {
      let value: string;
      if (text.charCodeAt(i) === 34) {
        const opened = line;
        i++;
        value = "";
        for (;;) {
          const close = text.indexOf('"', i);
          if (close === -1) throw new ContactFileError("a quoted field is never closed", opened);
          const chunk = text.slice(i, close);
          line += countLineBreaks(chunk);
          value += chunk;
          if (text.charCodeAt(close + 1) === 34) {
            value += '"';
            i = close + 2;
          } else {
            i = close + 1;
            break;
          }
        }
      } else {
        value = "";
      }
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === 44 || c === 10 || c === 13) break;
        j++;
      }
      if (j > i) value += text.slice(i, j);
      i = j;
      cells.push(value);
      if (i >= n) break;
      if (text.charCodeAt(i) === 44) {
        i++;
        if (i >= n) cells.push("");
        else continue;
        break;
      }
      i += text.charCodeAt(i) === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
      line++;
      break;
    }
    yield { line: start, cells };
  }
}

function isBlank(cells: readonly string[]): boolean {
  for (const cell of cells) if (cell.trim() !== "") return false;
  return true;
}

/**
 * The data records of a contact CSV file, lazily. Throws `ContactFileError` (on the first step) when
 * the file is empty, the first non-blank row names no known column, or the header has no name column
 * (First Name / Last Name) or no number column.
 */
export function* parseCsv(text: string): Generator<CsvRecord> {
  const rows = csvRows(text);
  let header: { line: number; cells: string[] } | undefined;
  // Not `for…of` with `break`: that would close the generator before the data rows.
  for (let next = rows.next(); !next.done; next = rows.next()) {
    if (!isBlank(next.value.cells)) {
      header = next.value;
      break;
    }
  }
  if (!header) throw new ContactFileError(`the file is empty; expected a header row: ${headerList()}`);
  const seen = new Set<CsvKey>();
  const columns = header.cells.map((name) => {
    const key = HEADER_ALIASES.get(headerKey(name));
    if (key === undefined || seen.has(key)) return undefined;
    seen.add(key);
    return key;
  });
  if (seen.size === 0) {
    const hint =
      header.cells.length === 1 && /[;\t]/.test(header.cells[0] ?? "") ? " (separate columns with commas)" : "";
    throw new ContactFileError(
      `the first row is not a header: no known column name${hint}; expected ${headerList()}`,
      header.line,
    );
  }
  const missing: string[] = [];
  if (![...seen].some((key) => NAME_KEYS.has(key))) missing.push("a First Name or Last Name column");
  if (![...seen].some((key) => NUMBER_KEYS.has(key)))
    missing.push("a number column (Business Number, Mobile Number, …)");
  if (missing.length > 0) throw new ContactFileError(`the header has no ${missing.join(" and no ")}`, header.line);

  for (const row of rows) {
    if (isBlank(row.cells)) continue;
    const fields: Partial<Record<CsvKey, string>> = {};
    const count = Math.min(columns.length, row.cells.length);
    for (let c = 0; c < count; c++) {
      const key = columns[c];
      if (key !== undefined) fields[key] = row.cells[c] as string;
    }
    yield { line: row.line, fields };
  }
}

function headerList(): string {
  return CSV_COLUMNS.map((c) => c.header).join(", ");
}

/**
 * A record's cells as a contact input object, before validation: text fields as written (minus the
 * injection guard's apostrophe), numbers in Yeastar's type order, blank number cells left out.
 * Validate the result with `contactInput` and report issues with the record's line.
 */
export function csvRecordToContactInput(fields: CsvRecord["fields"]): ContactData {
  const contact = emptyContact();
  for (const key of TEXT_FIELDS) {
    const value = fields[key];
    if (value !== undefined) contact[key] = unguardCell(value);
  }
  for (const type of NUMBER_TYPES) {
    const value = fields[type];
    if (value !== undefined && value.trim() !== "") contact.numbers.push({ type, number: unguardCell(value) });
  }
  return contact;
}
