import { randomBytes } from "node:crypto";
import { DeleteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { indexTokens, tokenPrefix } from "../../layers/core/contacts/index-entries.js";
import { defaultDeps } from "../../layers/core/deps.js";
import { newCompanyContact, putCompanyContactItems } from "../../layers/core/entities/contact.js";
import { companyContactIndex, forgetContactIndexes } from "../../layers/core/entities/contact-index.js";
import { keys } from "../../layers/core/keys.js";
import type { ContactInput } from "../../layers/core/schemas/contacts.js";
import { readChanges } from "../../layers/core/services/change-feed.js";
import {
  createCompanyContact,
  deleteCompanyContact,
  searchCompanyContacts,
  updateCompanyContact,
} from "../../layers/core/services/contacts.js";

/**
 * The company directory's index in memory (entities/contact-index.ts), against DynamoDB Local:
 * built from the contact items, then kept current from the contacts feed alone.
 */
describe("company contact index in memory", () => {
  const deps = defaultDeps();
  const newTenantId = () => `cix-${randomBytes(6).toString("hex")}`;
  const input = (firstName: string, lastName = "Doe", number = "100"): ContactInput =>
    ({
      firstName,
      lastName,
      company: "Acme",
      numbers: [{ type: "business", number }],
    }) as unknown as ContactInput;
  /** Records the commands a client sends: their names, and the ranges its Queries asked for. */
  function counting(db: DynamoDBDocumentClient) {
    const sent: string[] = [];
    const rangeEnds = new Set<string>();
    const client = new Proxy(db, {
      get(target, property, receiver) {
        if (property !== "send") return Reflect.get(target, property, receiver);
        return (command: {
          constructor: { name: string };
          input?: { ExpressionAttributeValues?: { ":to"?: string } };
        }) => {
          sent.push(command.constructor.name);
          const to = command.input?.ExpressionAttributeValues?.[":to"];
          if (to) rangeEnds.add(to);
          return target.send(command as never);
        };
      },
    });
    return { client, sent, rangeEnds };
  }
  const names = async (tenantId: string, q: string) =>
    (await searchCompanyContacts(deps, tenantId, { q, limit: 50 })).items.map((c) => c.firstName).sort();

  it("follows creates, updates and deletes through the feed, reading only the counter and the tail", async () => {
    // Arrange: an index built for the tenant.
    const tenantId = newTenantId();
    const anna = await createCompanyContact(deps, tenantId, input("Anna"));
    await companyContactIndex(deps, tenantId);
    const { client, sent } = counting(deps.db);
    const watched = { ...deps, db: client };

    // Act: changes through the service, then one read of the index.
    const berta = await createCompanyContact(deps, tenantId, input("Berta"));
    await updateCompanyContact(deps, tenantId, anna.id, input("Annette"), anna.version);
    await deleteCompanyContact(deps, tenantId, berta.id);
    await createCompanyContact(deps, tenantId, input("Carla", "Roe", "200"));
    const index = await companyContactIndex(watched, tenantId);

    // Assess: the counter and one page of the feed, never the contact items.
    expect(sent).toEqual(["GetCommand", "QueryCommand"]);
    expect(index.sequence).toBe((await readChanges(deps, tenantId, "contacts", 0, 10)).latest);
    expect(index.tokensOf(anna.id)).toEqual(indexTokens(input("Annette"), anna.id));
    expect(index.tokensOf(berta.id)).toBeUndefined();
    expect(index.entries(tokenPrefix("n", "ann")).some((token) => token.startsWith("n#anna\u0001"))).toBe(false);
    expect(await names(tenantId, "ann")).toEqual(["Annette"]);
    expect(await names(tenantId, "roe")).toEqual(["Carla"]);
    expect(await names(tenantId, "be")).toEqual([]);
  });

  it("sees only what the feed announced: a contact item written beside it appears when the index is read afresh", async () => {
    // Arrange: a warm index, then an item written straight to the table (as an import's step 2
    // does before its announcement).
    const tenantId = newTenantId();
    await createCompanyContact(deps, tenantId, input("Dora"));
    await companyContactIndex(deps, tenantId);
    const unannounced = newCompanyContact(deps, tenantId, input("Erik"), deps.newId(), new Date().toISOString());
    await putCompanyContactItems(deps, unannounced.items);

    // Act
    const warm = await names(tenantId, "erik");
    forgetContactIndexes();
    const cold = await names(tenantId, "erik");

    // Assess
    expect(warm).toEqual([]);
    expect(cold).toEqual(["Erik"]);
  });

  it("reads the contacts afresh when the feed entries it needs have expired", async () => {
    // Arrange: a warm index at sequence 1, then two changes whose feed items the TTL removed.
    const tenantId = newTenantId();
    const first = await createCompanyContact(deps, tenantId, input("Fay"));
    await companyContactIndex(deps, tenantId);
    await updateCompanyContact(deps, tenantId, first.id, input("Gwen"), first.version);
    await createCompanyContact(deps, tenantId, input("Hana"));
    for (const sequence of [2, 3]) {
      await deps.db.send(
        new DeleteCommand({ TableName: deps.config.tableName, Key: keys.feedEntry(tenantId, "contacts", sequence) }),
      );
    }

    // Act
    const index = await companyContactIndex(deps, tenantId);

    // Assess: the items' state, at the counter.
    expect(index.sequence).toBe(3);
    expect(index.byContact.size).toBe(2);
    expect(await names(tenantId, "")).toEqual(["Gwen", "Hana"]);
  });

  it("gives concurrent readers one refresh, and keeps each tenant's index to its own contacts", async () => {
    // Arrange
    const [tenantId, neighbour] = [newTenantId(), newTenantId()];
    await createCompanyContact(deps, tenantId, input("Ida"));
    await createCompanyContact(deps, neighbour, input("Ida", "Other"));
    forgetContactIndexes();
    const { client, sent } = counting(deps.db);

    // Act
    const [a, b] = await Promise.all([
      companyContactIndex({ ...deps, db: client }, tenantId),
      companyContactIndex({ ...deps, db: client }, tenantId),
    ]);

    // Assess: one counter read, the partition's lowest and highest id, its one range, one counter read after.
    expect(a).toBe(b);
    expect(sent).toEqual(["GetCommand", "QueryCommand", "QueryCommand", "QueryCommand", "GetCommand"]);
    expect([...a.byContact.values()].flat().every((token) => !token.includes("other"))).toBe(true);
    expect((await searchCompanyContacts(deps, neighbour, { q: "ida", limit: 10 })).items).toHaveLength(1);
  });

  it("loads a directory of many pages in parallel key ranges, each contact once with exactly its tokens", async () => {
    // Arrange: 2,600 contacts batch-written (as an import writes them), ids as the service makes them.
    const tenantId = newTenantId();
    const now = new Date().toISOString();
    // Two outliers put every other contact in the first of the eight even parts: the readers of
    // the empty parts must take over halves of it.
    const ids = [
      "00000000000000000000000001",
      ...Array.from({ length: 2_598 }, () => deps.newId()),
      "7ZZZZZZZZZZZZZZZZZZZZZZZZY",
    ];
    const created = ids.map((id, i) =>
      newCompanyContact(deps, tenantId, input(`P${i}`, `L${i % 7}`, `${1000 + i}`), id, now),
    );
    const items = created.flatMap((c) => c.items);
    await Promise.all(
      Array.from({ length: Math.ceil(items.length / 25) }, (_, i) =>
        putCompanyContactItems(deps, items.slice(i * 25, i * 25 + 25)),
      ),
    );
    forgetContactIndexes();
    const { client, sent, rangeEnds } = counting(deps.db);

    // Act
    const index = await companyContactIndex({ ...deps, db: client }, tenantId);

    // Assess: every contact with its own tokens, nothing else, and more than one range read.
    expect(index.byContact.size).toBe(2_600);
    const expected = created.map(({ record }) => indexTokens(record, record.id));
    for (const [i, { record }] of created.entries()) expect(index.tokensOf(record.id)).toEqual(expected[i]);
    expect(index.tokens.size).toBe(new Set(expected.flat()).size);
    expect(sent.filter((name) => name === "QueryCommand").length).toBeGreaterThan(2 + 3);
    // Eight parts end at eight bounds; every half taken over adds one.
    expect(rangeEnds.size).toBeGreaterThan(8);
    expect(index.page(tokenPrefix("s", ""), undefined, 5).tokens).toHaveLength(5);
  });

  it("gives a call made after a running refresh read the counter a refresh of its own, which sees what it committed", async () => {
    // Arrange: a warm index, one change behind; refresh A reads the counter, then waits on its
    // catch-up while a second change commits and call B starts.
    const tenantId = newTenantId();
    await createCompanyContact(deps, tenantId, input("Jana"));
    await companyContactIndex(deps, tenantId);
    await createCompanyContact(deps, tenantId, input("Kira"));
    let counterRead!: () => void;
    const counterWasRead = new Promise<void>((resolve) => (counterRead = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = new Proxy(deps.db, {
      get(target, property, receiver) {
        if (property !== "send") return Reflect.get(target, property, receiver);
        return async (command: { constructor: { name: string } }) => {
          if (command.constructor.name === "QueryCommand") await released;
          const answer = await target.send(command as never);
          if (command.constructor.name === "GetCommand") counterRead();
          return answer;
        };
      },
    });

    // Act
    // The index is one object that refreshes update in place: take A's sequence as A answers.
    const a = companyContactIndex({ ...deps, db: slow }, tenantId).then((index) => index.sequence);
    await counterWasRead;
    const lena = await createCompanyContact(deps, tenantId, input("Lena"));
    const b = companyContactIndex(deps, tenantId);
    release();
    const [first, second] = await Promise.all([a, b]);

    // Assess: A stands at the counter it read; B at the one after Lena.
    expect(first).toBe(2);
    expect(second.sequence).toBe(3);
    expect(second.tokensOf(lena.id)).toBeDefined();
    expect(await names(tenantId, "")).toEqual(["Jana", "Kira", "Lena"]);
  });
});
