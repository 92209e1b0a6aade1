// RFC 3261 §17 and Table 4: the timer values every transaction uses.

export const T1 = 500;
export const T2 = 4_000;
/** INVITE client transaction timeout. */
export const TIMER_B = 64 * T1;
/** Non-INVITE client transaction timeout. */
export const TIMER_F = 64 * T1;
/** How long a completed INVITE server transaction waits for the ACK of its non-2xx final. */
export const TIMER_H = 64 * T1;
/** How long a completed non-INVITE server transaction answers retransmissions (UDP). */
export const TIMER_J = 64 * T1;
/** RFC 6026: how long an accepted INVITE server transaction absorbs retransmissions after a 2xx. */
export const TIMER_L = 64 * T1;
/** A proxy sends 100 Trying within this long (§16.2) — we send it before any lookup. */
export const TRYING_WITHIN = 200;
