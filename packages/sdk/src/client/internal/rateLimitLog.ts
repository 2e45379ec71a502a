/**
 * The sliding log behind the memory store. A permit occupies the window from its grant until its
 * request has completed plus the window length; the log keeps the completion stamps (epoch millis) of
 * the settled permits, oldest first, in a growable ring, and a count of the permits still in flight.
 * A permit at `now` is granted iff fewer than `limit` permits are live (in flight, or settled within
 * (now - window, now]); expired stamps are dropped on every call (amortised O(1)).
 */

/** @internal */
export class SlidingLog {
  private ring: Float64Array
  private head = 0
  private size = 0
  private last = Number.NEGATIVE_INFINITY
  /** Epoch millis before which nothing may be granted (a 429's `Retry-After`); 0 when not paused. */
  pausedUntil = 0

  constructor(initialCapacity: number) {
    this.ring = new Float64Array(Math.max(4, Math.min(initialCapacity, 256)))
  }

  /** Permits granted and not yet settled: they stay in the window until they are. */
  inFlight = 0

  /** Live permits: in flight, or settled within (now - window, now]. */
  used(now: number, window: number): number {
    this.prune(now, window)
    return this.size + this.inFlight
  }

  /**
   * Grants `permits` and returns 0, or returns how many milliseconds from `now` the same request
   * could first be granted (always > 0; infinite while only a settle can free room) and records
   * nothing. `hold` keeps them in flight until `settle`; otherwise they are settled at `now`.
   */
  take(now: number, window: number, limit: number, permits: number, hold = false): number {
    const wait = this.delay(now, window, limit, permits)
    if (wait > 0) return wait
    if (hold) {
      this.inFlight += permits
      return 0
    }
    this.stamp(now, permits)
    return 0
  }

  /** Ends `permits` held permits at `now`: they stay in the window for one more window length. */
  settle(now: number, permits: number): void {
    this.inFlight = Math.max(0, this.inFlight - permits)
    this.stamp(now, permits)
  }

  private stamp(now: number, permits: number): void {
    // A wall clock stepping backwards must not reorder the log: stamp no earlier than the last one,
    // which only ever keeps a permit in the window longer than it needs to.
    const stamp = Math.max(now, this.last)
    this.last = stamp
    if (this.size + permits > this.ring.length) this.grow(this.size + permits)
    const mask = this.ring.length
    for (let i = 0; i < permits; i++) {
      this.ring[(this.head + this.size) % mask] = stamp
      this.size++
    }
  }

  /** Milliseconds from `now` until `permits` could be granted (0 when they could be granted now). */
  delay(now: number, window: number, limit: number, permits: number): number {
    if (permits > limit) return Number.POSITIVE_INFINITY
    this.prune(now, window)
    let wait = this.pausedUntil > now ? this.pausedUntil - now : 0
    const excess = this.size + this.inFlight + permits - limit
    if (excess > 0) {
      // Settled stamps leave before any permit still in flight (which will be stamped at >= now), so
      // the oldest `excess` stamps must leave first: the last of them, s, leaves at s + window.
      if (excess > this.size) return Number.POSITIVE_INFINITY
      const leaves = this.at(excess - 1) + window - now
      if (leaves > wait) wait = leaves
    }
    return wait
  }

  private at(index: number): number {
    return this.ring[(this.head + index) % this.ring.length]!
  }

  private prune(now: number, window: number): void {
    const horizon = now - window
    const ring = this.ring
    const length = ring.length
    while (this.size > 0 && ring[this.head]! <= horizon) {
      this.head = this.head + 1 === length ? 0 : this.head + 1
      this.size--
    }
  }

  private grow(needed: number): void {
    let capacity = this.ring.length * 2
    while (capacity < needed) capacity *= 2
    const next = new Float64Array(capacity)
    for (let i = 0; i < this.size; i++) next[i] = this.at(i)
    this.ring = next
    this.head = 0
  }
}
