import { isIP } from "node:net";
import * as z from "zod";

/** An IPv4 or IPv6 address, or a CIDR range of either. */
export const ipOrCidr = z
  .string()
  .trim()
  .refine((value) => {
    const [address, prefix, ...rest] = value.split("/");
    const family = isIP(address ?? "");
    if (family === 0 || rest.length > 0) return false;
    if (prefix === undefined) return true;
    const bits = Number(prefix);
    return /^[0-9]{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
  }, "must be an IPv4 or IPv6 address or CIDR range");

export const loginSecuritySettings = z.object({
  maxFailures: z.number().int().min(3, "must be at least 3").max(50, "must be at most 50"),
  windowMinutes: z.number().int().min(1, "must be at least 1").max(1440, "must be at most 1440"),
  blockMinutes: z.number().int().min(1, "must be at least 1").max(10080, "must be at most 10080 (a week)"),
  allowlist: z.array(ipOrCidr).max(100, "at most 100 entries"),
});
export type LoginSecuritySettings = z.infer<typeof loginSecuritySettings>;

export const DEFAULT_LOGIN_SECURITY: LoginSecuritySettings = {
  maxFailures: 5,
  windowMinutes: 10,
  blockMinutes: 30,
  allowlist: [],
};

export const updateLoginSecurityBody = loginSecuritySettings
  .partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, "must change at least one setting");

export const blockedIp = z.object({
  ip: z.string(),
  clientKind: z.enum(["web", "linkus"]).meta({ description: "Which client's failures caused the block" }),
  blockedAt: z.string(),
  blockedUntil: z.string(),
});

export const blockedIpParams = z.strictObject({
  ip: z.string().refine((value) => isIP(value) !== 0, "must be an IPv4 or IPv6 address"),
});

export const listBlockedIpsResponse = z.object({ items: z.array(blockedIp) });
