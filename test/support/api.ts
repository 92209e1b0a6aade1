import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { expect } from "vitest";
import type * as z from "zod";
import { defaultDeps } from "../../layers/core/deps.js";
import type { RouteContract } from "../../layers/core/http/contract.js";
import { RouteMatcher } from "../../layers/core/http/route-match.js";
import { tenantPartition } from "../../layers/core/keys.js";
import { routeList } from "../../layers/core/routes.js";
import { createLocalApi, listen } from "../../scripts/local/http-adapter.js";

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  query?: Record<string, string | number>;
  headers?: Record<string, string>;
  /** The client's IP address, as API Gateway would see it. */
  ip?: string;
}

/** A running local API (the real adapter, authorizer and handlers) on a free loopback port. */
export class TestApi {
  private constructor(
    readonly baseUrl: string,
    private readonly server: Server,
  ) {}

  static async start(): Promise<TestApi> {
    const server = createLocalApi();
    return new TestApi(await listen(server, 0), server);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  get platformKey(): string {
    return process.env.PBX_PLATFORM_KEY as string;
  }

  /**
   * Sends a request; a success answer is also checked against the route's response schema,
   * so a handler cannot drift from its contract without a test noticing.
   */
  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.ip) headers["x-forwarded-for"] = options.ip;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    const response = await fetch(url, { method, headers, body });
    const text = await response.text();
    const isJson = (response.headers.get("content-type") ?? "").includes("json");
    const parsed = text && isJson ? JSON.parse(text) : text || undefined;
    const route = findRoute(method, url.pathname);
    if (route?.response && response.status === route.successStatus && route.successStatus !== 204) {
      const check = (route.response as z.ZodType).safeParse(parsed);
      expect(check.success, `${route.id} answered outside its response schema: ${check.error?.message}`).toBe(true);
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /**
   * Tenants created up front, in parallel (each takes a second or so, mostly scrypt), handed out
   * one per call of the returned function.
   */
  async createTenantPool(size: number) {
    const pool = await Promise.all(Array.from({ length: size }, () => this.createTenant()));
    return () => {
      const tenant = pool.pop();
      if (!tenant) throw new Error("the tenant pool is empty: raise its size");
      return tenant;
    };
  }

  async createTenant(overrides: Record<string, unknown> = {}) {
    const slug = `t-${randomBytes(5).toString("hex")}`;
    const adminPassword = "Adm1nPassword!";
    const response = await this.request("POST", "/api/v1/platform/tenants", {
      token: this.platformKey,
      body: { name: `Tenant ${slug}`, slug, adminEmail: `admin@${slug}.example.com`, adminPassword, ...overrides },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const login = await this.login(slug, `admin@${slug}.example.com`, adminPassword);
    return {
      id: response.body.tenant.id as string,
      slug,
      adminEmail: `admin@${slug}.example.com`,
      adminPassword,
      adminExtensionId: response.body.administrator.extensionId as string,
      token: login.accessToken as string,
    };
  }

  async login(server: string, email: string, password: string, client = "web") {
    const response = await this.request("POST", "/api/v1/auth/login", { body: { server, email, password, client } });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body;
  }

  /** Creates an extension holding `role` and logs in as it. */
  async userWithRole(tenant: { token: string; slug: string }, role: string, number: string) {
    const password = "UserPassw0rd";
    const email = `${role}.${number}@${tenant.slug}.example.com`;
    const created = await this.request("POST", "/api/v1/extensions", {
      token: tenant.token,
      body: { firstName: role, number, email, role, userPassword: password },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const login = await this.login(tenant.slug, email, password);
    return { id: created.body.id as string, token: login.accessToken as string, email, password };
  }
}

const matcher = new RouteMatcher(routeList as readonly RouteContract[]);

/** The route a request reaches, by the matcher the local adapter (and so API Gateway's rule) uses. */
export function findRoute(method: string, pathname: string): RouteContract | undefined {
  return matcher.match(method, pathname)?.route;
}

/** Mails the SES emulator received for one address, oldest first. */
export async function mailsTo(address: string): Promise<SesMail[]> {
  const response = await fetch(`${process.env.TEST_SES_ENDPOINT}/store`);
  const store = (await response.json()) as { emails: SesMail[] };
  return store.emails.filter((mail) => mail.destination.to.some((to) => to.includes(address)));
}

export interface SesMail {
  messageId: string;
  subject: string;
  destination: { to: string[] };
  body: { text?: string; html?: string };
  attachments: {
    content: string;
    contentType: string;
    cid?: string;
    contentId?: string;
    contentDisposition?: string;
    filename?: string;
  }[];
}

/** Every item stored under a tenant's partition, straight from DynamoDB. */
export async function tenantItems(tenantId: string): Promise<Record<string, unknown>[]> {
  const deps = defaultDeps();
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.db.send(
      new QueryCommand({
        TableName: deps.config.tableName,
        KeyConditionExpression: "PK = :pk",
        ExpressionAttributeValues: { ":pk": tenantPartition(tenantId) },
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
