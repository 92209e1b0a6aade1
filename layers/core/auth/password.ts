import { randomBytes, randomInt, scrypt, timingSafeEqual } from "node:crypto";

/**
 * User passwords are kept only as scrypt hashes (N=2^15, r=8, p=1: ~32 MiB and roughly
 * 50-100 ms per check, the OWASP floor for scrypt). The parameters travel with the hash,
 * so they can be raised later without invalidating stored ones.
 */
const COST = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 } as const;
const MAX_MEMORY = 64 * 1024 * 1024;

function scryptAsync(password: string, salt: Buffer, N: number, r: number, p: number, keyLength: number) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize("NFKC"), salt, keyLength, { N, r, p, maxmem: MAX_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, COST.N, COST.r, COST.p, COST.keyLength);
  return ["scrypt", COST.N, COST.r, COST.p, salt.toString("base64"), key.toString("base64")].join("$");
}

/** A stored hash for an impossible password: unknown users are checked against it so they take as long. */
const DECOY_HASH = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

export async function verifyPassword(password: string, storedHash: string | undefined): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = (storedHash ?? DECOY_HASH).split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, "base64");
  const actual = await scryptAsync(
    password,
    Buffer.from(salt, "base64"),
    Number(n),
    Number(r),
    Number(p),
    expected.length,
  );
  return timingSafeEqual(actual, expected) && storedHash !== undefined;
}

const LOWER = "abcdefghijkmnopqrstuvwxyz";
const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS = "23456789";
const SYMBOLS = "!#%*+-=?@^_";

/** A random password meeting the seed 002 policy; look-alike characters left out so it can be read aloud. */
export function generatePassword(length = 16, withSymbols = false): string {
  const pools = [LOWER, UPPER, DIGITS, ...(withSymbols ? [SYMBOLS] : [])];
  const all = pools.join("");
  const chars = pools.map((pool) => pick(pool));
  while (chars.length < length) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join("");
}

/** Yeastar-style random registration name: letters and digits, unguessable. */
export function generateRegistrationName(length = 12): string {
  const alphabet = LOWER + UPPER + DIGITS;
  return Array.from({ length }, () => pick(alphabet)).join("");
}

function pick(pool: string): string {
  return pool[randomInt(pool.length)] as string;
}
