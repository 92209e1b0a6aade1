/**
 * Search forms of names and numbers. Numbers match whatever way they were written:
 * "+1 (555) 010-2000", "1.555.010.2000" and "15550102000" are the same digits.
 */
export function digitsOf(number: string): string {
  return number.replace(/[^0-9]/g, "");
}

/**
 * Lower case, accents removed, spaces collapsed: "Zoë  Ångström" → "zoe angstrom". Noncharacters
 * (U+FFFF, U+10FFFF, ...) are dropped: the last one bounds index ranges (sortKeyStartsWith).
 */
export function nameKey(value: string): string {
  return value
    .normalize("NFKD")
    .replace(/[\p{M}\p{Noncharacter_Code_Point}]/gu, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

/** How a contact is shown and sorted: "First Last", or the company when there is no name. */
export function displayName(contact: { firstName: string; lastName: string; company?: string }): string {
  return `${contact.firstName} ${contact.lastName}`.trim() || contact.company || "";
}
