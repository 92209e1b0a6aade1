import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { TestApi } from "../support/api.js";

/** Structured logs carry the request and tenant ids, and never a secret. */
describe("logs", () => {
  let api: TestApi;
  const lines: string[] = [];

  beforeAll(async () => {
    process.env.LOG_LEVEL = "DEBUG";
    vi.resetModules();
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return write(chunk as string, ...(rest as []));
    });
    const { TestApi: FreshApi } = await import("../support/api.js");
    api = await FreshApi.start();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    process.env.LOG_LEVEL = "SILENT";
    await api.stop();
  });

  it("logs each request as JSON with request id and tenant id, without passwords or tokens", async () => {
    // Arrange
    const tenant = await api.createTenant({ adminPassword: "Adm1nPassword!" });
    const userPassword = "VisibleInLogs1";
    const registrationPassword = "SipInLogs1Secret";

    // Act
    const created = await api.request("POST", "/api/v1/extensions", {
      token: tenant.token,
      body: { firstName: "Log", number: "7100", userPassword, registrationPassword },
    });
    await api.request("GET", `/api/v1/extensions/${created.body.id}/sip-credentials`, { token: tenant.token });
    await api.request("POST", "/api/v1/auth/login", {
      body: { server: tenant.slug, email: "nobody@example.com", password: "Wrong1Password" },
    });

    // Assess
    const records = lines
      .flatMap((chunk) => chunk.split("\n"))
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const createLog = records.find((r) => r.route === "extensions.create");
    expect(createLog).toMatchObject({ tenantId: tenant.id, status: 201, level: "INFO" });
    expect(createLog?.requestId).toEqual(expect.any(String));
    const all = lines.join("");
    for (const secret of [userPassword, registrationPassword, "Adm1nPassword!", "Wrong1Password", tenant.token]) {
      expect(all).not.toContain(secret);
    }
  });
});
