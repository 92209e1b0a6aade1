/**
 * The messages the INVITE proxy builds (RFC 3261 §16.6, §9.1, §17.1.1.3): pure functions of the
 * requests and responses they copy, so invite-proxy.ts keeps only the attempt's state machine.
 */
import { SipHeaders } from "../sip/header-fields.js";
import type { SipRequest, SipResponse } from "../sip/message.js";

/**
 * The INVITE forwarded to one binding: our Via on top, our Record-Route entries where the
 * first Record-Route stood (or at the end), the caller's credentials and our consumed Route
 * left out, Max-Forwards decremented by the caller.
 */
export function forwardedInvite(
  request: SipRequest,
  branch: { via: string; recordRoutes: readonly string[]; contact: string; maxForwards: number; body: Buffer },
): SipRequest {
  const headers = new SipHeaders();
  headers.append("Via", branch.via);
  let recordRouted = false;
  for (const [name, value] of request.headers) {
    // Credentials for our realm stop here (§22.3); our own Route was consumed on the way in.
    if (name === "Max-Forwards" || name === "Proxy-Authorization" || name === "Route") continue;
    if (name === "Record-Route" && !recordRouted) {
      for (const entry of branch.recordRoutes) headers.append("Record-Route", entry);
      recordRouted = true;
    }
    headers.append(name, value);
  }
  if (!recordRouted) for (const entry of branch.recordRoutes) headers.append("Record-Route", entry);
  headers.append("Max-Forwards", String(branch.maxForwards));
  return { method: "INVITE", uri: branch.contact, version: "SIP/2.0", headers, body: branch.body };
}

/** CANCEL and the ACK of a non-2xx are hop by hop: same branch, Call-ID, From and CSeq number (§9.1, §17.1.1.3). */
export function hopByHop(forwarded: SipRequest, method: "CANCEL" | "ACK", to: string | undefined): SipRequest {
  const source = forwarded.headers;
  const headers = new SipHeaders();
  headers.append("Via", source.get("Via") ?? "");
  headers.append("Max-Forwards", "70");
  headers.append("From", source.get("From") ?? "");
  headers.append("To", to ?? "");
  headers.append("Call-ID", source.get("Call-ID") ?? "");
  const seq = /^\s*(\d+)/.exec(source.get("CSeq") ?? "")?.[1] ?? "1";
  headers.append("CSeq", `${seq} ${method}`);
  return { method, uri: forwarded.uri, version: "SIP/2.0", headers, body: Buffer.alloc(0) };
}

/** A downstream response as the caller must see it: the caller's Via headers, not ours. */
export function upstreamCopy(callerRequest: SipRequest, response: SipResponse): SipResponse {
  const headers = new SipHeaders();
  for (const via of callerRequest.headers.getAll("Via")) headers.append("Via", via);
  for (const [name, value] of response.headers) if (name !== "Via") headers.append(name, value);
  return { ...response, headers };
}

/** Which final response the caller gets when every branch failed (§16.7): the lowest rank wins. */
export function finalRank(status: number): number {
  if (status === 486 || status === 600) return 0; // busy wins: the caller learns the callee is busy
  if (status >= 600) return 1;
  if (status === 408) return 1000;
  return status;
}
