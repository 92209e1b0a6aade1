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
});
