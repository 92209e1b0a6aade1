import { type IceConfig, icePolicyOf, iceUrls } from "./sip/ice-servers.js";

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
  /**
   * Locally (optional): the list-cursor key itself; without it, one is derived from PBX_MASTER_KEY.
   * In AWS: the ARN of its own secret, so the functions that list need not read the master key.
   */
  cursorKey: "PBX_CURSOR_KEY",
  cursorKeySecretArn: "PBX_CURSOR_KEY_SECRET_ARN",
  /**
   * The value CloudFront sends in its origin requests to the API (http/caller-ip.ts): the value
   * itself (tests), or in AWS the ARN of its secret, set only on the functions that read the
   * caller's IP. Unset (the local stack), no request is taken to come through CloudFront.
   */
  originSecret: "PBX_ORIGIN_SECRET",
  originSecretArn: "PBX_ORIGIN_SECRET_ARN",
  accessTokenTtl: "ACCESS_TOKEN_TTL_SECONDS",
  mailFrom: "MAIL_FROM_ADDRESS",
  sesConfigurationSet: "SES_CONFIGURATION_SET",
  refreshTokenTtl: "REFRESH_TOKEN_TTL_SECONDS",
  sessionMaxAge: "SESSION_MAX_AGE_SECONDS",
  quickLoginTtl: "QUICK_LOGIN_TTL_SECONDS",
  eventRetentionDays: "EVENT_RETENTION_DAYS",
  /** Where users open the Linkus Web Client; quick login links point there. */
  publicWebUrl: "PUBLIC_WEB_URL",
  /** The host Linkus clients and IP phones reach (SIP and port 8111), shown in welcome emails. */
  publicSipHost: "PUBLIC_SIP_HOST",
  /** The SIP port and transports clients reach there (the load balancer's listeners). */
  publicSipPort: "PUBLIC_SIP_PORT",
  publicSipTransports: "PUBLIC_SIP_TRANSPORTS",
  /** The Linkus port clients reach on that host (8111 in AWS; LINKUS_PORT locally). */
  publicLinkusPort: "PUBLIC_LINKUS_PORT",
  /** Where the Web Client opens the 8111 channel; defaults to ws://PUBLIC_SIP_HOST:PUBLIC_LINKUS_PORT. */
  publicLinkusUrl: "PUBLIC_LINKUS_URL",
  /** The login gate's platform-wide per-IP and per-target limits (services/auth-gate.ts). */
  gateIpAttempts: "PBX_GATE_IP_ATTEMPTS",
  gateTargetAttempts: "PBX_GATE_TARGET_ATTEMPTS",
  /** STUN and TURN for the Web Client's softphone (layers/core/sip/ice-servers.ts), comma-separated. */
  stunUrls: "STUN_URLS",
  turnUrls: "TURN_URLS",
  /** coturn's static-auth-secret (time-limited TURN credentials); TURN is offered only with it. */
  turnSecret: "TURN_SECRET",
  turnTtlSeconds: "TURN_TTL_SECONDS",
  /** `relay`: browsers send and receive media through TURN only (layers/core/sip/ice-servers.ts). */
  iceTransportPolicy: "ICE_TRANSPORT_POLICY",
} as const;

export interface Config {
  tableName: string;
  accessTokenTtlSeconds: number;
  /** A refresh token unused for this long dies; each rotation starts the clock again. */
  refreshTokenTtlSeconds: number;
  /** No session outlives this, however often it refreshes. */
  sessionMaxAgeSeconds: number;
  quickLoginTtlSeconds: number;
  eventRetentionDays: number;
  mailFrom: string;
  sesConfigurationSet: string | undefined;
  publicWebUrl: string;
  publicSipHost: string;
  publicSipPort: number;
  publicSipTransports: ("udp" | "tcp" | "tls")[];
  publicLinkusPort: number;
  publicLinkusUrl: string;
  /** Login attempts one IP may make across the platform in 10 minutes (failures and ones in flight). */
  gateIpAttempts: number;
  /** Login attempts at one user of one PBX in 15 minutes. */
  gateTargetAttempts: number;
  ice: IceConfig;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const publicSipHost = env[ENV.publicSipHost] ?? "127.0.0.1";
  const publicLinkusPort = Number(env[ENV.publicLinkusPort] ?? 8111);
  return {
    tableName: env[ENV.tableName] ?? "cloud-pbx",
    accessTokenTtlSeconds: Number(env[ENV.accessTokenTtl] ?? 1800),
    refreshTokenTtlSeconds: Number(env[ENV.refreshTokenTtl] ?? 7 * 24 * 3600),
    sessionMaxAgeSeconds: Number(env[ENV.sessionMaxAge] ?? 90 * 24 * 3600),
    quickLoginTtlSeconds: Number(env[ENV.quickLoginTtl] ?? 7 * 24 * 3600),
    eventRetentionDays: Number(env[ENV.eventRetentionDays] ?? 90),
    mailFrom: env[ENV.mailFrom] ?? "pbx@localhost",
    sesConfigurationSet: env[ENV.sesConfigurationSet] || undefined,
    publicWebUrl: (env[ENV.publicWebUrl] ?? "http://127.0.0.1:8080").replace(/\/+$/, ""),
    publicSipPort: Number(env[ENV.publicSipPort] ?? 5060),
    publicSipTransports: (env[ENV.publicSipTransports] ?? "udp,tcp")
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .filter((t): t is "udp" | "tcp" | "tls" => t === "udp" || t === "tcp" || t === "tls"),
    publicSipHost,
    publicLinkusPort,
    publicLinkusUrl: env[ENV.publicLinkusUrl] ?? `ws://${publicSipHost}:${publicLinkusPort}`,
    gateIpAttempts: Number(env[ENV.gateIpAttempts] ?? 30),
    gateTargetAttempts: Number(env[ENV.gateTargetAttempts] ?? 10),
    ice: iceConfig(env),
  };
}

function iceConfig(env: NodeJS.ProcessEnv): IceConfig {
  const ice = {
    stunUrls: iceUrls(env[ENV.stunUrls], ["stun", "stuns"]),
    turnUrls: iceUrls(env[ENV.turnUrls], ["turn", "turns"]),
    turnSecret: env[ENV.turnSecret] || undefined,
    turnTtlSeconds: Number(env[ENV.turnTtlSeconds] ?? 12 * 3600),
  };
  return { ...ice, transportPolicy: icePolicyOf(env[ENV.iceTransportPolicy], ice) };
}
