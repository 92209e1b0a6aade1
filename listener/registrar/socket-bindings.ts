import { logger } from "../../layers/core/logger.js";
import { type Flow, flowKey } from "../transport/flow.js";
import type { BindingStorage } from "./bindings.js";

/**
 * Bindings registered over a WebSocket (RFC 7118), remembered by the socket's flow so that they
 * go when the socket closes: a browser tab that is closed or reloaded never sends REGISTER
 * `Expires: 0`, and its binding could ring nothing for up to its expiry. Only this task holds the
 * socket, so only this task can know it closed; another task's bindings are never touched.
 */
export class SocketBindings {
  private readonly byFlow = new Map<string, Map<string, { tenantId: string; extensionId: string }>>();

  constructor(
    private readonly bindings: BindingStorage,
    private readonly onChange: (tenantId: string, extensionId: string) => Promise<void>,
  ) {}

  get size(): number {
    return this.byFlow.size;
  }

  registered(flow: Flow, tenantId: string, extensionId: string): void {
    const key = flowKey(flow);
    const extensions = this.byFlow.get(key) ?? new Map();
    this.byFlow.set(key, extensions);
    extensions.set(`${tenantId}/${extensionId}`, { tenantId, extensionId });
  }

  /** The socket closed: remove what was registered over it (a reload's new binding has another flow). */
  async closed(flow: Flow): Promise<void> {
    const key = flowKey(flow);
    const extensions = this.byFlow.get(key);
    if (!extensions) return;
    this.byFlow.delete(key);
    for (const { tenantId, extensionId } of extensions.values()) {
      try {
        const gone = (await this.bindings.list(tenantId, extensionId)).filter((b) => flowKey(b.flow) === key);
        if (gone.length === 0) continue;
        await Promise.all(gone.map((binding) => this.bindings.remove(binding)));
        await this.onChange(tenantId, extensionId);
      } catch (error) {
        // The binding then lapses at its expiry; calls to it meanwhile find no socket and fail over.
        logger.error("WebSocket bindings not removed", { error: error as Error, tenantId, extensionId });
      }
    }
  }
}
