import { BoundedMap } from "../../layers/core/util/bounded-map.js";

/**
 * Failed-authentication limiter per source IP, in memory: more than `max` failures within
 * `windowMs` blocks the IP for `blockMs` (the registrar then answers 403 without checking
 * anything). A success does not reset the count: another identity's success behind the same
 * address must not wipe a guesser's record; failures age out of the window instead. Bounded:
 * at most `maxTracked` IPs are remembered, oldest forgotten first.
 */
export interface LimiterOptions {
  max: number;
  windowMs: number;
  blockMs: number;
  maxTracked?: number;
}

export class FailureLimiter {
  private readonly failures: BoundedMap<string, number[]>;
  private readonly blockedUntil = new Map<string, number>();

  constructor(private readonly options: LimiterOptions) {
    this.failures = new BoundedMap(options.maxTracked ?? 50_000);
  }

  blocked(ip: string, now = Date.now()): boolean {
    const until = this.blockedUntil.get(ip);
    if (until === undefined) return false;
    if (until > now) return true;
    this.blockedUntil.delete(ip);
    return false;
  }

  /** Counts a failure; true when this failure blocked the IP. */
  fail(ip: string, now = Date.now()): boolean {
    const recent = (this.failures.get(ip) ?? []).filter((at) => at > now - this.options.windowMs);
    recent.push(now);
    this.failures.set(ip, recent);
    if (recent.length > this.options.max) {
      this.blockedUntil.set(ip, now + this.options.blockMs);
      this.failures.delete(ip);
      return true;
    }
    return false;
  }

  prune(now = Date.now()): void {
    for (const [ip, until] of this.blockedUntil) if (until <= now) this.blockedUntil.delete(ip);
    for (const [ip, list] of this.failures) {
      if ((list[list.length - 1] ?? 0) <= now - this.options.windowMs) this.failures.delete(ip);
    }
  }
}
