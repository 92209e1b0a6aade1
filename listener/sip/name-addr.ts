// name-addr / addr-spec (RFC 3261 §20.10, §25.1): From, To, Contact, Route, Record-Route, Refer-To.

import { formatParams, inTable, isWs, parseParams, quote, readQuoted, skipWs, TOKEN_CHARS, trimWs } from "./chars.js";
import { parseFailure } from "./errors.js";

export interface NameAddr {
  /** Unquoted display name; undefined when absent. */
  displayName: string | undefined;
  /** The URI as written (any scheme); `parseUri` for sip/sips. */
  uri: string;
  /** Header parameters (`tag`, `expires`, `q`, ...): names lowercased, values as written, quotes kept. */
  params: Map<string, string | null>;
}

/** Chars that cannot appear in an addr-spec written without angle brackets (RFC 3261 §20.10). */
function isBareUriChar(c: number): boolean {
  return c > 32 && c < 127 && c !== 44 && c !== 63 && c !== 59 && c !== 60 && c !== 62 && c !== 34;
}

/**
 * `[display-name] <uri> *(;param)` or `addr-spec *(;param)`. In the second form the URI stops at
 * the first `;` (what follows are header parameters) and may not contain `,` or `?`.
 */
export function parseNameAddr(value: string): NameAddr {
  const len = value.length;
  let i = skipWs(value, 0);
  if (i >= len) parseFailure("Empty address");
  let displayName: string | undefined;
  let uri: string;

  const first = value.charCodeAt(i);
  let lt = -1;
  if (first === 34) {
    const quoted = readQuoted(value, i);
    displayName = quoted.value;
    i = skipWs(value, quoted.end);
    if (value.charCodeAt(i) !== 60) parseFailure("Expected < after display name");
    lt = i;
  } else {
    // A token display name (tokens separated by LWS) ends at '<'; any other char means addr-spec.
    let j = i;
    while (j < len) {
      const c = value.charCodeAt(j);
      if (c === 60) {
        lt = j;
        break;
      }
      if (!inTable(TOKEN_CHARS, c) && !isWs(c)) break;
      j++;
    }
    if (lt >= 0) {
      const name = trimWs(value, i, lt);
      displayName = name === "" ? undefined : name;
    }
  }

  if (lt >= 0) {
    const gt = value.indexOf(">", lt + 1);
    if (gt < 0) parseFailure("Unterminated <uri>");
    uri = value.slice(lt + 1, gt);
    if (uri === "") parseFailure("Empty URI");
    for (let k = 0; k < uri.length; k++) {
      const c = uri.charCodeAt(k);
      if (c <= 32 || c === 127 || c === 60) parseFailure("Invalid character in URI");
    }
    i = gt + 1;
  } else {
    const start = i;
    while (i < len && isBareUriChar(value.charCodeAt(i))) i++;
    uri = value.slice(start, i);
    if (uri === "" || uri.indexOf(":") < 0) parseFailure("Invalid address");
    const next = skipWs(value, i);
    if (next < len && value.charCodeAt(next) !== 59) parseFailure("Invalid character in address");
  }
  return { displayName, uri, params: parseParams(value, i) };
}

/** Always writes the `<uri>` form, quoting the display name, so parameters stay unambiguous. */
export function formatNameAddr(address: NameAddr): string {
  for (let i = 0; i < address.uri.length; i++) {
    const c = address.uri.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 60 || c === 62) throw new TypeError("Invalid character in URI");
  }
  const name = address.displayName === undefined ? "" : `${quote(address.displayName)} `;
  return `${name}<${address.uri}>${formatParams(address.params)}`;
}

/** The `tag` parameter of a From or To value, or undefined (also when the value is malformed). */
export function getTag(value: string): string | undefined {
  try {
    return parseNameAddr(value).params.get("tag") ?? undefined;
  } catch {
    return undefined;
  }
}
