import { hkdfSync } from "node:crypto";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ENV } from "../config.js";

/**
 * Key material: one master secret, from which purpose-bound subkeys are derived with HKDF,
 * and, separately, the platform admin key, which only the authorizer reads (least
 * privilege: no other function can fetch it). Locally both come from the environment; in
 * AWS from Secrets Manager, fetched once per container.
 */
export interface KeyMaterial {
  /** HMAC key for access tokens. */
  tokenKey: Buffer;
  /** AES-256-GCM key for SIP registration passwords at rest. */
  dataKey: Buffer;
  /** HMAC key sealing list cursors locally, when no cursor secret of its own is set (see `cursorKey`). */
  cursorKey: Buffer;
}

let secretsClient: SecretsManagerClient | undefined;

async function readSecret(valueVar: string, arnVar: string): Promise<string> {
  const direct = process.env[valueVar];
  if (direct) return direct;
  const arn = process.env[arnVar];
  if (!arn) throw new Error(`Neither ${valueVar} nor ${arnVar} is set`);
  // Imported on first use: contacts and records never read a secret, and locally nothing does.
  const { GetSecretValueCommand, SecretsManagerClient } = await import("@aws-sdk/client-secrets-manager");
  secretsClient ??= new SecretsManagerClient({});
  const result = await secretsClient.send(new GetSecretValueCommand({ SecretId: arn }));
  if (!result.SecretString) throw new Error(`Secret ${arnVar} has no string value`);
  return result.SecretString;
}

export function deriveKeys(master: string): KeyMaterial {
  const derive = (purpose: string) => Buffer.from(hkdfSync("sha256", master, "cloud-pbx", purpose, 32));
  return { tokenKey: derive("access-token/v1"), dataKey: derive("sip-secret/v1"), cursorKey: derive("cursor/v1") };
}

/** Loads once per container; a failed load is forgotten, so the next request tries again. */
function memoize<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      pending = load();
      pending.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}

export const keyMaterial = memoize(() => readSecret(ENV.masterKey, ENV.masterKeySecretArn).then(deriveKeys));

export const platformKey = memoize(() => readSecret(ENV.platformKey, ENV.platformKeySecretArn));

/**
 * The CloudFront origin secret (http/caller-ip.ts), or undefined where none is configured: the
 * local stack and the functions that never read the caller's IP.
 */
export const originSecret = memoize(async () =>
  process.env[ENV.originSecret] || process.env[ENV.originSecretArn]
    ? readSecret(ENV.originSecret, ENV.originSecretArn)
    : undefined,
);

/**
 * The list-cursor key (storage/cursor.ts): its own secret in AWS, readable by every function that
 * lists; locally, unless PBX_CURSOR_KEY is set, derived from the master key in the environment.
 */
export const cursorKey = memoize(async () => {
  if (!process.env[ENV.cursorKey] && !process.env[ENV.cursorKeySecretArn] && process.env[ENV.masterKey]) {
    return deriveKeys(process.env[ENV.masterKey] as string).cursorKey;
  }
  const secret = await readSecret(ENV.cursorKey, ENV.cursorKeySecretArn);
  return Buffer.from(hkdfSync("sha256", secret, "cloud-pbx", "cursor/v1", 32));
});
