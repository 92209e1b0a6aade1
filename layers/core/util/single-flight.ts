/**
 * Shares one load among concurrent callers asking for the same key: while a load runs, every
 * caller of that key gets its promise; once it settles (value or error) the next call loads
 * again. Callers keep their own cache of results; this only keeps loads from stampeding.
 */
export function singleFlight<K, V>(): (key: K, load: () => Promise<V>) => Promise<V> {
  const running = new Map<K, Promise<V>>();
  return (key, load) => {
    const current = running.get(key);
    if (current) return current;
    const started = load().finally(() => running.delete(key));
    running.set(key, started);
    return started;
  };
}
