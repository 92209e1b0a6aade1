import { randomFillSync } from "node:crypto";

/**
 * Random bytes for tags, branches and nonces, drawn from one 4 KiB CSPRNG buffer refilled when
 * spent: two small draws per REGISTER exchange each cost a call into OpenSSL otherwise (about
 * a tenth of the listener's CPU per exchange in a profile of bench/sip-register.ts).
 */
const POOL = Buffer.alloc(4096);
let offset = POOL.length;

export function randomToken(bytes: number, encoding: "hex" | "base64url" = "hex"): string {
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const out = POOL.toString(encoding, offset, offset + bytes);
  offset += bytes;
  return out;
}
