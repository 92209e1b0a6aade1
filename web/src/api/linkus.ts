/**
 * The Linkus channel (docs/linkus-8111-protocol.md) from the browser: contact and permission
 * changes invalidate the cached queries, presence feeds the colleagues' states. After a drop
 * it reconnects with its cursors, so the server replays what was missed.
 */
import type { QueryClient } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";
import { call } from "./client";
import { freshToken, refreshNow, updatePrincipal } from "./session";

export type ChannelState = "connecting" | "live" | "offline";
export type PresenceState = "registered" | "unregistered" | "on_call";

export interface Colleague {
  extensionId: string;
  number: string;
  name: string;
  state: PresenceState;
}

export interface CallEvent {
  callId: string;
  state: "ringing" | "answered" | "ended";
  direction: "inbound" | "outbound";
  peer: { number: string; name?: string };
  result?: string;
  durationSeconds?: number;
}

interface Store {
  state: ChannelState;
  presence: Record<string, PresenceState>;
  colleagues: Record<string, Colleague>;
  /** The user's own call in progress or just ended. */
  call?: CallEvent;
}

let store: Store = { state: "offline", presence: {}, colleagues: {} };
const listeners = new Set<() => void>();
function set(next: Partial<Store>) {
  store = { ...store, ...next };
  for (const listener of listeners) listener();
}

export function useChannel(): Store {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => store,
  );
}

interface Frame {
  type: string;
  topic?: string;
  sequence?: number;
  changes?: Array<{ sequence: number }>;
  latest?: Record<string, number> | number;
  extensions?: Array<{ extensionId: string; number?: string; name?: string; state: PresenceState }>;
  snapshot?: boolean;
}

/** Opens the channel for the signed-in user; the returned function closes it for good. */
export function connectLinkus(queries: QueryClient): () => void {
  const cursors: Record<string, number> = {};
  let socket: WebSocket | undefined;
  let stopped = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const changed = (topic: string) => {
    if (topic === "contacts") void queries.invalidateQueries({ queryKey: ["contacts"] });
    if (topic === "permissions") {
      void call("me.permissions").then((permissions) => {
        void call("me.get").then(updatePrincipal);
        queries.setQueryData(["me.permissions"], permissions);
      });
    }
  };

  const onFrame = (frame: Frame) => {
    if (frame.type === "hello" && typeof frame.latest === "object") {
      attempt = 0;
      set({ state: "live" });
      for (const [topic, latest] of Object.entries(frame.latest)) cursors[topic] ??= latest;
    } else if (frame.type === "change" && frame.topic && frame.sequence !== undefined) {
      cursors[frame.topic] = frame.sequence;
      changed(frame.topic);
    } else if (frame.type === "changes" && frame.topic && frame.changes?.length) {
      cursors[frame.topic] = frame.changes[frame.changes.length - 1]?.sequence ?? cursors[frame.topic] ?? 0;
      changed(frame.topic);
    } else if (frame.type === "resync" && frame.topic && typeof frame.latest === "number") {
      cursors[frame.topic] = frame.latest;
      changed(frame.topic);
    } else if (frame.type === "presence" && frame.extensions) {
      const presence = frame.snapshot ? {} : { ...store.presence };
      const colleagues = frame.snapshot ? {} : { ...store.colleagues };
      for (const entry of frame.extensions) {
        presence[entry.extensionId] = entry.state;
        const known = colleagues[entry.extensionId];
        colleagues[entry.extensionId] = {
          extensionId: entry.extensionId,
          number: entry.number ?? known?.number ?? "",
          name: entry.name ?? known?.name ?? "",
          state: entry.state,
        };
      }
      set({ presence, colleagues });
    } else if (frame.type === "call") {
      set({ call: frame as unknown as CallEvent });
    }
  };

  const open = async () => {
    set({ state: "connecting" });
    const [config, token] = await Promise.all([call("meta.clientConfig"), freshToken()]).catch(() => [
      undefined,
      undefined,
    ]);
    if (stopped) return;
    if (!config || !token) return retry();
    const url = new URL(config.linkusUrl);
    url.searchParams.set("token", token);
    for (const [topic, cursor] of Object.entries(cursors)) url.searchParams.set(topic, String(cursor));
    socket = new WebSocket(url);
    socket.onmessage = (message) => {
      try {
        onFrame(JSON.parse(String(message.data)) as Frame);
      } catch {
        // A frame this client does not understand is skipped, not fatal.
      }
    };
    socket.onclose = (event) => {
      socket = undefined;
      if (stopped) return;
      set({ state: "offline" });
      // 4001: the token was refused (expired or revoked): refresh before trying again.
      if (event.code === 4001) void refreshNow().then((ok) => (ok ? retry() : undefined));
      else retry();
    };
  };

  const retry = () => {
    if (stopped) return;
    set({ state: "offline" });
    const delay = Math.min(30_000, 500 * 2 ** attempt++);
    timer = setTimeout(() => void open(), delay);
  };

  void open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    socket?.close(1000);
    set({ state: "offline", presence: {}, colleagues: {}, call: undefined });
  };
}
