/**
 * Deployment settings, read once from CDK context (`-c key=value` or cdk.json) so that every
 * stack sees the same values. Nothing here looks anything up in AWS: `cdk synth` works with no
 * credentials and the stacks are environment-agnostic.
 */
import { RemovalPolicy } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Node } from "constructs";

export interface StageConfig {
  /** `dev`, `prod`, or any other name; every stack name starts with `CloudPbx-<stage>-`. */
  stage: string;
  /**
   * Whether data survives `cdk destroy` and mistakes: table deletion protection, RETAIN on the
   * table, the secrets and the log groups. On for prod, off elsewhere unless `-c protectData=true`.
   */
  protectData: boolean;
  removalPolicy: RemovalPolicy;
  logRetention: RetentionDays;
  /** Domain verified in SES; mail is sent from `mailFromLocalPart@mailDomain`. */
  mailDomain: string;
  mailFromAddress: string;
  /** Route 53 public hosted zone of `mailDomain`: when given, the DKIM records are created in it. */
  mailHostedZoneId: string | undefined;
  /** Where users open the web client; quick-login links in welcome emails point there (PUBLIC_WEB_URL). */
  publicWebUrl: string;
  /** The host SIP clients and phones register with, printed in welcome emails (PUBLIC_SIP_HOST). */
  publicSipHost: string;
  /**
   * ACM certificate (us-east-1) for the host of `publicWebUrl`: when given, CloudFront answers on
   * that name with TLS 1.2 at least; without it, on its own *.cloudfront.net name.
   */
  webCertificateArn: string | undefined;
  /** ACM certificate (the stack's region) for `publicSipHost`: the NLB then terminates TLS on 8111 (wss). */
  linkusCertificateArn: string | undefined;
  /**
   * The media relay (infra/constructs/rtpengine-fleet.ts): how many rtpengine instances (slots,
   * spread over the AZs; 0 leaves all media end to end and browser ↔ desk phone calls silent)
   * and their instance type (arm64: the image is Debian's arm64 AMI).
   */
  rtpengine: { slots: number; instanceType: string };
  /** A CLOUDFRONT-scope WAF web ACL (us-east-1) to attach to the distribution. */
  webAclArn: string | undefined;
  accessTokenTtlSeconds: number;
  /** An unused refresh token dies after this long; every rotation restarts the clock. */
  refreshTokenTtlSeconds: number;
  /** No login session outlives this, however often it is refreshed. */
  sessionMaxAgeSeconds: number;
  /** Lifetime of the one-time quick-login links sent in welcome emails. */
  quickLoginTtlSeconds: number;
  /** Events (audit log) expire through the table's TTL after this many days. */
  eventRetentionDays: number;
  /**
   * Reserved concurrency of the notifier, which caps how fast it can call SES; `undefined` leaves
   * it unreserved (`-c notifierReservedConcurrency=none`, for accounts whose concurrency quota is
   * too small to reserve any).
   */
  notifierReservedConcurrency: number | undefined;
  /** API Gateway stage throttling defaults (per account and region bucket, all clients together). */
  throttle: { rateLimit: number; burstLimit: number };
  /** WAF rate-based rules: requests per source IP per 5 minutes. */
  waf: { requestsPerIpPer5Min: number; loginRequestsPerIpPer5Min: number };
}

export const DEFAULT_STAGE = "dev";
export const DEFAULT_MAIL_DOMAIN = "example.com";

const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
const DOMAIN_PATTERN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const IPV4_PATTERN = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const DAY = 24 * 3600;

