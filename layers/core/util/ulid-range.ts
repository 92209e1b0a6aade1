/**
 * Ids are ULIDs: 26 characters of Crockford's base 32, a number whose order is the strings'
 * order. So a key range of ids can be cut in equal parts by value, which lets a reader of a large
 * partition read its parts side by side (entities/contact-index.ts).
 */
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function isUlid(text: string): boolean {
  return ULID.test(text);
}

export function ulidValue(ulid: string): bigint {
  if (!isUlid(ulid)) throw new RangeError("not a ULID");
  let value = 0n;
  for (const char of ulid) value = value * 32n + BigInt(CROCKFORD.indexOf(char));
  return value;
}

export function ulidOfValue(value: bigint): string {
  let text = "";
  for (let rest = value, i = 0; i < 26; i++, rest /= 32n) text = CROCKFORD[Number(rest % 32n)] + text;
  return text;
}

/** `parts - 1` ULIDs cutting [low, high] into parts of equal value, ascending (none when it cannot be cut). */
export function ulidCuts(low: string, high: string, parts: number): string[] {
  if (!isUlid(low) || !isUlid(high)) return [];
  const [from, to] = [ulidValue(low), ulidValue(high)];
  const cuts: string[] = [];
  for (let i = 1; i < parts; i++) {
    const cut = ulidOfValue(from + ((to - from) * BigInt(i)) / BigInt(parts));
    if (cut > low && cut < high && cut !== cuts.at(-1)) cuts.push(cut);
  }
  return cuts;
}
