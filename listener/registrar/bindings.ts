import { createHash } from "node:crypto";
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Deps } from "../../layers/core/deps.js";
import { keys } from "../../layers/core/keys.js";
import { isConditionalCheckFailed, queryAll, sortKeyStartsWith } from "../../layers/core/storage/db.js";
import type { Flow } from "../transport/flow.js";

/**
 * Registrations (contact bindings) in DynamoDB, so every task routes to every phone and a
 * restarted task still knows them. TTL `expiresAt` removes expired bindings eventually;
 * readers also ignore any binding past `expiresAtMs`.
 *
 * IP phones hold numbered slots: the binding id is `p1`..`p3`, and a new contact claims the
 * first slot (up to the extension's limit) that is absent, expired, or already its own (same
 * Contact, same `+sip.instance`, or same Call-ID: a phone that rebooted onto a new port replaces
 * its own binding at once), with a conditional write. Two tasks racing for the last slot cannot both win, so the limit holds
 * across tasks without transactions or locks. Linkus clients bind under `l-<sessionId>` and
 * take no slot.
 */
export interface Binding {
  tenantId: string;
  extensionId: string;
  bindingId: string;
  kind: "phone" | "linkus";
  sessionId?: string;
  /** The Contact URI as registered. */
  contact: string;
  /** Where the REGISTER came from (NAT-friendly: requests go back there). */
  flow: Flow;
  /** The Contact's `+sip.instance` (RFC 5626 §4.1), the device's stable identity across reboots. */
  instance?: string;
  callId: string;
  cseq: number;
  expiresAtMs: number;
  userAgent?: string;
  taskId: string;
}

export type ClaimResult = { ok: true; binding: Binding } | { ok: false; reason: "limit" };

/** What the registrar needs of a binding store (DynamoDB here; a map in unit tests). */
export interface BindingStorage {
  list(tenantId: string, extensionId?: string): Promise<Binding[]>;
  claimPhone(binding: Omit<Binding, "bindingId">, limit: number, existing: Binding[]): Promise<ClaimResult>;
  putLinkus(binding: Omit<Binding, "bindingId">): Promise<Binding>;
  remove(binding: Binding): Promise<void>;
  bumpEpoch(tenantId: string): Promise<void>;
  epoch(tenantId: string): Promise<number>;
}

/**
 * A Linkus client's binding id: one per session, and per `+sip.instance` when the Contact has
 * one (RFC 5626 §4.1; the Web Client keeps its instance in the tab's sessionStorage), so two
 * tabs of one session are two bindings and a reloaded tab replaces its own.
 */
export function linkusBindingId(sessionId: string | undefined, instance: string | undefined): string {
  if (instance === undefined) return `l-${sessionId}`;
  return `l-${sessionId}-${createHash("sha256").update(instance).digest("base64url").slice(0, 12)}`;
}

/** Whether `binding` is the same device as the phone registering `candidate` (its slot may be reused). */
export function sameDevice(binding: Binding, candidate: Pick<Binding, "contact" | "instance" | "callId">): boolean {
  return (
    binding.contact === candidate.contact ||
    (candidate.instance !== undefined && binding.instance === candidate.instance) ||
    (candidate.callId !== "" && binding.callId === candidate.callId)
  );
}

export class BindingStore implements BindingStorage {
  constructor(private readonly deps: Deps) {}

  private get table() {
    return this.deps.config.tableName;
  }

  /** Live bindings of one extension (or of the whole tenant when extensionId is omitted). */
  async list(tenantId: string, extensionId?: string): Promise<Binding[]> {
    const items = await queryAll<{ binding?: Binding }>(this.deps.db, {
      TableName: this.table,
      // The whole tenant's partition, or one extension's range of it.
      ...(extensionId === undefined
        ? {
            KeyConditionExpression: "PK = :pk",
            ExpressionAttributeValues: { ":pk": keys.registrationPartition(tenantId) },
          }
        : sortKeyStartsWith(keys.registrationPartition(tenantId), keys.registrationPrefix(extensionId))),
      ConsistentRead: true,
    });
    const now = Date.now();
    return items.flatMap(({ binding }) => (binding && binding.expiresAtMs > now ? [binding] : []));
  }

