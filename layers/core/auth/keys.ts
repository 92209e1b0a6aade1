import { hkdfSync } from "node:crypto";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
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
  /** HMAC key sealing list cursors (storage/cursor.ts). */
  cursorKey: Buffer;
}

let secretsClient: SecretsManagerClient | undefined;

async function readSecret(valueVar: string, arnVar: string): Promise<string> {
  const direct = process.env[valueVar];
  if (direct) return direct;
  const arn = process.env[arnVar];
  if (!arn) throw new Error(`Neither ${valueVar} nor ${arnVar} is set`);
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
