/**
 * The company directory's search index held in memory: the same token strings the `#CCX`
 * partition stores (index-entries.ts), kept in one sorted array, so each lookup that is a
 * key-range Query today becomes a binary search and a slice. Sorted by UTF-8 byte order, as
 * DynamoDB sorts sort keys, so a page and its cursor mean the same in both.
 */
export class SortedTokens {
  /**
   * Without surrogates UTF-16 order is UTF-8 order, and the engine's own comparison is
   * faster (1.3 million tokens, built here: 2.8 s against 5.4 s); the first astral token switches it.
   */
  private compare: (a: string, b: string) => number;

  private constructor(
    private tokens: string[],
    astral: boolean,
  ) {
    this.compare = astral ? compareUtf8 : compareCodeUnits;
  }

  static from(tokens: Iterable<string>): SortedTokens {
    const unique = [...new Set(tokens)];
    const astral = unique.some(hasSurrogate);
    return new SortedTokens(astral ? unique.sort(compareUtf8) : unique.sort(), astral);
  }

  get size(): number {
    return this.tokens.length;
  }

  /** Adds a token (kept once). O(n) for the shift, which a handful of edits per request can afford. */
  add(token: string): void {
    if (this.compare !== compareUtf8 && hasSurrogate(token)) this.compare = compareUtf8;
    const at = this.lowerBound(token);
    if (this.tokens[at] !== token) this.tokens.splice(at, 0, token);
  }

  remove(token: string): void {
    const at = this.lowerBound(token);
    if (this.tokens[at] === token) this.tokens.splice(at, 1);
  }

  /**
   * Many tokens out and in at once (a feed's tail, a bulk import): one pass that merges the sorted
   * additions into what is kept, where `add` and `remove` would shift the array once per token.
   */
  replace(removed: ReadonlySet<string>, added: readonly string[]): void {
    if (removed.size + added.length <= 64) {
      for (const token of removed) this.remove(token);
      for (const token of added) this.add(token);
      return;
    }
    if (this.compare !== compareUtf8 && added.some(hasSurrogate)) this.compare = compareUtf8;
    const incoming = [...new Set(added)].sort(this.compare);
    const kept = removed.size > 0 ? this.tokens.filter((token) => !removed.has(token)) : this.tokens;
    const merged: string[] = new Array(kept.length + incoming.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < kept.length && j < incoming.length) {
      const order = this.compare(kept[i] as string, incoming[j] as string);
      if (order === 0) j++;
      else merged[k++] = order < 0 ? (kept[i++] as string) : (incoming[j++] as string);
    }
    while (i < kept.length) merged[k++] = kept[i++] as string;
    while (j < incoming.length) merged[k++] = incoming[j++] as string;
    merged.length = k;
    this.tokens = merged;
  }

  /**
   * Tokens starting with `prefix`, ascending, strictly after `after` when given, at most
   * `limit`: what a Query with `BETWEEN prefix AND prefix + U+FFFF`, an ExclusiveStartKey and a
   * Limit returns.
   */
  range(prefix: string, options: { after?: string; limit: number }): string[] {
    const start =
      options.after !== undefined && this.compare(options.after, prefix) >= 0
        ? this.upperBound(options.after)
        : this.lowerBound(prefix);
    const found: string[] = [];
    for (let i = start; i < this.tokens.length && found.length < options.limit; i++) {
      const token = this.tokens[i] as string;
      if (!token.startsWith(prefix)) break;
      found.push(token);
    }
    return found;
  }

  /** The first index whose token is ≥ `token`. */
  private lowerBound(token: string): number {
    let low = 0;
    let high = this.tokens.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.compare(this.tokens[mid] as string, token) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The first index whose token is > `token`. */
  private upperBound(token: string): number {
    let low = 0;
    let high = this.tokens.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.compare(this.tokens[mid] as string, token) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/**
 * UTF-8 byte order. JavaScript compares UTF-16 code units, which agrees with UTF-8 except where a
 * surrogate (U+D800–U+DFFF, the halves of characters above U+FFFF) meets U+E000–U+FFFF: UTF-8
 * puts the astral character last, UTF-16 puts it first.
 */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate && Math.max(x, y) >= 0xe000) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

const compareCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const SURROGATE = /[\uD800-\uDFFF]/;
function hasSurrogate(token: string): boolean {
  return SURROGATE.test(token);
}
