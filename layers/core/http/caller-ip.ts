import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";

/**
 * The caller's IP address behind CloudFront (docs/deploy.md, Web; D-web-7).
 *
 * In AWS the web app's `/api/*` reaches API Gateway through CloudFront, so API Gateway's
 * `sourceIp` is a CloudFront edge. CloudFront adds two headers to those origin requests: the
 * viewer's address (written by the API behavior's viewer-request function from `event.viewer.ip`,
 * overwriting whatever the viewer sent under that name) and the origin secret (a custom origin
 * header, which likewise replaces a viewer's header of the same name). The execute-api endpoint
 * stays reachable directly, where anyone can send both names; only the secret tells CloudFront's
 * requests apart, so the viewer address is believed only next to the right secret.
 */
export const ORIGIN_SECRET_HEADER = "x-pbx-origin-secret";
export const VIEWER_ADDRESS_HEADER = "x-pbx-viewer-address";

/**
 * The IP of a viewer-address value: a bare address (what the viewer-request function writes),
 * `1.2.3.4:5678`, or `[2001:db8::1]:443` (the forms of CloudFront's own `CloudFront-Viewer-Address`,
 * so the header can switch to it should the API ever be reached with its Host forwarded). An
 * unbracketed IPv6 address is taken whole: with a port it would be ambiguous. Undefined when the
 * value holds no valid address.
 */
export function parseViewerAddress(value: string | undefined): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (isIP(text)) return text;
  const bracketed = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text);
  if (bracketed?.[1] && isIP(bracketed[1]) === 6) return bracketed[1];
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text);
  if (v4?.[1] && isIP(v4[1]) === 4) return v4[1];
  return undefined;
}

/** Constant-time: the comparison must not tell an attacker how much of a guess was right. */
function sameSecret(sent: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(sent), digest(expected));
}

/**
 * The address login security, the login gate and the event log should see: the viewer's, when
 * the request carries the origin secret and a valid viewer address; API Gateway's `sourceIp`
 * otherwise (a direct call, a spoofed header, a function given no secret, or the local stack).
 */
export function callerIp(
  sourceIp: string,
  headers: Readonly<Record<string, string | undefined>>,
  originSecret: string | undefined,
): string {
  const sent = headers[ORIGIN_SECRET_HEADER];
  if (!originSecret || sent === undefined || !sameSecret(sent, originSecret)) return sourceIp;
  return parseViewerAddress(headers[VIEWER_ADDRESS_HEADER]) ?? sourceIp;
}
