/**
 * Bencode (BEP 3), the encoding of rtpengine's ng control protocol: byte strings `<len>:<bytes>`,
 * integers `i<n>e`, lists `l…e`, dictionaries `d…e` with sorted keys. Strings decode to UTF-8
 * text (SDP and ng values are ASCII), dictionaries to plain objects.
 */
export type Bencoded = string | number | Bencoded[] | { [key: string]: Bencoded };

export function bencode(value: Bencoded): Buffer {
  const parts: Buffer[] = [];
  const write = (v: Bencoded): void => {
    if (typeof v === "string") {
      const bytes = Buffer.from(v, "utf8");
      parts.push(Buffer.from(`${bytes.length}:`), bytes);
    } else if (typeof v === "number") {
      if (!Number.isInteger(v)) throw new TypeError("bencode integers only");
      parts.push(Buffer.from(`i${v}e`));
    } else if (Array.isArray(v)) {
      parts.push(Buffer.from("l"));
      for (const item of v) write(item);
      parts.push(Buffer.from("e"));
    } else {
      parts.push(Buffer.from("d"));
      for (const key of Object.keys(v).sort()) {
        const item = v[key];
        if (item === undefined) continue;
        write(key);
        write(item);
      }
      parts.push(Buffer.from("e"));
    }
  };
  write(value);
  return Buffer.concat(parts);
}

/** Decodes one value; throws on anything malformed or trailing (a reply is never trusted blindly). */
export function bdecode(data: Buffer): Bencoded {
  let at = 0;
  const fail = (why: string): never => {
    throw new SyntaxError(`bencode: ${why} at ${at}`);
  };
  const read = (depth: number): Bencoded => {
    if (depth > 32) fail("too deep");
    const c = data[at];
    if (c === undefined) return fail("unexpected end");
    if (c === 0x69 /* i */) {
      const end = data.indexOf(0x65, at);
      if (end < 0) fail("unterminated integer");
      const text = data.toString("latin1", at + 1, end);
      if (!/^-?\d{1,15}$/.test(text)) fail("bad integer");
      at = end + 1;
      return Number(text);
    }
    if (c === 0x6c /* l */) {
      at++;
      const list: Bencoded[] = [];
      while (data[at] !== 0x65) list.push(read(depth + 1));
      at++;
      return list;
    }
    if (c === 0x64 /* d */) {
      at++;
      const dict: { [key: string]: Bencoded } = {};
      while (data[at] !== 0x65) {
        const key = read(depth + 1);
        if (typeof key !== "string") fail("dictionary key not a string");
        dict[key as string] = read(depth + 1);
      }
      at++;
      return dict;
    }
    if (c >= 0x30 && c <= 0x39) {
      const colon = data.indexOf(0x3a, at);
      if (colon < 0) fail("unterminated length");
      const length = Number(data.toString("latin1", at, colon));
      if (!Number.isSafeInteger(length) || colon + 1 + length > data.length) fail("bad length");
      const text = data.toString("utf8", colon + 1, colon + 1 + length);
      at = colon + 1 + length;
      return text;
    }
    return fail("unexpected byte");
  };
  const value = read(0);
  if (at !== data.length) fail("trailing bytes");
  return value;
}
