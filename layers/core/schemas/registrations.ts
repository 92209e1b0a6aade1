import * as z from "zod";
import { entityId } from "./common.js";

/**
 * An extension's registered devices, as the SIP listener's registrar stores them
 * (listener/registrar/bindings.ts): one per live contact binding.
 */
export const registeredDevice = z.object({
  /** `p1`..`p3` for IP phones (the concurrent-registration slots), `l-<session>` for Linkus. */
  bindingId: z.string(),
  kind: z.enum(["phone", "linkus"]),
  /** The REGISTER's User-Agent header; null when the device sent none. */
  userAgent: z.string().nullable(),
  /** The Contact URI as registered. */
  contact: z.string(),
  /** `ws` for a Web Client registered over SIP over WebSocket (8111/sip). */
  transport: z.enum(["udp", "tcp", "tls", "ws"]),
  /** Where the REGISTER came from (after NAT): calls are sent back there. */
  sourceAddress: z.string(),
  expiresAt: z.string(),
});

export const extensionRegistrations = z.object({
  extensionId: entityId,
  devices: z.array(registeredDevice),
});

export type RegisteredDevice = z.infer<typeof registeredDevice>;
export type ExtensionRegistrations = z.infer<typeof extensionRegistrations>;
