import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { indexTokens, tokenPrefix } from "../../layers/core/contacts/index-entries.js";
import { defaultDeps } from "../../layers/core/deps.js";
import {
  deleteCompanyContactWrites,
  getCompanyContactRecord,
  loadCompanyContactRecords,
  newCompanyContact,
  putCompanyContactItems,
  replaceCompanyContact,
} from "../../layers/core/entities/contact.js";
import { companyContactIndex } from "../../layers/core/entities/contact-index.js";
import {
  activeImportJobs,
  claimImportJob,
  getImportJobRecord,
  type ImportJobRecord,
  importLockHolder,
  queueImportJobWrites,
  releaseImportLock,
  saveImportProgress,
} from "../../layers/core/entities/import-job.js";
import {
  deleteLiveBlockedIp,
  listBlockedIpRecords,
  putBlockedIp,
  recordLoginFailure,
} from "../../layers/core/entities/login-security.js";
import {
  deletePersonalContactRecord,
  listPersonalContactRecords,
  putNewPersonalContact,
  replacePersonalContact,
} from "../../layers/core/entities/personal-contact.js";
import {
  getBookHead,
  getBookParts,
  markBookStale,
  putBookHead,
  putBookParts,
  staleBookTenants,
} from "../../layers/core/entities/phonebook.js";
import { queryPage, transactWrite } from "../../layers/core/entities/table.js";
import { ConflictError, NotFoundError } from "../../layers/core/errors.js";
import { keys } from "../../layers/core/keys.js";
import type { ContactInput } from "../../layers/core/schemas/contacts.js";

