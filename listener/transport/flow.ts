/**
 * A flow (RFC 5626 §3.3): the transport and remote address a message came from or goes to. UDP
 * flows can be written from any socket; TCP and TLS flows are connections held by one task.
 */
export type Transport = "udp" | "tcp" | "tls";

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
  return lower === "tcp" ? "tcp" : lower === "tls" ? "tls" : "udp";
}
