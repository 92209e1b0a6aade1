import { gzipSync } from "node:zlib";
import { BatchWriteCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { contactToCsvRow, csvHeader } from "../../layers/core/contacts/formats/csv.js";
import { defaultDeps } from "../../layers/core/deps.js";
import { processImportJob } from "../../layers/core/services/import-worker.js";
import { createSipUser, eventually, type Fixture, startFixture } from "../listener/support/fixture.js";
import { person } from "../support/contact-rows.js";

type Entry = { sequence: number; action: string; id: string; data?: Record<string, unknown> };
type Tenant = Awaited<ReturnType<Fixture["api"]["createTenant"]>>;

/**
 * The bulk import writes contacts side by side and announces them afterwards
 * (D-imports-1). The feed must still be gap-free, ordered and complete for clients following it
 * while the import runs and people edit the directory: a Linkus client on 8111 and two clients
 * polling the REST feed each see every sequence once, and replaying what they saw gives exactly
 * the directory.
 */
describe("the contacts feed during a bulk import", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  /** A REST client: polls the feed from `since`, moving its cursor to the last entry it got. */
  function poller(tenant: Tenant, since: number) {
    const entries: Entry[] = [];
    let cursor = since;
    let resyncs = 0;
    const poll = async () => {
      const page = await fx.api.request("GET", "/api/v1/company-contacts/changes", {
        token: tenant.token,
        query: { since: cursor, limit: 150 },
      });
      expect(page.status).toBe(200);
      if (page.body.resyncRequired) resyncs++;
      entries.push(...page.body.changes);
      cursor = page.body.changes.at(-1)?.sequence ?? cursor;
      return page.body.latest as number;
    };
    let running = true;
    const loop = (async () => {
      while (running) {
        await poll();
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();
    return {
      entries,
      resyncs: () => resyncs,
      /** Stops polling, then reads until caught up with `latest`. */
      async finish(latest: number) {
        running = false;
        await loop;
        while (cursor < latest) await poll();
        return entries;
      },
    };
  }

  /** Applies feed entries in order, as a client's local copy of the directory. */
  function replay(initial: Map<string, Record<string, unknown>>, entries: Entry[]) {
    const state = new Map(initial);
    for (const entry of entries) {
      if (entry.action === "deleted") state.delete(entry.id);
      else state.set(entry.id, entry.data as Record<string, unknown>);
    }
    return state;
  }

  async function directory(tenant: Tenant) {
    const items: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    do {
      const page = await fx.api.request("GET", "/api/v1/contacts", {
        token: tenant.token,
        query: { directory: "company", limit: 200, ...(cursor ? { cursor } : {}) },
      });
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return new Map(items.map((item) => [item.id as string, item]));
  }

  const COUNT = 800;

  it("gives every client every change once, in order, while people edit the contacts being imported", async () => {
    // Arrange: a directory of 20, a Linkus client on 8111 and two REST clients following the feed.
    const tenant = await fx.api.createTenant();
    const seeded: { id: string; version: number }[] = [];
    for (let i = 0; i < 20; i++) {
      const created = await fx.api.request("POST", "/api/v1/company-contacts", {
        token: tenant.token,
        body: person(9000 + i, { lastName: "Seeded" }),
      });
      seeded.push(created.body);
    }
    const start = (await fx.api.request("GET", "/api/v1/company-contacts/changes", { token: tenant.token })).body
      .latest as number;
    const initial = await directory(tenant);
    const email = `linkus@${tenant.slug}.example.com`;
    await createSipUser(fx.api, tenant, "601", 1, { email, userPassword: "UserPassw0rd" });
    const login = await fx.api.login(tenant.slug, email, "UserPassw0rd", "linkus_desktop");
    const ws = new WebSocket(`ws://127.0.0.1:${fx.listener.linkusPort}/?token=${login.accessToken}&contacts=${start}`);
    const frames: Record<string, any>[] = [];
    ws.on("message", (data) => frames.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const wsEntries = (): Entry[] =>
      frames
        .filter((f) => f.topic === "contacts" && (f.type === "change" || f.type === "changes"))
        .flatMap((f) => (f.type === "change" ? [f] : f.changes));
    const pollers = [poller(tenant, start), poller(tenant, start)];
    // Two chunks (cut at 160,000 bytes of rows: about 730 of these each).
    const rows = Array.from({ length: COUNT }, (_, i) => person(i, { lastName: "Bulk" }));
    const content = gzipSync(csvHeader() + rows.map((c) => contactToCsvRow(c)).join("")).toString("base64");

    // Act: the import runs while someone creates, edits and deletes, imported contacts included.
    const queued = await fx.api.request("POST", "/api/v1/company-contacts/imports", {
      token: tenant.token,
      body: { format: "csv", mode: "valid_rows", content, encoding: "gzip+base64" },
    });
    let importing = true;
    const worker = processImportJob(defaultDeps(), tenant.id, queued.body.id, Date.now() + 300_000).finally(() => {
      importing = false;
    });
    let edits = 0;
    const editor = (async () => {
      for (let round = 0; importing || round < 3; round++) {
        const target = seeded[round % seeded.length] as { id: string; version: number };
        if (round % 4 === 3) {
          await fx.api.request("DELETE", `/api/v1/company-contacts/${target.id}`, { token: tenant.token });
          seeded.splice(round % seeded.length, 1);
        } else {
          const updated = await fx.api.request("PUT", `/api/v1/company-contacts/${target.id}`, {
            token: tenant.token,
            body: { ...person(9500 + round, { lastName: "Edited" }), version: target.version },
          });
          if (updated.status === 200) target.version = updated.body.version;
        }
        // An imported contact, possibly written but not yet announced: edit it.
        const found = await fx.api.request("GET", "/api/v1/contacts", {
          token: tenant.token,
          query: { directory: "company", q: `Person${(round * 37) % COUNT} Bulk`, limit: 1 },
        });
        const imported = found.body.items[0];
        if (imported) {
          await fx.api.request("PUT", `/api/v1/company-contacts/${imported.id}`, {
            token: tenant.token,
            body: {
              ...person((round * 37) % COUNT, { lastName: "Bulk", remark: `edit ${round}` }),
              version: imported.version,
            },
          });
        }
        edits++;
        if (seeded.length === 0) break;
      }
    })();
    await Promise.all([worker, editor]);
    const latest = (await fx.api.request("GET", "/api/v1/company-contacts/changes", { token: tenant.token })).body
      .latest as number;
    const polled = await Promise.all(pollers.map((p) => p.finish(latest)));
    const pushed = await eventually(() => {
      const entries = wsEntries();
      expect(entries.at(-1)?.sequence).toBe(latest);
      return entries;
    }, 30_000);
    ws.close();
    const job = await fx.api.request("GET", `/api/v1/company-contacts/imports/${queued.body.id}`, {
      token: tenant.token,
    });
    const final = await directory(tenant);

    // Assess: the import finished, people edited during it, and each client's copy is the directory.
    expect(job.body).toMatchObject({ status: "completed", created: COUNT });
    expect(edits).toBeGreaterThan(3);
    expect(final.size).toBeGreaterThan(COUNT);
    const every = Array.from({ length: latest - start }, (_, i) => start + 1 + i);
    for (const [name, entries] of [
      ["8111", pushed],
      ["rest 1", polled[0]],
      ["rest 2", polled[1]],
    ] as const) {
      expect(
        (entries ?? []).map((e) => e.sequence),
        `${name}: every sequence once, in order`,
      ).toEqual(every);
      expect(replay(initial, entries ?? []), `${name}: replaying the feed gives the directory`).toEqual(final);
    }
    const createdOnce = (polled[0] ?? []).filter((e) => e.action === "created" && String(e.data?.lastName) === "Bulk");
    expect(new Set(createdOnce.map((e) => e.id)).size).toBe(createdOnce.length);
    expect(createdOnce.length).toBe(COUNT);
    for (const p of pollers) expect(p.resyncs()).toBe(0);
  }, 300_000);

  /** The same client, failing the `n`th command that `matches` (a worker killed mid-step). */
  function failing(name: string, n: number, matches: (command: { input?: any }) => boolean) {
    const deps = defaultDeps();
    let seen = 0;
    const db = new Proxy(deps.db, {
      get(target, property, receiver) {
        if (property !== "send") return Reflect.get(target, property, receiver);
        return (command: { input?: any }) => {
          if (matches(command) && ++seen === n) return Promise.reject(new Error(`${name} lost`));
          return target.send(command as never);
        };
      },
    });
    return { ...deps, db };
  }
  const isContactBatch = (command: object) => command instanceof BatchWriteCommand;
  const isFeedTransaction = (command: { input?: any }) =>
    command instanceof TransactWriteCommand &&
    (command.input.TransactItems ?? []).some((item: any) => item.Put?.Item?.type === "feedCounter");

  it("resumes a job that failed while writing and while announcing: each contact once, each change once", async () => {
    // Arrange
    const tenant = await fx.api.createTenant();
    // Two chunks (cut at 160,000 bytes of rows: about 730 of these each).
    const rows = Array.from({ length: 1100 }, (_, i) => person(i, { lastName: "Resumed" }));
    const content = gzipSync(csvHeader() + rows.map((c) => contactToCsvRow(c)).join("")).toString("base64");
    const queued = await fx.api.request("POST", "/api/v1/company-contacts/imports", {
      token: tenant.token,
      body: { format: "csv", mode: "valid_rows", content, encoding: "gzip+base64" },
    });
    const run = (deps: ReturnType<typeof defaultDeps>) =>
      processImportJob(deps, tenant.id, queued.body.id, Date.now() + 120_000).then(
        () => "finished",
        (error: Error) => error.message,
      );

    // Act: lost in the middle of the first chunk's contact writes; then, in the repeated run, at
    // its third feed transaction; then a clean run.
    const first = await run(failing("contact batch", 20, isContactBatch));
    const second = await run(failing("feed transaction", 3, isFeedTransaction));
    const third = await run(defaultDeps());
    const job = await fx.api.request("GET", `/api/v1/company-contacts/imports/${queued.body.id}`, {
      token: tenant.token,
    });
    const feed = await fx.api.request("GET", "/api/v1/company-contacts/changes", {
      token: tenant.token,
      query: { since: 0, limit: 1000 },
    });
    const rest = await fx.api.request("GET", "/api/v1/company-contacts/changes", {
      token: tenant.token,
      query: { since: 1000, limit: 1000 },
    });
    const entries: Entry[] = [...feed.body.changes, ...rest.body.changes];
    const final = await directory(tenant);

    // Assess
    expect([first, second, third]).toEqual(["contact batch lost", "feed transaction lost", "finished"]);
    expect(job.body).toMatchObject({ status: "completed", done: 1100, created: 1100, updated: 0 });
    expect(final.size).toBe(1100);
    expect(entries.map((e) => e.sequence)).toEqual(Array.from({ length: 1100 }, (_, i) => i + 1));
    expect(new Set(entries.map((e) => e.id)).size).toBe(1100);
    expect(replay(new Map(), entries)).toEqual(final);
  }, 300_000);
});
