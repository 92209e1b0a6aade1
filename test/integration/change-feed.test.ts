import { randomBytes } from "node:crypto";
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { defaultDeps } from "../../layers/core/deps.js";
import { keys } from "../../layers/core/keys.js";
import { appendChanges, type Change, readChanges } from "../../layers/core/services/change-feed.js";

/** The feed reader itself, against DynamoDB Local: what the REST feed and the 8111 hub rely on. */
describe("change feed reads", () => {
  const deps = defaultDeps();
  const newTenantId = () => `feed-${randomBytes(6).toString("hex")}`;
  const change = (id: string): Change => ({ action: "updated", entity: "companyContact", id });

  /**
   * The same client, but `before` runs ahead of the first GetItem it is asked to send, once any
   * Query already sent has been answered: a commit landing between a reader's two reads.
   */
  function interceptFirstGet(db: DynamoDBDocumentClient, before: () => Promise<unknown>): DynamoDBDocumentClient {
    let pending = true;
    const queries: Promise<unknown>[] = [];
    return new Proxy(db, {
      get(target, property, receiver) {
        if (property !== "send") return Reflect.get(target, property, receiver);
        return async (command: unknown) => {
          if (command instanceof QueryCommand) {
            const answer = target.send(command);
            queries.push(answer);
            return answer;
          }
          if (pending && command instanceof GetCommand) {
            pending = false;
            await Promise.allSettled(queries);
            await before();
          }
          return target.send(command as never);
        };
      },
    });
  }

  it("does not take a change committed during the read for expired entries (no false resync)", async () => {
    // Arrange: a reader at sequence 1; a writer commits sequence 2 just as the reader starts.
    const tenantId = newTenantId();
    await appendChanges(deps, tenantId, "contacts", [change("a")], []);
    const reader = {
      ...deps,
      db: interceptFirstGet(deps.db, () => appendChanges(deps, tenantId, "contacts", [change("b")], [])),
    };

    // Act
    const page = await readChanges(reader, tenantId, "contacts", 1, 100);

    // Assess
    expect(page.resyncRequired).toBe(false);
    expect(page.changes.map((c) => [c.sequence, c.id])).toEqual([[2, "b"]]);
    expect(page.latest).toBe(2);
  });

  it("asks for a resync when the entries after the cursor have expired, and not when they are kept", async () => {
    // Arrange: three changes, then the first two gone as the table's TTL would remove them.
    const tenantId = newTenantId();
    for (const id of ["a", "b", "c"]) await appendChanges(deps, tenantId, "contacts", [change(id)], []);
    for (const sequence of [1, 2]) {
      await deps.db.send(
        new DeleteCommand({
          TableName: deps.config.tableName,
          Key: keys.feedEntry(tenantId, "contacts", sequence),
        }),
      );
    }

    // Act
    const fromStart = await readChanges(deps, tenantId, "contacts", 0, 100);
    const fromTwo = await readChanges(deps, tenantId, "contacts", 2, 100);

    // Assess
    expect(fromStart).toMatchObject({ resyncRequired: true, latest: 3 });
    expect(fromTwo).toMatchObject({ resyncRequired: false, latest: 3 });
    expect(fromTwo.changes.map((c) => c.id)).toEqual(["c"]);
  });

  it("stores a batch of changes as one item and reads it from any sequence inside it, page by page", async () => {
    // Arrange: one change, then a batch of 250 (as an import's announcement), then one more.
    const tenantId = newTenantId();
    await appendChanges(deps, tenantId, "contacts", [change("first")], []);
    const batch = Array.from({ length: 250 }, (_, i) => change(`b${i}`));
    await appendChanges(deps, tenantId, "contacts", batch, []);
    await appendChanges(deps, tenantId, "contacts", [change("last")], []);
    const stored = await deps.db.send(
      new QueryCommand({
        TableName: deps.config.tableName,
        KeyConditionExpression: "PK = :pk AND begins_with(SK, :feed)",
        ExpressionAttributeValues: { ":pk": keys.feedCounter(tenantId, "contacts").PK, ":feed": "FEED#contacts#" },
      }),
    );

    // Act: from inside the batch, in pages of 100; and from the start.
    const pages: number[][] = [];
    for (let since = 100; since < 252; ) {
      const page = await readChanges(deps, tenantId, "contacts", since, 100);
      pages.push(page.changes.map((c) => c.sequence));
      since = page.changes.at(-1)?.sequence ?? 252;
    }
    const all = await readChanges(deps, tenantId, "contacts", 0, 1000);
    const across = await readChanges(deps, tenantId, "contacts", 0, 200);

    // Assess
    expect(stored.Items?.map((item) => item.SK)).toEqual([
      keys.feedEntry(tenantId, "contacts", 1).SK,
      keys.feedEntry(tenantId, "contacts", 251).SK,
      keys.feedEntry(tenantId, "contacts", 252).SK,
    ]);
    expect(pages.map((page) => [page[0], page.at(-1), page.length])).toEqual([
      [101, 200, 100],
      [201, 252, 52],
    ]);
    expect(all.changes.map((c) => c.id)).toEqual(["first", ...batch.map((c) => c.id), "last"]);
    expect(all.changes.map((c) => c.sequence)).toEqual(Array.from({ length: 252 }, (_, i) => i + 1));
    expect(all.resyncRequired).toBe(false);
    // A page is full whenever the feed holds that much, wherever its batches end.
    expect(across.changes.map((c) => c.sequence)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it("refuses a batch whose changes would not fit one item, writing nothing", async () => {
    const tenantId = newTenantId();
    const large = Array.from({ length: 40 }, (_, i) => ({ ...change(`l${i}`), data: { remark: "x".repeat(10_000) } }));
    await expect(appendChanges(deps, tenantId, "contacts", large, [])).rejects.toMatchObject({ name: "BatchTooLarge" });
    expect((await readChanges(deps, tenantId, "contacts", 0, 10)).latest).toBe(0);
  });
});