/** The entities of the contact directory, imports, phonebooks and login security, against DynamoDB Local. */
describe("entities (contacts, imports, phonebooks, login security)", () => {
  const deps = defaultDeps();
  const newTenantId = () => `entc-${randomBytes(6).toString("hex")}`;
  const now = "2026-01-01T00:00:00.000Z";
  const input = (firstName: string, number = "100"): ContactInput =>
    ({
      firstName,
      lastName: "Doe",
      company: "Acme",
      numbers: [{ type: "business", number }],
    }) as unknown as ContactInput;
  /** A promise's rejection (or its value), taken at once so it never goes unhandled. */
  const settled = (promise: Promise<unknown>) =>
    promise.then(
      (value) => value,
      (error: unknown) => error,
    );
  const partitionItems = async (PK: string) =>
    (
      await queryPage<{ SK: string }>(deps, {
        KeyConditionExpression: "PK = :pk",
        ExpressionAttributeValues: { ":pk": PK },
        ConsistentRead: true,
      })
    ).items;

  describe("company contact", () => {
    it("writes one item, replaces it at its version dropping tokens stored before, and refuses a stale version writing nothing", async () => {
      // Arrange: a contact as stored before D-imports-4, with its tokens.
      const tenantId = newTenantId();
      const created = newCompanyContact(deps, tenantId, input("Anna"), "c1", now);
      const storedBefore = { ...created.record, tokens: indexTokens(input("Anna"), "c1") };
      await putCompanyContactItems(deps, [storedBefore]);
      const contactsPartition = keys.companyContact(tenantId, "").PK;

      // Act
      const replaced = replaceCompanyContact(deps, storedBefore, input("Berta"), now, () => {
        return new ConflictError("version", "stale");
      });
      await transactWrite(deps.db, replaced.writes);
      const stale = replaceCompanyContact(deps, created.record, input("Carla"), now, () => {
        return new ConflictError("version", "stale");
      });

      // Assess
      await expect(transactWrite(deps.db, stale.writes)).rejects.toMatchObject({ status: 409, message: "stale" });
      expect(created.writes).toHaveLength(1);
      const stored = await getCompanyContactRecord(deps, tenantId, "c1");
      expect(stored).toMatchObject({ firstName: "Berta", version: 2 });
      expect(created.record).not.toHaveProperty("tokens");
      expect(stored).not.toHaveProperty("tokens");
      expect((await partitionItems(contactsPartition)).map((item) => item.SK)).toEqual(["C#c1"]);
      expect(await partitionItems(keys.contactIndexPartition(tenantId))).toEqual([]);
    });

    it("deletes the contact's one item at the version read", async () => {
      // Arrange
      const tenantId = newTenantId();
      const created = newCompanyContact(deps, tenantId, input("Dora"), "c1", now);
      await transactWrite(deps.db, created.writes);
      const stale = { ...created.record, version: 7 };

      // Act
      const refused = await settled(
        transactWrite(
          deps.db,
          deleteCompanyContactWrites(deps, tenantId, stale, () => new ConflictError("version", "stale")),
        ),
      );
      await transactWrite(
        deps.db,
        deleteCompanyContactWrites(deps, tenantId, created.record, () => new ConflictError("version", "stale")),
      );

      // Assess
      expect(refused).toMatchObject({ status: 409 });
      expect(await getCompanyContactRecord(deps, tenantId, "c1")).toBeUndefined();
      expect(await partitionItems(keys.companyContact(tenantId, "").PK)).toEqual([]);
    });

    it("loads more contacts than one batch holds, only from its own tenant, and pages the index built from them", async () => {
      // Arrange: 150 contacts batch-written (as an import does), one more in a neighbour tenant
      const [tenantId, neighbour] = [newTenantId(), newTenantId()];
      const ids = Array.from({ length: 150 }, (_, i) => `c${String(i).padStart(3, "0")}`);
      const items = ids.flatMap((id, i) => newCompanyContact(deps, tenantId, input(`N${i}`, `${i}`), id, now).items);
      for (let i = 0; i < items.length; i += 25) await putCompanyContactItems(deps, items.slice(i, i + 25));
      await transactWrite(deps.db, newCompanyContact(deps, neighbour, input("Other"), "x1", now).writes);

      // Act
      const loaded = await loadCompanyContactRecords(deps, tenantId, [...ids, "missing", "x1"], { consistent: true });
      const index = await companyContactIndex(deps, tenantId);
      const first = index.page(tokenPrefix("s", ""), undefined, 100);
      const rest = index.page(tokenPrefix("s", ""), first.tokens.at(-1), 100);
      const matchKeys = index.entries(tokenPrefix("k", ""));

      // Assess
      expect([...loaded.keys()].sort()).toEqual(ids);
      expect(first).toMatchObject({ more: true });
      expect(first.tokens).toHaveLength(100);
      expect(rest.tokens).toHaveLength(50);
      expect(new Set([...first.tokens, ...rest.tokens]).size).toBe(150);
      expect(matchKeys).toHaveLength(150);
    });
  });

  describe("personal contact", () => {
    it("lists only its owner's contacts, refuses a stale replace and a delete of a missing one", async () => {
      // Arrange: owners e1 and e10 (whose keys start alike)
      const tenantId = newTenantId();
      const record = (owner: string, id: string) => ({
        ...newCompanyContact(deps, tenantId, input(id), id, now).record,
        ...keys.personalContact(tenantId, owner, id),
        type: "personalContact" as const,
        directory: "personal" as const,
        ownerId: owner,
        tokens: undefined,
      });
      await putNewPersonalContact(deps, record("e1", "p1"));
      await putNewPersonalContact(deps, record("e10", "p2"));

      // Act
      const listed = await listPersonalContactRecords(deps, tenantId, "e1");
      const stale = replacePersonalContact(deps, { ...record("e1", "p1"), version: 3 }, 2, () => {
        return new ConflictError("version", "stale");
      });
      const missing = deletePersonalContactRecord(deps, tenantId, "e1", "p2", () => new NotFoundError("Contact"));

      // Assess
      expect(listed.map((item) => item.id)).toEqual(["p1"]);
      await expect(stale).rejects.toBeInstanceOf(ConflictError);
      await expect(missing).rejects.toBeInstanceOf(NotFoundError);
      expect(await listPersonalContactRecords(deps, tenantId, "e10")).toHaveLength(1);
    });
  });

  describe("import job", () => {
    const job = (tenantId: string, id: string): ImportJobRecord => ({
      ...keys.importJob(tenantId, id),
      type: "importJob",
      tenantId,
      id,
      format: "csv",
      mode: "valid_rows",
      status: "queued",
      total: 1,
      valid: 1,
      invalid: 0,
      done: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      errors: [],
      chunks: 1,
      nextChunk: 0,
      createdAt: now,
    });
    const taken = () => new ConflictError("import", "taken");

    it("queues one job per tenant lock, lets one worker claim it, and leaves the active list when completed", async () => {
      // Arrange
      const tenantId = newTenantId();
      await transactWrite(deps.db, queueImportJobWrites(deps, job(tenantId, "j1"), undefined, taken));

      // Act
      const second = await settled(
        transactWrite(deps.db, queueImportJobWrites(deps, job(tenantId, "j2"), undefined, taken)),
      );
      const at = Date.now();
      const claims = await Promise.all([1, 2].map(() => claimImportJob(deps, tenantId, "j1", at, at + 60_000)));
      const activeBefore = await activeImportJobs(deps, 1000);
      await saveImportProgress(
        deps,
        { ...job(tenantId, "j1"), nextChunk: 1, done: 1, created: 1 },
        { completedAt: now },
      );
      await releaseImportLock(deps, tenantId, "someone-else");
      const holderAfterWrongRelease = await importLockHolder(deps, tenantId);
      await releaseImportLock(deps, tenantId, "j1");

      // Assess
      expect(second).toMatchObject({ message: "taken" });
      expect(await getImportJobRecord(deps, tenantId, "j2")).toBeUndefined();
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(activeBefore).toContainEqual({ tenantId, id: "j1" });
      expect(await activeImportJobs(deps, 1000)).not.toContainEqual({ tenantId, id: "j1" });
      expect(await getImportJobRecord(deps, tenantId, "j1")).toMatchObject({ status: "completed", created: 1 });
      expect(holderAfterWrongRelease).toBe("j1");
      expect(await importLockHolder(deps, tenantId)).toBeUndefined();
    });

    it("lets a new job take over a lock left by a finished one, and only that one", async () => {
      // Arrange: a lock naming j1, which ended without releasing it
      const tenantId = newTenantId();
      await transactWrite(deps.db, queueImportJobWrites(deps, job(tenantId, "j1"), undefined, taken));

      // Act
      const wrongStale = await settled(
        transactWrite(deps.db, queueImportJobWrites(deps, job(tenantId, "j2"), "j0", taken)),
      );
      await transactWrite(deps.db, queueImportJobWrites(deps, job(tenantId, "j3"), "j1", taken));

      // Assess
      expect(wrongStale).toMatchObject({ message: "taken" });
      expect(await importLockHolder(deps, tenantId)).toBe("j3");
    });
  });

  describe("stored phonebook", () => {
    it("keeps the newest head, reads a file's parts in order, and marks only a stored book stale", async () => {
      // Arrange
      const [tenantId, bookless] = [newTenantId(), newTenantId()];
      const parts = [0, 1, 2].map((part) => ({ file: "a.xml", part, data: Buffer.from(`part${part}`) }));
      await putBookParts(deps, tenantId, 7, parts);

      // Act
      const first = await putBookHead(deps, tenantId, { sequence: 7, builtAt: now, files: { "a.xml": 3 } });
      const older = await putBookHead(deps, tenantId, { sequence: 6, builtAt: now, files: { "a.xml": 1 } });
      const head = await getBookHead(deps, tenantId);
      const read = head && (await getBookParts(deps, tenantId, head, "a.xml"));
      const short = head && (await getBookParts(deps, tenantId, { ...head, files: { "a.xml": 4 } }, "a.xml"));
      await markBookStale(deps, tenantId);
      await markBookStale(deps, bookless);

      // Assess
      expect([first, older]).toEqual([true, false]);
      expect(head).toMatchObject({ sequence: 7 });
      expect(read?.map((part) => Buffer.from(part).toString())).toEqual(["part0", "part1", "part2"]);
      expect(short).toBeUndefined();
      const stale = await staleBookTenants(deps, 1000);
      expect(stale).toContain(tenantId);
      expect(stale).not.toContain(bookless);
      expect(await getBookHead(deps, bookless)).toBeUndefined();
    });
  });

  describe("login security", () => {
    it("keeps every one of concurrent failures, drops those past the window, and blocks an IP once however many race", async () => {
      // Arrange
      const tenantId = newTenantId();
      const at = Date.now();
      const block = { ip: "192.0.2.7", clientKind: "web" as const, blockedAt: now, blockedUntil: now };

      // Act
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => recordLoginFailure(deps, tenantId, "web", block.ip, at + i, 60_000)),
      );
      const lists = await recordLoginFailure(deps, tenantId, "web", block.ip, at + 20, 60_000);
      const later = await recordLoginFailure(deps, tenantId, "web", block.ip, at + 60_010, 60_000);
      const blocks = await Promise.all(
        Array.from({ length: 10 }, () => putBlockedIp(deps, tenantId, { ...block, blockedUntilMs: at + 60_000 }, at)),
      );

      // Assess
      expect(lists).toHaveLength(21);
      // A minute on: the ten failures inside the window and the new one are left.
      expect(later).toHaveLength(11);
      expect(later.every((failure) => failure > at + 10)).toBe(true);
      expect(blocks.filter(Boolean)).toHaveLength(1);
    });

    it("lists only blocks still in force and lifts only a live one", async () => {
      // Arrange: one live block, one that ended (TTL deletes lag)
      const tenantId = newTenantId();
      const at = Date.now();
      const block = (ip: string, blockedUntilMs: number) => ({
        ip,
        clientKind: "linkus" as const,
        blockedAt: now,
        blockedUntil: now,
        blockedUntilMs,
      });
      await putBlockedIp(deps, tenantId, block("192.0.2.1", at + 60_000), at);
      await putBlockedIp(deps, tenantId, block("192.0.2.2", at - 1), at - 60_000);

      // Act
      const live = await listBlockedIpRecords(deps, tenantId, { liveAt: at });
      const all = await listBlockedIpRecords(deps, tenantId, { consistent: true });
      const liftEnded = await settled(
        deleteLiveBlockedIp(deps, tenantId, "192.0.2.2", at, () => new NotFoundError("Blocked IP")),
      );
      await deleteLiveBlockedIp(deps, tenantId, "192.0.2.1", at, () => new NotFoundError("Blocked IP"));

      // Assess
      expect(live.map((b) => b.ip)).toEqual(["192.0.2.1"]);
      expect(all).toHaveLength(2);
      expect(liftEnded).toBeInstanceOf(NotFoundError);
      expect(await listBlockedIpRecords(deps, tenantId, { liveAt: at })).toEqual([]);
    });
  });
});
