/**
 * The signed-in session: tokens in localStorage (so a reload keeps the user signed in),
 * refreshed before they expire and on a 401, one refresh at a time because each refresh
 * token is single use (the API ends the session when an old one is replayed).
 */
import { useSyncExternalStore } from "react";
import { ApiError, type CallOutput, call, setTransport } from "./client";

export type Principal = CallOutput<"me.get">;
type Tokens = CallOutput<"auth.refresh">;

interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
  principal: Principal;
  /** SIP credentials of this session, for the softphone (web/src/features/phone). */
  sip?: SipCredentials | undefined;
}

export type SipCredentials = NonNullable<CallOutput<"auth.login">["sip"]>;

const KEY = "pbx.session";
const listeners = new Set<() => void>();
let current: StoredSession | null = read();
let refreshing: Promise<boolean> | null = null;

function read(): StoredSession | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as StoredSession) : null;
  } catch {
    return null;
  }
}

function write(next: StoredSession | null): void {
  current = next;
  if (next) localStorage.setItem(KEY, JSON.stringify(next));
  else localStorage.removeItem(KEY);
  for (const listener of listeners) listener();
}

function withTokens(principal: Principal, tokens: Tokens): StoredSession {
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: Date.now() + tokens.expiresIn * 1000,
    principal,
  };
}

/** Starts a session from a login or quick-login answer. */
export function signIn(answer: CallOutput<"auth.login">): void {
  const { accessToken, tokenType, expiresIn, refreshToken, refreshExpiresIn, sip, ...principal } = answer;
  write({ ...withTokens(principal, { accessToken, tokenType, expiresIn, refreshToken, refreshExpiresIn }), sip });
}

/** Keeps the session after a password change, which rotates the tokens. */
export function replaceTokens(tokens: Tokens): void {
  if (current) write({ ...withTokens(current.principal, tokens), sip: current.sip });
}

export function updatePrincipal(principal: Principal): void {
  if (current) write({ ...current, principal });
}

export async function signOut(): Promise<void> {
  if (current) await call("auth.logout").catch(() => undefined);
  write(null);
}

export function accessToken(): string | undefined {
  return current?.accessToken;
}

/**
 * Tabs share one session, and a refresh token works once: a tab that refreshed with a token
 * another tab had already used would end the session for all. So refreshes take a lock across
 * tabs, and a tab first adopts tokens another tab stored meanwhile.
 */
function acrossTabs<T>(task: () => Promise<T>): Promise<T> {
  return navigator.locks ? (navigator.locks.request("pbx.session.refresh", task) as Promise<T>) : task();
}

export async function refreshNow(): Promise<boolean> {
  const held = current?.refreshToken;
  refreshing ??= acrossTabs(async () => {
    const session = read();
    if (!session) {
      write(null);
      return false;
    }
    if (session.refreshToken !== held) {
      write(session); // another tab already renewed the tokens
      return true;
    }
    try {
      const tokens = await call("auth.refresh", { body: { refreshToken: session.refreshToken } });
      write({ ...withTokens(session.principal, tokens), sip: session.sip });
      return true;
    } catch (error) {
      // Only a refusal ends the session; a network failure leaves it for the next try.
      if (error instanceof ApiError && error.status < 500) write(null);
      return false;
    }
  }).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** A fresh-enough access token: refreshed when it has less than a minute left. */
export async function freshToken(): Promise<string | undefined> {
  if (current && current.expiresAt - Date.now() < 60_000) await refreshNow();
  return current?.accessToken;
}

setTransport({ token: accessToken, refresh: refreshNow });

// Another tab signed in, renewed the tokens or signed out: follow it.
window.addEventListener("storage", (event) => {
  if (event.key !== KEY && event.key !== null) return;
  current = read();
  for (const listener of listeners) listener();
});

// Refresh ahead of expiry while the page is open, so the 8111 channel never holds a dead token.
setInterval(() => void freshToken(), 30_000);

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSession(): StoredSession | null {
  return useSyncExternalStore(subscribe, () => current);
}
