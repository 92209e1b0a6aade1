import { mkdir, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteContract } from "../../layers/core/http/contract.js";
import { routeList } from "../../layers/core/routes.js";
import { TestApi } from "../support/api.js";
import { prng } from "../support/prng.js";
import {
  ENDS_SESSION,
  fillPath,
  PROBES,
  type ProbeTargets,
  seedBlockedIp,
  seedContactsAndRecords,
  seedDeadDelivery,
  seedRolesAndRules,
} from "../support/route-probes.js";

/**
 * A seeded fuzzer over the whole route table: each route's valid probe request, broken one part
 * at a time (wrong types, huge and deep bodies, NULs, prototype keys, bad cursors, bad
 * percent-encoding, wrong content types, tampered tokens). It fails on any 5xx and on any
 * request that takes longer than HANG_MS. `FUZZ_SEED` and `FUZZ_PER_ROUTE` replay or widen a run;
 * the figures go to stdout and .reports/api-fuzz.json (recorded in docs/security.md).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const PER_ROUTE = Number(process.env.FUZZ_PER_ROUTE ?? 40);
const HANG_MS = 20_000;
const CONCURRENCY = 6;

type Random = () => number;
const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

const deep = (depth: number, open: string, close: string, inner = "1") =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

/** Values that break a field's type, size or meaning. */
const HOSTILE_VALUES: readonly unknown[] = [
  null,
  0,
  -1,
  1e308,
  1.5,
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x".repeat(70_000),
  [],
  [null],
  Array.from({ length: 5_000 }, (_, i) => i),
  {},
  { __proto__: { admin: true } },
  { constructor: { prototype: { admin: true } } },
  true,
  "{{constructor}}",
  "{{__proto__}}",
  "=cmd|' /C calc'!A0",
  "<script>alert(1)</script>",
  "../../../../etc/passwd",
  "%ff%fe",
  "9".repeat(400),
  "2026-02-30T25:61:61Z",
];

/** Path parameter values, as they go on the wire (already encoded where they must be). */
const HOSTILE_PATH: readonly string[] = [
  "%ff%fe",
  "%00",
  "%",
  "%zz",
  "%2e%2e",
  "%2F",
  "a".repeat(3_000),
  "%F0%9F%92%A5",
  "%E2%80%AE",
  "null",
  "-1",
  "00000000000000000000000000",
  "01ARZ3NDEKTSV4RRFFQ69G5FAV",
  "%C0%AF",
  "%ED%A0%80",
];

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const HOSTILE_QUERY: readonly string[] = [
  "",
  "-1",
  "0",
  "1e309",
  "NaN",
  "99999999999999999999",
  "true",
  "[]",
  "\u0000",
  "q".repeat(5_000),
  b64({ PK: "T#x", SK: "y" }),
  b64({ GSI1PK: "TENANTS", GSI1SK: "~" }),
  b64(["zzz"]),
  b64({ c: b64(["zzz"]), p: null }),
  "c1.e30.AAAAAAAAAAAAAAAAAAAAAA",
  "c1..",
  "%ff",
  "2026-13-45",
];

const HOSTILE_BODIES: readonly (string | Buffer)[] = [
  "{",
  "[]",
  "null",
  '"text"',
  "1",
  "\u0000",
  Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
  deep(5_000, "[", "]"),
  deep(5_000, '{"a":', "}"),
  `{"a":${deep(200_000, "[", "]")}}`,
  JSON.stringify({ pad: "x".repeat(1_100_000) }),
  '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}',
  '{"a":1,"a":2}',
];

