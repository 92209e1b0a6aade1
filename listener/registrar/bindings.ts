import { createHash } from "node:crypto";
import type { Deps } from "../../layers/core/deps.js";
import {
  bumpRegistrationEpoch,
  deleteRegistration,
  putRegistration,
  registrationEpoch,
  storedBindings,
} from "../../layers/core/entities/registration.js";
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

  /** Live bindings of one extension (or of the whole tenant when extensionId is omitted). */
  async list(tenantId: string, extensionId?: string): Promise<Binding[]> {
    const bindings = await storedBindings<Binding>(this.deps, tenantId, extensionId);
    const now = Date.now();
    return bindings.filter((binding) => binding.expiresAtMs > now);
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
      // The slot's holder may have changed since `existing` was read: the device check is
      // repeated against the stored item, so two devices racing for one slot cannot both win.
      const claimed = await putRegistration(this.deps, registrationOf(item), {
        expression:
          "attribute_not_exists(PK) OR expiresAtMs < :now OR contact = :contact OR callId = :callId" +
          (binding.instance === undefined ? "" : " OR instance = :instance"),
        values: {
          ":now": now,
          ":contact": binding.contact,
          ":callId": binding.callId === "" ? "\u0000" : binding.callId,
          ...(binding.instance === undefined ? {} : { ":instance": binding.instance }),
        },
      });
      if (claimed) return { ok: true, binding: item };
    }
    return { ok: false, reason: "limit" };
  }

  /**
   * Rewrites a phone binding in the slot it holds (a refresh written behind): undefined when the
   * slot went to another device meanwhile (then the phone claims again at its next REGISTER).
   */
  async rewritePhone(binding: Binding): Promise<Binding | undefined> {
    const written = await putRegistration(this.deps, registrationOf(binding), {
      expression: "contact = :contact OR attribute_not_exists(PK)",
      values: { ":contact": binding.contact },
    });
    return written ? binding : undefined;
  }

  async putLinkus(binding: Omit<Binding, "bindingId">): Promise<Binding> {
    const item: Binding = { ...binding, bindingId: linkusBindingId(binding.sessionId, binding.instance) };
    await putRegistration(this.deps, registrationOf(item));
    return item;
  }

  /** Removes a binding unless another contact took its slot meanwhile. */
  async remove(binding: Binding): Promise<void> {
    await deleteRegistration(this.deps, binding);
  }

  /** Marks a change of some extension's registered state, for every task's presence. */
  async bumpEpoch(tenantId: string): Promise<void> {
    await bumpRegistrationEpoch(this.deps, tenantId);
  }

  /** The tenant's registration epoch (0 before the first change). */
  async epoch(tenantId: string): Promise<number> {
    return registrationEpoch(this.deps, tenantId);
  }
}

/** The stored item of a binding: the binding, and the fields its write conditions test. */
function registrationOf(binding: Binding) {
  const { tenantId, extensionId, bindingId, contact, callId, instance, expiresAtMs } = binding;
  return { tenantId, extensionId, bindingId, contact, callId, instance, expiresAtMs, binding };
}
