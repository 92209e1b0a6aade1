import { randomBytes } from "node:crypto";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { expect } from "vitest";
import { defaultDeps } from "../../../layers/core/deps.js";
import { keys } from "../../../layers/core/keys.js";
import { sortKeyStartsWith } from "../../../layers/core/storage/db.js";
import { BindingStore } from "../../../listener/registrar/bindings.js";
import { type ListenerOptions, type RunningListener, startListener } from "../../../listener/server.js";
import { TestApi } from "../../support/api.js";
import { freePort } from "../../support/global-setup.js";

export interface Fixture {
  api: TestApi;
  listener: RunningListener;
  stop: () => Promise<void>;
}

export async function startFixture(options: Partial<ListenerOptions> = {}): Promise<Fixture> {
  const api = await TestApi.start();
  const listener = await startListener({
    host: "127.0.0.1",
    sipPort: 0,
    linkusPort: 0,
    healthPort: 0,
    feedPollMs: 100,
    presencePollMs: 500,
    drainMs: 500,
    ...options,
  });
  return {
    api,
    listener,
    stop: async () => {
      await listener.stop();
      await api.stop();
    },
  };
}

export interface SipUser {
  id: string;
  number: string;
  registrationName: string;
  password: string;
  /** The sipp injection field that answers a challenge with these credentials. */
  auth: string;
}

export async function createSipUser(
  api: TestApi,
  tenant: { token: string },
  number: string,
  concurrentRegistrations = 1,
  extra: Record<string, unknown> = {},
): Promise<SipUser> {
  const registrationName = `r${randomBytes(5).toString("hex")}`;
  const password = `Sip${randomBytes(6).toString("hex")}Pw1`;
  const created = await api.request("POST", "/api/v1/extensions", {
    token: tenant.token,
    body: {
      firstName: `User ${number}`,
      number,
      registrationName,
      registrationPassword: password,
      concurrentRegistrations,
      ...extra,
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return {
    id: created.body.id as string,
    number,
    registrationName,
    password,
    auth: `[authentication username=${registrationName} password=${password}]`,
  };
}

export function bindingsOf(tenantId: string, extensionId?: string) {
  return new BindingStore(defaultDeps()).list(tenantId, extensionId);
}

/** An extension's call logs as stored, read consistently (the records the proxy writes). */
export async function callLogsOf(tenantId: string, extensionId: string) {
  const deps = defaultDeps();
  const result = await deps.db.send(
    new QueryCommand({
      TableName: deps.config.tableName,
      ...sortKeyStartsWith(keys.recordPartition(tenantId), keys.recordPrefix(extensionId, "call")),
      ConsistentRead: true,
    }),
  );
  return result.Items ?? [];
}

export { freePort };

/** Polls until `check` passes or the time is up (then its last failure is thrown). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