/** Read the stage configuration from the context of `node` (normally the App). */
export function readStageConfig(node: Node): StageConfig {
  const stage = stringContext(node, "stage") ?? DEFAULT_STAGE;
  if (!STAGE_PATTERN.test(stage)) {
    throw new Error(`Context "stage" must match ${STAGE_PATTERN} (got "${stage}")`);
  }
  const protectData = booleanContext(node, "protectData") ?? stage === "prod";
  const mailDomain = stringContext(node, "mailDomain") ?? DEFAULT_MAIL_DOMAIN;
  if (!DOMAIN_PATTERN.test(mailDomain)) throw new Error(`Context "mailDomain" is not a domain name: "${mailDomain}"`);
  const mailFromLocalPart = stringContext(node, "mailFromLocalPart") ?? "pbx";
  const publicWebUrl = urlContext(node, "publicWebUrl") ?? `https://${stage}.pbx.example.com`;
  const publicSipHost = stringContext(node, "publicSipHost") ?? `sip.${stage}.pbx.example.com`;
  if (!DOMAIN_PATTERN.test(publicSipHost) && !IPV4_PATTERN.test(publicSipHost)) {
    throw new Error(`Context "publicSipHost" must be a host name or an IPv4 address (got "${publicSipHost}")`);
  }
  const accessTokenTtlSeconds = integerContext(node, "accessTokenTtlSeconds") ?? 1800;
  const refreshTokenTtlSeconds = integerContext(node, "refreshTokenTtlSeconds") ?? 7 * DAY;
  const sessionMaxAgeSeconds = integerContext(node, "sessionMaxAgeSeconds") ?? 90 * DAY;
  if (refreshTokenTtlSeconds < accessTokenTtlSeconds || sessionMaxAgeSeconds < refreshTokenTtlSeconds) {
    throw new Error(
      "Context TTLs must satisfy accessTokenTtlSeconds <= refreshTokenTtlSeconds <= sessionMaxAgeSeconds " +
        `(got ${accessTokenTtlSeconds}, ${refreshTokenTtlSeconds}, ${sessionMaxAgeSeconds})`,
    );
  }
  return {
    stage,
    protectData,
    removalPolicy: protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    logRetention: protectData ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH,
    mailDomain,
    mailFromAddress: `${mailFromLocalPart}@${mailDomain}`,
    mailHostedZoneId: stringContext(node, "mailHostedZoneId"),
    publicWebUrl,
    publicSipHost,
    webCertificateArn: arnContext(node, "webCertificateArn", "acm"),
    linkusCertificateArn: regionalCertificateContext(node, "linkusCertificateArn"),
    webAclArn: arnContext(node, "webAclArn", "wafv2"),
    rtpengine: rtpengineContext(node),
    accessTokenTtlSeconds,
    refreshTokenTtlSeconds,
    sessionMaxAgeSeconds,
    quickLoginTtlSeconds: integerContext(node, "quickLoginTtlSeconds") ?? 7 * DAY,
    eventRetentionDays: integerContext(node, "eventRetentionDays") ?? 90,
    notifierReservedConcurrency:
      node.tryGetContext("notifierReservedConcurrency") === "none"
        ? undefined
        : (integerContext(node, "notifierReservedConcurrency") ?? 2),
    throttle: {
      rateLimit: numberContext(node, "apiRateLimit") ?? 100,
      burstLimit: numberContext(node, "apiBurstLimit") ?? 200,
    },
    waf: {
      requestsPerIpPer5Min: numberContext(node, "wafRequestsPerIpPer5Min") ?? 3000,
      loginRequestsPerIpPer5Min: numberContext(node, "wafLoginRequestsPerIpPer5Min") ?? 100,
    },
  };
}

const MAX_RTPENGINE_SLOTS = 8;

/** `-c rtpengineSlots=<0-8>` (default 1), `-c rtpengineInstanceType=<arm64 type>` (default c7g.medium). */
function rtpengineContext(node: Node): StageConfig["rtpengine"] {
  const raw: unknown = node.tryGetContext("rtpengineSlots");
  const slots = raw === undefined || raw === null || raw === "" ? 1 : Number(raw);
  if (!Number.isInteger(slots) || slots < 0 || slots > MAX_RTPENGINE_SLOTS) {
    throw new Error(`Context "rtpengineSlots" must be a whole number from 0 to ${MAX_RTPENGINE_SLOTS} (got "${raw}")`);
  }
  const instanceType = stringContext(node, "rtpengineInstanceType") ?? "c7g.medium";
  // Graviton families carry a "g" after the generation (c7g, t4g, m7gd…): the AMI is arm64.
  if (!/^[a-z]+\d+[a-z]*g[a-z]*\.[a-z0-9]+$/.test(instanceType)) {
    throw new Error(
      `Context "rtpengineInstanceType" must be an arm64 (Graviton) instance type (got "${instanceType}")`,
    );
  }
  return { slots, instanceType };
}

/** Stack names: `CloudPbx-<stage>-<part>`. */
export function stackName(config: Pick<StageConfig, "stage">, part: string): string {
  return `CloudPbx-${config.stage}-${part}`;
}

function stringContext(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new Error(`Context "${key}" must be a string`);
  return value;
}

function booleanContext(node: Node, key: string): boolean | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  // `-c key=true` arrives as the string "true".
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw new Error(`Context "${key}" must be true or false`);
}

function numberContext(node: Node, key: string): number | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  const parsed = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`Context "${key}" must be a positive number`);
  return parsed;
}

function integerContext(node: Node, key: string): number | undefined {
  const value = numberContext(node, key);
  if (value !== undefined && !Number.isInteger(value)) throw new Error(`Context "${key}" must be a whole number`);
  return value;
}

/** An ARN of `service` in us-east-1, where CloudFront's certificates and web ACLs must live. */
/** An ACM certificate in any region (a load balancer's certificate lives in the stack's own). */
function regionalCertificateContext(node: Node, key: string): string | undefined {
  const value = stringContext(node, key);
  if (value === undefined) return undefined;
  if (!/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/\S+$/.test(value)) {
    throw new Error(`Context "${key}" must be an ACM certificate ARN (got "${value}")`);
  }
  return value;
}

function arnContext(node: Node, key: string, service: "acm" | "wafv2"): string | undefined {
  const value = stringContext(node, key);
  if (value === undefined) return undefined;
  if (!new RegExp(`^arn:aws[a-z-]*:${service}:us-east-1:\\d{12}:\\S+$`).test(value)) {
    throw new Error(`Context "${key}" must be an ${service} ARN in us-east-1 (got "${value}")`);
  }
  return value;
}

/** An http(s) URL without query or fragment, returned without its trailing slash. */
function urlContext(node: Node, key: string): string | undefined {
  const value = stringContext(node, key);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`Context "${key}" is not a URL: "${value}"`);
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.search || url.hash) {
    throw new Error(`Context "${key}" must be an http(s) URL without query or fragment (got "${value}")`);
  }
  return value.replace(/\/+$/, "");
}
