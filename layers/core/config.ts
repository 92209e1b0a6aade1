/**
 * Runtime configuration, read from the environment once per container. The same names
 * are set by the CDK stacks (infra/) and by the local stack (scripts/start.ts).
 */
export const ENV = {
  tableName: "TABLE_NAME",
  /** Locally: the master key itself (base64, 32 bytes). In AWS: the ARN of the secret holding it. */
  masterKey: "PBX_MASTER_KEY",
  masterKeySecretArn: "PBX_MASTER_KEY_SECRET_ARN",
  /** Locally: the platform admin key itself. In AWS: the ARN of the secret holding it. */
  platformKey: "PBX_PLATFORM_KEY",
  platformKeySecretArn: "PBX_PLATFORM_KEY_SECRET_ARN",
  accessTokenTtl: "ACCESS_TOKEN_TTL_SECONDS",
  mailFrom: "MAIL_FROM_ADDRESS",
  sesConfigurationSet: "SES_CONFIGURATION_SET",
} as const;

export interface Config {
  tableName: string;
  accessTokenTtlSeconds: number;
  mailFrom: string;
  sesConfigurationSet: string | undefined;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    tableName: env[ENV.tableName] ?? "cloud-pbx",
    accessTokenTtlSeconds: Number(env[ENV.accessTokenTtl] ?? 1800),
    mailFrom: env[ENV.mailFrom] ?? "pbx@localhost",
    sesConfigurationSet: env[ENV.sesConfigurationSet] || undefined,
  };
}
