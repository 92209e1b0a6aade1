/**
 * A Map holding at most `max` entries. One eviction rule for every cache and counter table in
 * the code: setting a key moves it to the newest place, and past `max` the oldest set goes
 * (least recently *written*; reads do not reorder, so a hot read costs no Map surgery).
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly max: number) {
    super();
    if (!(max >= 1)) throw new RangeError("BoundedMap needs room for at least one entry");
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    while (this.size > this.max) {
      const oldest = this.keys().next();
      if (oldest.done) break;
      super.delete(oldest.value);
    }
    return this;
  }
}
