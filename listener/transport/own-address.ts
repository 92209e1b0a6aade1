import { formatVia } from "../sip/via.js";
import type { Transport } from "./flow.js";

/**
 * How this proxy names itself in the requests it sends: the advertised host (the load balancer's
 * name or address in AWS) and the port it listens on for the transport.
 */
export function formatOwnVia(host: string, port: number | undefined, transport: Transport, branch: string): string {
  return formatVia({ transport: transport.toUpperCase(), host, port, params: new Map([["branch", branch]]) });
}

export function formatOwnContact(host: string, port: number | undefined, transport: Transport): string {
  return `${transport === "tls" ? "sips" : "sip"}:${host}:${port};transport=${transport}`;
}
