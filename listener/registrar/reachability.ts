import { logger } from "../../layers/core/logger.js";
import type { Directory, ExtensionInfo } from "../directory.js";
import type { ListenerEvents } from "../events.js";
import { parseUri } from "../sip/uri.js";
import type { Flow } from "../transport/flow.js";
import type { SipTransport } from "../transport/sip-transport.js";
import type { Binding, BindingStorage } from "./bindings.js";

export interface ReachabilityOptions {
  /** This task's binding cache (removals go through it, so it forgets them too). */
  bindings: BindingStorage;
  /** Every task's bindings (DynamoDB): a call reaches phones registered elsewhere too. */
  sharedBindings: BindingStorage;
  directory: Directory;
  events: ListenerEvents;
  transport: () => SipTransport | undefined;
}

/** Which bindings a request may go to, how to reach one whose connection is gone, and telling presence. */
export class Reachability {
  constructor(private readonly options: ReachabilityOptions) {}

  /** Bindings a call may use: phones within the current limit, Linkus clients whose session is live. */
  async routable(tenantId: string, extension: ExtensionInfo): Promise<Binding[]> {
    const all = await this.options.sharedBindings.list(tenantId, extension.id);
    const out: Binding[] = [];
    let removed = 0;
    for (const binding of all) {
      if (binding.kind === "phone") {
        if (Number(binding.bindingId.slice(1)) <= extension.concurrentRegistrations) out.push(binding);
      } else if (binding.sessionId && (await this.options.directory.liveSession(tenantId, binding.sessionId))) {
        out.push(binding);
      } else {
        await this.options.bindings.remove(binding);
        removed++;
      }
    }
    if (removed > 0) await this.changed(tenantId, extension.id);
    return out;
  }

  /** A new connection to a TCP binding's Contact (RFC 3261 §18.1.1), its registered one being gone. */
  async connect(binding: Binding): Promise<Flow | undefined> {
    const transport = this.options.transport();
    if (binding.flow.transport !== "tcp" || !transport) return undefined;
    try {
      const contact = parseUri(binding.contact);
      return await transport.connect({
        transport: "tcp",
        address: contact.host.replace(/^\[|\]$/g, ""),
        port: contact.port ?? 5060,
      });
    } catch {
      return undefined;
    }
  }

  /**
   * An extension's bindings changed in a way presence may show: bump the tenant's registration
   * epoch, which every task's presence watches, and refresh this task's at once. A failed bump is
   * logged, not answered with an error: the binding is stored, and presence re-lists within a
   * minute anyway.
   */
  async changed(tenantId: string, extensionId: string): Promise<void> {
    try {
      await this.options.bindings.bumpEpoch(tenantId);
    } catch (error) {
      logger.error("Registration epoch not bumped", { error: error as Error, tenantId });
    }
    this.options.events.emit("presence", { tenantId, extensionId });
  }
}
