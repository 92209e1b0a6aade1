import { randomBytes, randomInt, scrypt, timingSafeEqual } from "node:crypto";

/**
 * User passwords are kept only as scrypt hashes (N=2^15, r=8, p=1: ~32 MiB and roughly
 * 50-100 ms per check, the OWASP floor for scrypt). The parameters travel with the hash,
 * so they can be raised later without invalidating stored ones.
 */
export const PASSWORD_COST = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 } as const;
type PasswordCost = { N: number; r: number; p: number; keyLength: number };
const MAX_MEMORY = 64 * 1024 * 1024;

let cost: PasswordCost = PASSWORD_COST;
/** A stored hash for an impossible password: unknown users are checked against it so they take as long. */
let decoyHash = decoyFor(cost);

function decoyFor({ N, r, p, keyLength }: PasswordCost): string {
  return ["scrypt", N, r, p, Buffer.alloc(16).toString("base64"), Buffer.alloc(keyLength).toString("base64")].join("$");
}

/**
 * The test suite's hashing cost (test/support/password-cost.ts): a suite that creates and logs
 * in a thousand users spent minutes of CPU in scrypt for tests that are not about hashing.
 * Refused outside vitest, so no configuration can weaken a deployment; the unit tests of this
 * file put the shipped cost back.
 */
export function setPasswordCostForTests(next: PasswordCost): void {
  if (!process.env.VITEST) throw new Error("setPasswordCostForTests is for the test suite only");
  cost = next;
  decoyHash = decoyFor(next);
}

function scryptAsync(password: string, salt: Buffer, N: number, r: number, p: number, keyLength: number) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize("NFKC"), salt, keyLength, { N, r, p, maxmem: MAX_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, cost.N, cost.r, cost.p, cost.keyLength);
  return ["scrypt", cost.N, cost.r, cost.p, salt.toString("base64"), key.toString("base64")].join("$");
}

export async function verifyPassword(password: string, storedHash: string | undefined): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = (storedHash ?? decoyHash).split("$");
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