interface FuzzCase {
  kind: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** Replaces one field somewhere in a JSON value (or adds one) with a hostile value. */
function mutateJson(random: Random, value: unknown): unknown {
  if (Array.isArray(value)) {
    const copy = [...value];
    if (copy.length > 0 && random() < 0.7) {
      const i = Math.floor(random() * copy.length);
      copy[i] = random() < 0.5 ? mutateJson(random, copy[i]) : pick(random, HOSTILE_VALUES);
    } else copy.push(pick(random, HOSTILE_VALUES));
    return copy;
  }
  if (value && typeof value === "object") {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const names = Object.keys(copy);
    const roll = random();
    if (names.length > 0 && roll < 0.6) {
      const name = pick(random, names);
      copy[name] = random() < 0.4 ? mutateJson(random, copy[name]) : pick(random, HOSTILE_VALUES);
    } else if (names.length > 0 && roll < 0.8) {
      delete copy[pick(random, names)];
    } else {
      copy[pick(random, ["constructor", "__proto__", "toString", "unknownField", ""])] = pick(random, HOSTILE_VALUES);
    }
    return copy;
  }
  return pick(random, HOSTILE_VALUES);
}

function queryNames(route: RouteContract): string[] {
  const shape = (route.query as unknown as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

function makeCase(random: Random, route: RouteContract, targets: ProbeTargets, credential?: string): FuzzCase {
  const probe = PROBES[route.id as keyof typeof PROBES]({ targets, password: "Adm1nPassword!" });
  const base: FuzzCase = {
    kind: "valid",
    method: route.method,
    path: fillPath(route, targets),
    query: { ...(probe.query ?? {}) },
    headers: {
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
      ...(probe.body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(probe.body !== undefined ? { body: JSON.stringify(probe.body) } : {}),
  };
  const params = route.path.match(/\{\w+\}/g) ?? [];
  const choices = [
    ...(params.length ? ["path"] : []),
    "query",
    ...(route.body ? ["field", "field", "body", "content-type"] : []),
    "token",
  ];
  const kind = pick(random, choices);
  base.kind = kind;
  switch (kind) {
    case "path": {
      const param = pick(random, params);
      base.path = route.path.replace(/\{(\w+)\}/g, (match) =>
        match === param ? pick(random, HOSTILE_PATH) : (fillPath({ ...route, path: match }, targets) ?? match),
      );
      break;
    }
    case "query": {
      const names = [...queryNames(route), "cursor", "limit", "__proto__", "unknown"];
      base.query[pick(random, names)] = pick(random, HOSTILE_QUERY);
      break;
    }
    case "field":
      base.body = JSON.stringify(mutateJson(random, probe.body ?? {}));
      break;
    case "body":
      base.body = pick(random, HOSTILE_BODIES);
      break;
    case "content-type":
      base.headers["content-type"] = pick(random, [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=utf-16",
        "application/jsonx",
        "",
      ]);
      break;
    case "token": {
      const tampered = credential
        ? `${credential.slice(0, -3)}${pick(random, ["AAA", "___", "..."])}`
        : "eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ4In0.";
      base.headers.authorization = pick(random, [
        `Bearer ${tampered}`,
        "Bearer ",
        "Basic YTpi",
        `Bearer ${"x".repeat(8_000)}`,
        "Bearer pbxp_guess",
      ]);
      break;
    }
  }
  return base;
}

async function send(baseUrl: string, c: FuzzCase): Promise<{ status: number; ms: number; body: string }> {
  const url = new URL(`${baseUrl}${c.path}`);
  for (const [name, value] of Object.entries(c.query)) url.searchParams.append(name, value);
  const started = performance.now();
  const response = await fetch(url, {
    method: c.method,
    headers: c.headers,
    body: c.body,
    signal: AbortSignal.timeout(HANG_MS),
  });
  const body = await response.text();
  return { status: response.status, ms: performance.now() - started, body: body.slice(0, 300) };
}

describe("API fuzzer", () => {
  let api: TestApi;
  let targets: ProbeTargets;
  let tenant: Awaited<ReturnType<TestApi["createTenant"]>>;

  beforeAll(async () => {
    api = await TestApi.start();
    tenant = await api.createTenant();
    const as = { token: tenant.token };
    await api.request("PATCH", "/api/v1/settings", { ...as, body: { organizationManagement: true } });
    const org = await api.request("POST", "/api/v1/organizations", { ...as, body: { name: "Fuzz" } });
    const ext = await api.request("POST", "/api/v1/extensions", {
      ...as,
      body: { firstName: "Fuzz", number: "2001", email: "fuzz@example.com" },
    });
    const contact = await api.request("POST", "/api/v1/notification-contacts", {
      ...as,
      body: { type: "custom", name: "Fuzz Ops", email: "fuzz-ops@example.com", levels: ["alert"] },
    });
    await seedBlockedIp(tenant.id, "203.0.113.9");
    // Plus the public phonebook's parameters, which no other route-table test fills.
    const phonebook = { server: tenant.slug, file: "yealink.xml" } as Partial<ProbeTargets>;
    targets = {
      ...phonebook,
      tenantId: tenant.id,
      extensionId: ext.body.id,
      organizationId: org.body.id,
      notificationContactId: contact.body.id,
      deliveryId: await seedDeadDelivery(tenant.id),
      ip: "203.0.113.9",
      eventType: "web_user_blocked_out",
      ...(await seedRolesAndRules((method, path, body) => api.request(method, path, { ...as, body }))),
      ...(await seedContactsAndRecords(
        (method, path, options) => api.request(method, path, options),
        { token: tenant.token, tenantId: tenant.id },
        { token: tenant.token, extensionId: tenant.adminExtensionId },
        api.platformKey,
      )),
    };
  });
  afterAll(() => api?.stop());

  it("answers every hostile request below 500 and in time", { timeout: 30 * 60_000 }, async () => {
    // Prepare: the cases, from the seed. Routes that end the caller's session or delete the
    // tenant are fuzzed without a working credential, so the run keeps its tenant.
    const random = prng(SEED);
    const cases: { route: RouteContract; fuzz: FuzzCase }[] = [];
    for (const route of routeList as RouteContract[]) {
      const destructive = ENDS_SESSION.has(route.id) || route.id.startsWith("platform.tenants.");
      const credential =
        route.auth.kind === "platform" && !destructive
          ? api.platformKey
          : route.auth.kind === "tenant" && !destructive
            ? tenant.token
            : undefined;
      for (let i = 0; i < PER_ROUTE; i++) cases.push({ route, fuzz: makeCase(random, route, targets, credential) });
    }

    // Act
    const statuses = new Map<number, number>();
    const failures: { route: string; kind: string; path: string; status: number | string; body: string }[] = [];
    let slowest = 0;
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < cases.length; i = next++) {
        const { route, fuzz } = cases[i] as (typeof cases)[number];
        try {
          const answer = await send(api.baseUrl, fuzz);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          slowest = Math.max(slowest, answer.ms);
          if (answer.status >= 500) {
            failures.push({
              route: route.id,
              kind: fuzz.kind,
              path: fuzz.path,
              status: answer.status,
              body: answer.body,
            });
          }
        } catch (error) {
          failures.push({
            route: route.id,
            kind: fuzz.kind,
            path: fuzz.path,
            status: "no answer",
            body: String(error),
          });
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - started) / 1000;

    // Assess (and report)
    const figures = {
      seed: SEED,
      routes: routeList.length,
      requests: cases.length,
      statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
      serverErrors: failures.filter((f) => typeof f.status === "number").length,
      noAnswer: failures.filter((f) => typeof f.status !== "number").length,
      slowestMs: Math.round(slowest),
      seconds: Math.round(seconds),
    };
    console.log(`API fuzzer: ${JSON.stringify(figures)}`);
    await mkdir(".reports", { recursive: true });
    await writeFile(".reports/api-fuzz.json", `${JSON.stringify({ ...figures, failures }, null, 2)}\n`);
    expect(failures).toEqual([]);
  });
});
