/**
 * A flow (RFC 5626 §3.3): the transport and remote address a message came from or goes to. UDP
 * flows can be written from any socket; TCP, TLS and WebSocket flows are connections held by one
 * task. `ws` is SIP over WebSocket (RFC 7118) on the Linkus port, whether the browser reached it
 * as `ws:` or as `wss:` through the load balancer's TLS listener (the task sees plain WebSocket).
 */
export type Transport = "udp" | "tcp" | "tls" | "ws";

export const TRANSPORTS: readonly Transport[] = ["udp", "tcp", "tls", "ws"];

export interface Flow {
  transport: Transport;
  address: string;
  port: number;
}

export function flowKey(flow: Flow): string {
  return `${flow.transport}:${flow.address}:${flow.port}`;
}

export function sameFlow(a: Flow, b: Flow): boolean {
  return a.transport === b.transport && a.address === b.address && a.port === b.port;
}

export function transportOf(value: string): Transport {
  const lower = value.toLowerCase();
  if (lower === "ws" || lower === "wss") return "ws";
  return lower === "tcp" ? "tcp" : lower === "tls" ? "tls" : "udp";
}
