/** Random defaults the portal fills in (seed 002: passwords and registration names are random by default). */
const LOWER = "abcdefghijkmnopqrstuvwxyz";
const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS = "23456789";

function pick(pool: string): string {
  const [value = 0] = crypto.getRandomValues(new Uint32Array(1));
  return pool[value % pool.length] ?? "a";
}

/** A password meeting the policy: every class present, the rest from all of them, shuffled. */
export function generatePassword(length = 16, symbols = ""): string {
  const pools = [LOWER, UPPER, DIGITS, ...(symbols ? [symbols] : [])];
  const chars = pools.map(pick);
  while (chars.length < length) chars.push(pick(pools.join("")));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = Number(crypto.getRandomValues(new Uint32Array(1))[0]) % (i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join("");
}

export function generateRegistrationName(): string {
  return Array.from({ length: 10 }, () => pick(LOWER + DIGITS)).join("");
}
