import { logger } from "../../layers/core/logger.js";
import type { Answer, Identity } from "../auth/authenticator.js";
import type { TenantInfo } from "../directory.js";
import { parseCSeq, parseExpires } from "../sip/headers.js";
import type { SipRequest } from "../sip/message.js";
import { parseNameAddr } from "../sip/name-addr.js";
import { parseUri } from "../sip/uri.js";
import { userOf } from "../sip/view.js";
import type { Flow } from "../transport/flow.js";
import type { Binding, BindingStorage } from "./bindings.js";

export const LIMIT_REASON = "Concurrent registration limit reached";
/** A binding this close to expiry may already look lapsed to another task listing right now. */
const LAPSE_MARGIN_MS = 5_000;

export interface RegistrarOptions {
  bindings: BindingStorage;
  taskId: string;
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  now: () => number;
  /** An extension's registered state changed in a way presence may show. */
  onChange: (tenantId: string, extensionId: string) => Promise<void>;
}

interface WantedContact {
  uri: string;
  seconds: number;
  instance: string | undefined;
}

/**
 * REGISTER handling (RFC 3261 §10.3) for an authenticated identity: which addresses it may bind,
 * Expires rules, `Contact: *`, and the concurrent-registration limit (the binding store's slots).
 * Returns the answer; sending it is the caller's business.
 */
export class Registrar {
  constructor(private readonly options: RegistrarOptions) {}

  async register(request: SipRequest, flow: Flow, tenant: TenantInfo, identity: Identity): Promise<Answer> {
    const { extension } = identity;
    const toUser = userOf(request.headers.get("To"));
    const allowed = [extension.registrationName, extension.number];
    if (identity.kind === "linkus") allowed.push(`linkus*${identity.sessionId}`);
    if (toUser === undefined || !allowed.includes(toUser)) {
      return { status: 403, reason: "Not allowed to register this address" };
    }
    const { bindings } = this.options;
    const contacts = request.headers.getAll("Contact");
    const headerExpires = request.headers.get("Expires");
    const existing = await bindings.list(tenant.id, extension.id);
    const mine = (b: Binding) =>
      identity.kind === "linkus" ? b.kind === "linkus" && b.sessionId === identity.sessionId : b.kind === "phone";

    if (contacts.length === 1 && contacts[0]?.trim() === "*") {
      if (headerExpires === undefined || headerExpires.trim() !== "0") {
        return { status: 400, reason: "Contact * requires Expires: 0" };
      }
      await Promise.all(existing.filter(mine).map((b) => bindings.remove(b)));
      if (existing.some(mine)) await this.options.onChange(tenant.id, extension.id);
      return this.ok(await bindings.list(tenant.id, extension.id));
    }

    const wanted = this.wantedContacts(contacts, headerExpires);
    if ("answer" in wanted) return wanted.answer;

    const callId = request.headers.get("Call-ID") ?? "";
    const cseq = parseCSeq(request.headers.get("CSeq") ?? "0 REGISTER").seq;
    const userAgent = request.headers.get("User-Agent");
    let current = existing;
    let unsure = false;
    try {
      for (const { uri, seconds, instance } of wanted.contacts) {
        if (seconds === 0) {
          const gone = current.filter((b) => mine(b) && b.contact === uri);
          await Promise.all(gone.map((b) => bindings.remove(b)));
          current = current.filter((b) => !gone.includes(b));
          continue;
        }
        const binding: Omit<Binding, "bindingId"> = {
          tenantId: tenant.id,
          extensionId: extension.id,
          kind: identity.kind,
          ...(identity.kind === "linkus" ? { sessionId: identity.sessionId } : {}),
          contact: uri,
          flow,
          ...(instance === undefined ? {} : { instance }),
          callId,
          cseq,
          expiresAtMs: this.options.now() + seconds * 1000,
          ...(userAgent ? { userAgent } : {}),
          taskId: this.options.taskId,
        };
        let stored: Binding;
        if (identity.kind === "linkus") {
          stored = await bindings.putLinkus(binding);
        } else {
          const claimed = await bindings.claimPhone(binding, extension.concurrentRegistrations, current);
          if (!claimed.ok) {
            logger.info("Registration refused: limit", { tenantId: tenant.id, extensionId: extension.id });
            return { status: 403, reason: LIMIT_REASON };
          }
          stored = claimed.binding;
        }
        current = [...current.filter((b) => b.bindingId !== stored.bindingId), stored];
      }
    } catch (error) {
      unsure = true; // a write may have landed before the failure
      throw error;
    } finally {
      // Also when the limit stopped the request part way: what was written counts.
      if (unsure || bindingsChanged(existing, current, this.options.now())) {
        await this.options.onChange(tenant.id, extension.id);
      }
    }
    // The bindings read at the start with this request's writes applied: no second read.
    return this.ok(current);
  }

  private wantedContacts(
    contacts: string[],
    headerExpires: string | undefined,
  ): { contacts: WantedContact[] } | { answer: Answer } {
    const bounds = { min: this.options.minExpires, max: this.options.maxExpires };
    const out: WantedContact[] = [];
    for (const value of contacts) {
      let address: ReturnType<typeof parseNameAddr>;
      try {
        address = parseNameAddr(value);
        parseUri(address.uri);
      } catch {
        return { answer: { status: 400, reason: "Malformed Contact header" } };
      }
      const raw = address.params.get("expires") ?? headerExpires ?? String(this.options.defaultExpires);
      const result = parseExpires(raw, bounds);
      if (!result.ok) {
        if (result.reason === "too-brief") {
          return {
            answer: { status: 423, reason: "Interval Too Brief", headers: [["Min-Expires", String(result.min)]] },
          };
        }
        return { answer: { status: 400, reason: "Invalid expires" } };
      }
      const instance = address.params.get("+sip.instance") ?? undefined;
      out.push({ uri: address.uri, seconds: result.seconds, instance: instance ?? undefined });
    }
    return { contacts: out };
  }

  /** A 200 to a REGISTER lists every live binding with its remaining seconds (§10.3 step 8). */
  private ok(bindings: Binding[]): Answer {
    const now = this.options.now();
    return {
      status: 200,
      reason: "OK",
      headers: bindings
        .filter((b) => b.expiresAtMs > now)
        .map((b) => ["Contact", `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAtMs - now) / 1000))}`]),
    };
  }
}

/**
 * Whether other tasks' presence must look again. Not for a refresh of the same bindings, which is
 * most REGISTERs; yes when a binding appeared or went (by slot: two tasks each adding or removing
 * one of an extension's bindings at once must both say so), and when every binding was about to
 * lapse, since a listing taken at its expiry may have dropped the extension just before this
 * refresh landed.
 */
export function bindingsChanged(before: Binding[], after: Binding[], now: number): boolean {
  const slots = (bindings: Binding[]) =>
    bindings
      .map((b) => b.bindingId)
      .sort()
      .join(",");
  if (slots(before) !== slots(after)) return true;
  return after.length > 0 && before.every((b) => b.expiresAtMs < now + LAPSE_MARGIN_MS);
}