  /**
   * Adds or refreshes a phone contact. `existing` are the extension's current bindings (from
   * `list`); the contact keeps its slot when it has one, else takes the first free slot.
   */
  async claimPhone(binding: Omit<Binding, "bindingId">, limit: number, existing: Binding[]): Promise<ClaimResult> {
    const own = existing.find((b) => b.kind === "phone" && sameDevice(b, binding));
    const order = own ? [own.bindingId] : [];
    for (let slot = 1; slot <= limit; slot++) if (!order.includes(`p${slot}`)) order.push(`p${slot}`);
    const now = Date.now();
    for (const bindingId of order) {
      const slot = Number(bindingId.slice(1));
      if (slot > limit) continue;
      const item: Binding = { ...binding, bindingId };
      try {
        await this.deps.db.send(
          new PutCommand({
            TableName: this.table,
            Item: this.itemOf(item),
            // The slot's holder may have changed since `existing` was read: the device check is
            // repeated against the stored item, so two devices racing for one slot cannot both win.
            ConditionExpression:
              "attribute_not_exists(PK) OR expiresAtMs < :now OR contact = :contact OR callId = :callId" +
              (binding.instance === undefined ? "" : " OR instance = :instance"),
            ExpressionAttributeValues: {
              ":now": now,
              ":contact": binding.contact,
              ":callId": binding.callId === "" ? "\u0000" : binding.callId,
              ...(binding.instance === undefined ? {} : { ":instance": binding.instance }),
            },
          }),
        );
        return { ok: true, binding: item };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
    return { ok: false, reason: "limit" };
  }

  /**
   * Rewrites a phone binding in the slot it holds (a refresh written behind): undefined when the
   * slot went to another device meanwhile (then the phone claims again at its next REGISTER).
   */
  async rewritePhone(binding: Binding): Promise<Binding | undefined> {
    try {
      await this.deps.db.send(
        new PutCommand({
          TableName: this.table,
          Item: this.itemOf(binding),
          ConditionExpression: "contact = :contact OR attribute_not_exists(PK)",
          ExpressionAttributeValues: { ":contact": binding.contact },
        }),
      );
      return binding;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  async putLinkus(binding: Omit<Binding, "bindingId">): Promise<Binding> {
    const item: Binding = { ...binding, bindingId: linkusBindingId(binding.sessionId, binding.instance) };
    await this.deps.db.send(new PutCommand({ TableName: this.table, Item: this.itemOf(item) }));
    return item;
  }

  /** Removes a binding unless another contact took its slot meanwhile. */
  async remove(binding: Binding): Promise<void> {
    await this.deps.db
      .send(
        new DeleteCommand({
          TableName: this.table,
          Key: keys.registration(binding.tenantId, binding.extensionId, binding.bindingId),
          ConditionExpression: "contact = :contact",
          ExpressionAttributeValues: { ":contact": binding.contact },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionalCheckFailed(error)) throw error;
      });
  }

  /** Marks a change of some extension's registered state, for every task's presence. */
  async bumpEpoch(tenantId: string): Promise<void> {
    await this.deps.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.registrationEpoch(tenantId),
        UpdateExpression: "ADD epoch :one SET #type = :type",
        ExpressionAttributeNames: { "#type": "type" },
        ExpressionAttributeValues: { ":one": 1, ":type": "registrationEpoch" },
      }),
    );
  }

  /** The tenant's registration epoch (0 before the first change). */
  async epoch(tenantId: string): Promise<number> {
    const result = await this.deps.db.send(
      new GetCommand({ TableName: this.table, Key: keys.registrationEpoch(tenantId), ConsistentRead: true }),
    );
    return (result.Item?.epoch as number | undefined) ?? 0;
  }

  private itemOf(binding: Binding) {
    return {
      ...keys.registration(binding.tenantId, binding.extensionId, binding.bindingId),
      type: "registration",
      contact: binding.contact,
      callId: binding.callId,
      ...(binding.instance === undefined ? {} : { instance: binding.instance }),
      expiresAtMs: binding.expiresAtMs,
      expiresAt: Math.ceil(binding.expiresAtMs / 1000),
      binding,
    };
  }
}
