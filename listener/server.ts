import { createHmac, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { type Deps, defaultDeps } from "../layers/core/deps.js";
import { logger } from "../layers/core/logger.js";
import { voicemailCounts } from "../layers/core/services/communications.js";
import { Authenticator } from "./auth/authenticator.js";
import { type DigestAlgorithm, NonceManager } from "./auth/digest.js";
import { SipGate } from "./auth/gate.js";
import { FailureLimiter } from "./auth/limiter.js";
import { SipCore } from "./core.js";
import { Directory } from "./directory.js";
import { ListenerEvents } from "./events.js";
import { LinkusHub } from "./linkus/hub.js";
import { MediaRelay } from "./media/media-relay.js";
import { RtpEngineClient } from "./media/rtpengine.js";
import { RouteSigner } from "./proxy/record-route.js";
import { BindingCache } from "./registrar/binding-cache.js";
import { BindingStore } from "./registrar/bindings.js";
import { NatKeepAlive } from "./registrar/nat-keepalive.js";
import { sameFlow } from "./transport/flow.js";
import { SipTransport, type StreamLimits } from "./transport/sip-transport.js";
import { DEFAULT_WEBSOCKET_LIMITS, type WebSocketLimits, WebSocketSip } from "./transport/websocket.js";

/** Everything the listener can be told; `readListenerConfig` fills it from the environment. */
export interface ListenerOptions {
  /** Address to bind; 0.0.0.0 in a container, 127.0.0.1 in tests. */
  host: string;
  /** SIP over UDP and TCP (0 = any free port). */
  sipPort: number;
  linkusPort: number;
  /** 0 = any free port; undefined = no health endpoint. */
  healthPort?: number | undefined;
  tls?: { cert: Buffer; key: Buffer; port: number } | undefined;
  /** The Linkus port browsers reach (the load balancer's); written into WebSocket Via and Record-Route. */
  advertisedLinkusPort?: number | undefined;
  /** Written into Via and Record-Route; defaults to `host` (or 127.0.0.1 for 0.0.0.0). */
  advertisedHost?: string | undefined;
  minExpires?: number;
  maxExpires?: number;
  nonceLifetimeMs?: number;
  /** How often a tenant's directory version is re-read: saved extensions apply within about this. */
  directoryVersionCheckMs?: number;
  noAnswerMs?: number;
  heartbeatMs?: number;
  idleMs?: number;
  feedPollMs?: number;
  presencePollMs?: number;
  maxBufferedBytes?: number;
  /** Linkus connections one address may hold before authenticating. */
  linkusMaxPendingPerIp?: number;
  /** Linkus: from connecting to a valid token (default 10 s). */
  linkusAuthTimeoutMs?: number;
  failedAuth?: { max: number; windowMs: number; blockMs: number };
  /** How often UDP phones behind NAT get a CRLF CRLF keep-alive. */
  natPingMs?: number;
  /** How often refreshed bindings are looked at for writing behind (docs/listener.md). */
  bindingFlushMs?: number;
  /** Deadlines and caps for SIP over TCP/TLS (defaults in listener/transport/sip-transport.ts). */
  tcpLimits?: Partial<StreamLimits>;
  /** Deadlines and caps for SIP over WebSocket on the Linkus port (listener/transport/websocket.ts). */
  websocketLimits?: Partial<WebSocketLimits>;
  /** How often message-summary (MWI) subscribers' voicemail counts are read again. */
  mwiPollMs?: number;
  /** Digest challenges offered to tenants that chose none, in order (default MD5 alone). */
  digestAlgorithms?: DigestAlgorithm[];
  /** rtpengine's ng control address(es): browsers ↔ phones and NATed phones are relayed through it. */
  rtpengine?: { host: string; port: number } | { host: string; port: number }[] | undefined;
  /** Longest wait for calls in progress to finish on shutdown. */
  drainMs?: number;
  deps?: Deps;
}

export interface RunningListener {
  sipPort: number;
  tlsPort: number;
  linkusPort: number;
  healthPort: number | undefined;
  sip: SipCore;
  bindings: BindingCache;
  directory: Directory;
  hub: LinkusHub;
  stop: () => Promise<void>;
}

export async function startListener(options: ListenerOptions): Promise<RunningListener> {
  const deps = options.deps ?? defaultDeps();
  const taskId = randomBytes(4).toString("hex");
  const { tokenKey } = await deps.keys();
  const directory = new Directory(deps, {
    versionCheckMs: options.directoryVersionCheckMs ?? 1_000,
    maxAgeMs: 60_000,
    sessionTtlMs: 2_000,
  });
  const bindings = new BindingStore(deps);
  const bindingCache = new BindingCache(bindings, {
    flushMs: options.bindingFlushMs ?? 5_000,
    lapseWindowMs: 15_000,
    // Slot claims are conditional writes, so a stale view cannot break the limit; re-reading
    // serves only the 200's Contact list (another task's bindings of the same extension).
    reuseMs: 600_000,
    now: Date.now,
  });
  const events = new ListenerEvents();
  const nonces = new NonceManager({
    key: createHmac("sha256", tokenKey).update("sip-nonce/v1").digest(),
    taskId,
    lifetimeMs: options.nonceLifetimeMs ?? 300_000,
  });
  const limiter = new FailureLimiter(options.failedAuth ?? { max: 20, windowMs: 60_000, blockMs: 300_000 });
  const advertisedHost = options.advertisedHost ?? (options.host === "0.0.0.0" ? "127.0.0.1" : options.host);
  let transport: SipTransport | undefined;
  const signer = new RouteSigner(createHmac("sha256", tokenKey).update("sip-route/v1").digest(), {
    host: advertisedHost,
    port: (kind) => transport?.portOf(kind) ?? 0,
  });
  const authenticator = new Authenticator({
    directory,
    nonces,
    limiter,
    gate: new SipGate(deps, directory),
    // The extension's bindings as the registrar reads them anyway (memory, else one Query that it
    // then caches): a task that just started still knows UDP phones by the address they registered from.
    isKnownDevice: async (extension, flow) =>
      (await bindingCache.list(extension.tenantId, extension.id)).some((binding) => sameFlow(binding.flow, flow)),
    tokenKey: async () => (await deps.keys()).tokenKey,
    defaultAlgorithms: options.digestAlgorithms ?? ["MD5"],
    isOwnAddress: (uri) => !/@/.test(uri) && signer.isOwn(`<${uri}>`),
    onAuthenticated: (flow) => transport?.trust(flow),
  });
  const ngAddresses = options.rtpengine ? [options.rtpengine].flat() : [];
  const rtpengines = ngAddresses.map((address) => new RtpEngineClient(address));
  const sip = new SipCore({
    media: rtpengines.length > 0 ? new MediaRelay(rtpengines) : undefined,
    deps,
    directory,
    bindings: bindingCache,
    sharedBindings: bindings,
    authenticator,
    signer,
    events,
    taskId,
    advertisedHost,
    branchKey: createHmac("sha256", tokenKey).update("sip-branch/v1").digest(),
    minExpires: options.minExpires ?? 60,
    maxExpires: options.maxExpires ?? 3600,
    defaultExpires: Math.min(3600, options.maxExpires ?? 3600),
    noAnswerMs: options.noAnswerMs ?? 60_000,
    voicemailCounts: (tenantId, extensionId) => voicemailCounts(deps, tenantId, extensionId),
    mwiPollMs: options.mwiPollMs ?? 60_000,
  });
  transport = new SipTransport(
    { host: options.host, port: options.sipPort, tls: options.tls, ...options.tcpLimits },
    (data, flow) => sip.onDatagram(data, flow),
    (event, flow) => sip.onStreamEvent(event, flow),
  );
  sip.transport = transport;
  await transport.start();
  const sipTransport = transport;
  const websocket = new WebSocketSip(
    { ...DEFAULT_WEBSOCKET_LIMITS, ...options.websocketLimits },
    (data, flow) => sip.onDatagram(data, flow),
    (flow) => sip.onFlowClosed(flow),
  );
  sipTransport.websocket = websocket;
  const natKeepAlive = new NatKeepAlive(
    () => bindingCache.held(),
    (flow, data) => sipTransport.send(flow, data),
    options.natPingMs ?? 25_000,
  );
  const hub = new LinkusHub({
    deps,
    directory,
    bindings,
    events,
    activeCalls: (tenantId) => sip.activeCalls(tenantId),
    host: options.host,
    port: options.linkusPort,
    heartbeatMs: options.heartbeatMs ?? 30_000,
    idleMs: options.idleMs ?? 90_000,
    authTimeoutMs: options.linkusAuthTimeoutMs ?? 10_000,
    feedPollMs: options.feedPollMs ?? 500,
    presencePollMs: options.presencePollMs ?? 2_000,
    maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
    maxClients: 50_000,
    sip: { wants: WebSocketSip.wants, upgrade: (req, socket, head) => websocket.upgrade(req, socket, head) },
    maxPendingPerIp: options.linkusMaxPendingPerIp ?? 256,
  });
  await hub.start();
  sipTransport.websocketPort = options.advertisedLinkusPort ?? hub.port;

  let draining = false;
  let health: Server | undefined;
  let healthPort: number | undefined;
  if (options.healthPort !== undefined) {
    health = createServer((req, res) => {
      if (req.method === "GET" && req.url === "/health") {
        res.writeHead(draining ? 503 : 200, { "content-type": "application/json" });
        res.end(JSON.stringify({ status: draining ? "draining" : "ok", taskId, linkusClients: hub.clientCount }));
        return;
      }
      res.writeHead(404).end();
    });
    const server = health;
    await new Promise<void>((resolve) => server.listen(options.healthPort, options.host, () => resolve()));
    const address = server.address();
    healthPort = typeof address === "object" && address ? address.port : undefined;
  }

  const housekeeping = setInterval(() => {
    nonces.prune();
    limiter.prune();
    directory.prune();
    sip.prune();
  }, 30_000);
  housekeeping.unref();

  logger.info("Listener started", {
    sipPort: sipTransport.port,
    tlsPort: sipTransport.tlsPort || undefined,
    linkusPort: hub.port,
    healthPort,
    taskId,
    mediaRelay:
      ngAddresses.length > 0 ? ngAddresses.map((a) => `${a.host}:${a.port}`).join(",") : "none (media end to end)",
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // Registrations stay in DynamoDB: phones keep their bindings and another task serves them.
      draining = true;
      clearInterval(housekeeping);
      hub.stopAccepting();
      await sipTransport.stopAccepting();
      const deadline = Date.now() + (options.drainMs ?? 10_000);
      while (sip.busy > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      await hub.close();
      websocket.close();
      sip.close();
      natKeepAlive.close();
      for (const client of rtpengines) client.close();
      bindingCache.close();
      // Refreshes held in memory go to DynamoDB before the task goes: another task serves them next.
      await bindingCache.flushAll().catch((error: unknown) => {
        logger.error("Bindings not flushed on shutdown", { error: error as Error });
      });
      await sipTransport.close();
      const server = health;
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
      logger.info("Listener stopped", { taskId });
    })();
    return stopping;
  };
  return {
    sipPort: sipTransport.port,
    tlsPort: sipTransport.tlsPort,
    linkusPort: hub.port,
    healthPort,
    sip,
    bindings: bindingCache,
    directory,
    hub,
    stop,
  };
}
