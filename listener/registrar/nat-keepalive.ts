import { parseUri } from "../sip/uri.js";
import type { Flow } from "../transport/flow.js";
import type { Binding } from "./bindings.js";

/** RFC 5626 §4.4.1's keep-alive: a double CRLF, which SIP stacks ignore between messages. */
const PING = Buffer.from("\r\n\r\n");

/**
 * Keeps NAT pinholes open for UDP phones this task registered: every `intervalMs`, a CRLF CRLF
 * to each binding whose flow is not its Contact's address (the phone is behind NAT; Kamailio's
 * nathelper does the same with `natping_interval`). Without it a NAT typically forgets the
 * mapping after 30–120 s of silence and calls to the phone are lost until its next REGISTER.
 */
export class NatKeepAlive {
  private readonly timer: ReturnType<typeof setInterval>;
  sent = 0;

  constructor(
    private readonly bindings: () => Iterable<Binding>,
    private readonly send: (flow: Flow, data: Buffer) => boolean,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => this.ping(), intervalMs);
    this.timer.unref();
  }

  ping(): void {
    for (const binding of this.bindings()) {
      if (binding.flow.transport === "udp" && behindNat(binding) && this.send(binding.flow, PING)) this.sent++;
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}

export function behindNat(binding: Pick<Binding, "contact" | "flow">): boolean {
  try {
    const contact = parseUri(binding.contact);
    return (
      contact.host.replace(/^\[|\]$/g, "") !== binding.flow.address || (contact.port ?? 5060) !== binding.flow.port
    );
  } catch {
    return true;
  }
}
