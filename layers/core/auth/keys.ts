import { hkdfSync } from "node:crypto";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ENV } from "../config.js";

/**
 * Key material: one master secret, from which purpose-bound subkeys are derived with HKDF,
 * and the platform admin key. Locally both come from the environment; in AWS from Secrets
 * Manager, fetched once per container.
 */
export interface KeyMaterial {
  /** HMAC key for access tokens. */
  tokenKey: Buffer;
  /** AES-256-GCM key for SIP registration passwords at rest. */
  dataKey: Buffer;
  platformKey: string;
}

let secretsClient: SecretsManagerClient | undefined;
let cached: Promise<KeyMaterial> | undefined;

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

export function deriveKeys(master: string, platformKey: string): KeyMaterial {
  const derive = (purpose: string) => Buffer.from(hkdfSync("sha256", master, "cloud-pbx", purpose, 32));
  return { tokenKey: derive("access-token/v1"), dataKey: derive("sip-secret/v1"), platformKey };
}

export function keyMaterial(): Promise<KeyMaterial> {
  cached ??= Promise.all([
    readSecret(ENV.masterKey, ENV.masterKeySecretArn),
    readSecret(ENV.platformKey, ENV.platformKeySecretArn),
  ]).then(([master, platformKey]) => deriveKeys(master, platformKey));
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
