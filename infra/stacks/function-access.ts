import { Duration } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import { TABLE } from "#core/table";
import type { FunctionName, PbxFunction } from "../constructs/pbx-function.js";

/** What each function may touch. The one place to look when a function gets AccessDenied. */
export interface Access {
  table: "none" | "read" | "readWrite";
  masterKey: boolean;
  platformKey: boolean;
  /** Whether it lists with cursors (storage/cursor.ts): the cursor key, not the master key. */
  cursorKey?: true;
  /**
   * Whether it reads the caller's IP (login security, the login gate, the event log) and so the
   * CloudFront origin secret that vouches for the viewer's address (http/caller-ip.ts).
   */
  originSecret?: true;
  /** Whether it sends email through SES (send actions on the mail identity and configuration set only). */
  ses: boolean;
  /** Memory in MB: the functions that hash passwords with scrypt get more CPU. */
  memorySize: number;
  /** Short for the authorizer, which sits in front of every call; API Gateway gives up after 29 s anyway. */
  timeout: Duration;
}

const FAST = Duration.seconds(5);
const NORMAL = Duration.seconds(15);
const SLOW = Duration.seconds(60);

export const FUNCTION_ACCESS: Readonly<Record<FunctionName, Access>> = {
  // Verifies tokens (master key) and the platform key, the only function that can read it.
  authorizer: { table: "read", masterKey: true, platformKey: true, ses: false, memorySize: 512, timeout: FAST },
  // Hashes the Super Administrator's password and seals SIP secrets with the master key.
  platform: {
    table: "readWrite",
    masterKey: true,
    platformKey: false,
    cursorKey: true,
    ses: false,
    memorySize: 1024,
    timeout: NORMAL,
  },
  // Login: scrypt password checks, token signing; writes sessions, events and their outbox items.
  auth: {
    table: "readWrite",
    masterKey: true,
    platformKey: false,
    originSecret: true,
    ses: false,
    memorySize: 1024,
    timeout: NORMAL,
  },
  // Creates users (scrypt), seals or reveals SIP secrets, and sends welcome emails itself. Setting a
  // user's password records the administrator's IP in the event log.
  extensions: {
    table: "readWrite",
    masterKey: true,
    platformKey: false,
    originSecret: true,
    ses: true,
    memorySize: 1024,
    timeout: NORMAL,
  },
  organizations: {
    table: "readWrite",
    masterKey: true,
    platformKey: false,
    ses: false,
    memorySize: 512,
    timeout: NORMAL,
  },
  // A user's own password change checks the current password under login security (the caller's IP).
  tenant: {
    table: "readWrite",
    masterKey: true,
    platformKey: false,
    originSecret: true,
    ses: false,
    memorySize: 512,
    timeout: NORMAL,
  },
  // Login security settings and blocked IPs.
  security: { table: "readWrite", masterKey: true, platformKey: false, ses: false, memorySize: 512, timeout: NORMAL },
  // Event log, notification settings and contacts, failed deliveries (retrying one only re-queues it).
  events: {
    table: "readWrite",
    masterKey: true,
    platformKey: false,
    cursorKey: true,
    ses: false,
    memorySize: 512,
    timeout: NORMAL,
  },
  // Custom roles; deleting one with reassignment moves its holders (extension writes).
  roles: { table: "readWrite", masterKey: true, platformKey: false, ses: false, memorySize: 512, timeout: NORMAL },
  // Linkus permission rules and Company Contacts rules, with the permissions change feed.
  permissions: {
    table: "readWrite",
    masterKey: true,
    platformKey: false,
    ses: false,
    memorySize: 512,
    timeout: NORMAL,
  },
  // Company and personal contacts, the contacts change feed, imports and exports. 1,536 MB: the
  // directory's search index is held in memory (D-imports-4; ~113 MiB per 100,000 contacts) beside
  // large CSV and vCard files being parsed. Contacts hold no sealed value and the caller comes from
  // the authorizer, so it never reads the master key.
  contacts: {
    table: "readWrite",
    masterKey: false,
    platformKey: false,
    cursorKey: true,
    ses: false,
    memorySize: 1536,
    timeout: NORMAL,
  },
  // Call logs, voicemails, recordings, adding their numbers to contacts, and the internal ingest (a
  // platform route: the authorizer checks the platform key). No key of its own either.
  records: {
    table: "readWrite",
    masterKey: false,
    platformKey: false,
    cursorKey: true,
    ses: false,
    memorySize: 512,
    timeout: NORMAL,
  },
  // Serves the OpenAPI document generated from the route table: touches no data and no secret.
  meta: { table: "none", masterKey: false, platformKey: false, ses: false, memorySize: 512, timeout: NORMAL },
  // Sends the outbox: queries GSI1 for due items, claims and updates them, calls SES. Reads no secret.
  // A stream batch of 25 or a scheduled run over every shard makes many sequential sends. It also
  // runs imports and builds phonebooks, so it holds directory indexes like `contacts` (1,536 MB).
  notifier: { table: "readWrite", masterKey: false, platformKey: false, ses: true, memorySize: 1536, timeout: SLOW },
};

const READ_ACTIONS = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"];
const WRITE_ACTIONS = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"];

/**
 * The mailer (layers/core/mail.ts) calls the SES v2 `SendEmail` operation with simple content
 * (SES composes the MIME message, inline images included), which IAM authorises as the action
 * `ses:SendEmail`, on the mail identity and configuration set only. `ses:SendRawEmail` (raw MIME
 * content) is no longer needed and not granted.
 */
export const SES_SEND_ACTIONS = ["ses:SendEmail"];

/**
 * Data access without Scan (never used in a request path) and without index wildcards: the
 * table and each index named in layers/core/table.ts.
 */
export function grantTable(fn: PbxFunction, table: ITable, level: Access["table"]) {
  if (level === "none") return;
  const indexArns = TABLE.indexes.map((index) => `${table.tableArn}/index/${index.name}`);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: READ_ACTIONS, resources: [table.tableArn, ...indexArns] }));
  if (level === "readWrite") {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: WRITE_ACTIONS, resources: [table.tableArn] }));
  }
}
