import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { defaultDeps } from "../../layers/core/deps.js";
import { getExtensionRecord } from "../../layers/core/entities/extension.js";
import { claimOutboxRecord, getOutboxRecord, outboxItem } from "../../layers/core/entities/outbox.js";
import { getRecord, putRecord, recordPage, recordRange } from "../../layers/core/entities/record.js";
import { putSession, rotateRefreshHash, type SessionRecord } from "../../layers/core/entities/session.js";
import {
  getItem,
  getItems,
  putItem,
  queryPage,
  sendGuarded,
  transactWrite,
  writeBatches,
} from "../../layers/core/entities/table.js";
import { deleteTenantAndSlug, purgeTenantPartitions } from "../../layers/core/entities/tenant.js";
import { ConflictError, NotFoundError } from "../../layers/core/errors.js";
import { keys, partitionOf, tenantPartitions } from "../../layers/core/keys.js";
import type { StoredRecord } from "../../layers/core/schemas/communications.js";

/** The entity layer on its own, against DynamoDB Local: what every service relies on. */
describe("entities", () => {
  const deps = defaultDeps();
  const newTenantId = () => `ent-${randomBytes(6).toString("hex")}`;

  describe("sendGuarded", () => {
    it("throws the domain error its caller names when the condition fails, and writes nothing", async () => {
      // Arrange
      const key = { PK: partitionOf(newTenantId()), SK: "GUARD#one" };
      await putItem(deps, { ...key, owner: "first" });

      // Act
      const second = sendGuarded(
        deps,
        { Put: { Item: { ...key, owner: "second" }, ConditionExpression: "attribute_not_exists(PK)" } },
        () => new ConflictError("owner", "is taken"),
      );

      // Assess
      await expect(second).rejects.toBeInstanceOf(ConflictError);
      expect(await getItem<{ owner: string }>(deps, key)).toMatchObject({ owner: "first" });
    });

    it("answers written: false without an error to name, and the item after an update with ReturnValues", async () => {
      // Arrange
      const key = { PK: partitionOf(newTenantId()), SK: "COUNTER" };

      // Act
      const missing = await sendGuarded(deps, {
        Update: {
          Key: key,
          UpdateExpression: "ADD n :one",
          ConditionExpression: "attribute_exists(PK)",
          ExpressionAttributeValues: { ":one": 1 },
        },
      });
      const created = await sendGuarded<{ n: number }>(deps, {
        Update: {
          Key: key,
          UpdateExpression: "ADD n :one",
          ExpressionAttributeValues: { ":one": 1 },
          ReturnValues: "ALL_NEW",
        },
      });

      // Assess
      expect(missing).toEqual({ written: false });
      expect(created).toEqual({ written: true, attributes: { ...key, n: 1 } });
    });

    it("lets other errors through as they are", async () => {
      // Act: an update expression DynamoDB rejects
      const bad = sendGuarded(
        deps,
        { Update: { Key: { PK: "x", SK: "y" }, UpdateExpression: "SET", ExpressionAttributeValues: {} } },
        () => new NotFoundError("Thing"),
      );

      // Assess
      await expect(bad).rejects.not.toBeInstanceOf(NotFoundError);
    });
  });

  describe("transactWrite", () => {
    it("names the failing item's error, and writes none of the items", async () => {
      // Arrange
      const tenantId = newTenantId();
      const taken = { PK: partitionOf(tenantId), SK: "UNIQ#number#100" };
      await putItem(deps, { ...taken, extensionId: "someone" });
      const fresh = { PK: partitionOf(tenantId), SK: "EXT#new" };

      // Act
      const write = transactWrite(deps.db, [
        {
          item: {
            Put: { TableName: deps.config.tableName, Item: fresh, ConditionExpression: "attribute_not_exists(PK)" },
          },
        },
        {
          item: {
            Put: { TableName: deps.config.tableName, Item: taken, ConditionExpression: "attribute_not_exists(PK)" },
          },
          onConditionFailed: () => new ConflictError("number", "This extension number is already taken"),
        },
      ]);

      // Assess
      await expect(write).rejects.toMatchObject({ status: 409, message: "This extension number is already taken" });
      expect(await getItem(deps, fresh)).toBeUndefined();
    });
  });

  describe("batches", () => {
    it("writes and reads more items than one request holds", async () => {
      // Arrange
      const partition = partitionOf(newTenantId(), "jobs");
      const items = Array.from({ length: 60 }, (_, i) => ({
        PK: partition,
        SK: `ITEM#${String(i).padStart(3, "0")}`,
        i,
      }));

      // Act
      await writeBatches(
        deps,
        items.map((item) => ({ put: item })),
      );
      const read = await getItems<{ i: number }>(
        deps,
        items.slice(0, 100).map(({ PK, SK }) => ({ PK, SK })),
      );

      // Assess
      expect(read.map((item) => item.i).sort((a, b) => a - b)).toEqual(items.map((item) => item.i));
    });
  });

  describe("tenant partitions", () => {
    it("list every partition a key builder writes to", () => {
      // Arrange: one key of every tenant-owned builder
      const t = "tenant-x";
      const built = [
        keys.tenant(t),
        keys.extension(t, "e"),
        keys.unique(t, "email", "a@b.c"),
        keys.organization(t, "o"),
        keys.session(t, "s"),
        keys.event(t, "v"),
        keys.outbox(t, "m"),
        keys.role(t, "r"),
        keys.rule(t, "linkus", "u"),
        keys.feedEntry(t, "contacts", 1),
        keys.record(t, "e", "call", "c"),
        keys.companyContact(t, "c"),
        { PK: keys.contactIndexPartition(t) },
        keys.personalContact(t, "e", "c"),
        keys.importJob(t, "j"),
        keys.registration(t, "e", "b"),
        keys.directoryVersion(t),
      ];

      // Assess
      const partitions = new Set(tenantPartitions(t));
      for (const key of built) expect(partitions, key.PK).toContain(key.PK);
      expect(new Set(built.map((key) => key.PK))).toEqual(partitions);
    });

    it("are all purged by a tenant delete, and another tenant's items stay", async () => {
      // Arrange: an item in every partition of one tenant, and one of a neighbour
      const tenantId = newTenantId();
      const neighbour = newTenantId();
      for (const partition of tenantPartitions(tenantId)) await putItem(deps, { PK: partition, SK: "SOMETHING" });
      await putItem(deps, { ...keys.tenant(tenantId), slug: tenantId });
      await putItem(deps, { ...keys.slug(tenantId), tenantId });
      await putItem(deps, { PK: partitionOf(neighbour, "registrations"), SK: "SOMETHING" });

      // Act
      await purgeTenantPartitions(deps, tenantId);
      await deleteTenantAndSlug(deps, tenantId, tenantId);

      // Assess
      for (const partition of tenantPartitions(tenantId)) {
        const left = await queryPage(deps, {
          KeyConditionExpression: "PK = :pk",
          ExpressionAttributeValues: { ":pk": partition },
        });
        expect(left.items, partition).toEqual([]);
      }
      expect(await getItem(deps, keys.slug(tenantId))).toBeUndefined();
      expect(await getItem(deps, { PK: partitionOf(neighbour, "registrations"), SK: "SOMETHING" })).toBeDefined();
    });
  });

  describe("isolation", () => {
    it("reads an extension only through its own tenant", async () => {
      // Arrange
      const [a, b] = [newTenantId(), newTenantId()];
      await putItem(deps, { ...keys.extension(a, "e1"), type: "extension", id: "e1", tenantId: a });

      // Act / Assess
      expect(await getExtensionRecord(deps, a, "e1")).toMatchObject({ id: "e1", tenantId: a });
      expect(await getExtensionRecord(deps, b, "e1")).toBeUndefined();
    });

    it("keeps one extension's records out of another's key range", async () => {
      // Arrange
      const tenantId = newTenantId();
      const call = (id: string): StoredRecord =>
        ({
          kind: "call",
          id,
          name: "N",
          number: "1",
          direction: "inbound",
          status: "answered",
          startedAt: "2026-01-01T00:00:00Z",
          durationSeconds: 1,
        }) as StoredRecord;
      await putRecord(deps, tenantId, "e1", call("c1"), { searchName: "n", searchDigits: "1" });
      await putRecord(deps, tenantId, "e10", call("c2"), { searchName: "n", searchDigits: "1" });

      // Act: e1's range must not take in e10's records, whose key starts with "e1"
      const page = await recordPage(deps, recordRange(tenantId, "e1", "call"), { values: {} }, 10, undefined);

      // Assess
      expect(page.items.map((item) => item.id)).toEqual(["c1"]);
      expect(await getRecord(deps, tenantId, "e1", "call", "c2")).toBeUndefined();
      expect(page.items[0]).not.toHaveProperty("searchName");
    });
  });

  describe("races", () => {
    it("lets only one of two refreshes with the same token rotate the session", async () => {
      // Arrange
      const tenantId = newTenantId();
      const session: SessionRecord = {
        ...keys.session(tenantId, "s1"),
        type: "session",
        id: "s1",
        tenantId,
        extensionId: "e1",
        client: "web",
        createdAt: "2026-01-01T00:00:00Z",
        refreshHash: "old",
        refreshExpiresAtMs: Date.now() + 60_000,
        credentialVersion: 1,
        expiresAt: Math.floor(Date.now() / 1000) + 60,
      };
      await putSession(deps, session);

      // Act
      const results = await Promise.all(
        ["new-a", "new-b"].map((refreshHash) =>
          rotateRefreshHash(deps, session, { refreshHash, refreshExpiresAtMs: Date.now() + 60_000 }, "now"),
        ),
      );

      // Assess
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("lets only one notifier claim an outbox message", async () => {
      // Arrange
      const tenantId = newTenantId();
      const item = outboxItem(deps, tenantId, {
        kind: "welcome",
        extensionId: "e1",
        to: "a@example.com",
        subject: "Hi",
      });
      await putItem(deps, item);
      const message = await getOutboxRecord(deps, item);
      if (!message) throw new Error("outbox item not written");
      const now = new Date();

      // Act
      const claims = await Promise.all(
        [1, 2].map(() => claimOutboxRecord(deps, message, now, new Date(now.getTime() + 60_000))),
      );

      // Assess
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await getOutboxRecord(deps, item)).toMatchObject({ attempts: 1 });
    });
  });
});
