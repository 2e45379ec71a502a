/**
 * The sliding log behind the memory store: the stamps (epoch millis) of the permits granted in the
 * current window, oldest first, in a growable ring. A permit at `now` is granted iff fewer than
 * `limit` stamps lie in (now - window, now], so the only state needed is the live stamps themselves;
 * expired ones are dropped on every call (amortised O(1)), which bounds the ring by `limit`.
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

  /** Stamps still inside (now - window, now]. */
  used(now: number, window: number): number {
    this.prune(now, window)
    return this.size
  }

  /**
   * Grants `permits` stamped at `now` and returns 0, or returns how many milliseconds from `now`
   * the same request could first be granted (always > 0) and records nothing.
   */
  take(now: number, window: number, limit: number, permits: number): number {
    const wait = this.delay(now, window, limit, permits)
    if (wait > 0) return wait
    // A wall clock stepping backwards must not reorder the log: stamp no earlier than the last grant,
    // which only ever keeps a permit in the window longer than it needs to.
    const stamp = Math.max(now, this.last)
    this.last = stamp
    if (this.size + permits > this.ring.length) this.grow(this.size + permits)
    const mask = this.ring.length
    for (let i = 0; i < permits; i++) {
      this.ring[(this.head + this.size) % mask] = stamp
      this.size++
    }
    return 0
  }

  /** Milliseconds from `now` until `permits` could be granted (0 when they could be granted now). */
  delay(now: number, window: number, limit: number, permits: number): number {
    if (permits > limit) return Number.POSITIVE_INFINITY
    this.prune(now, window)
    let wait = this.pausedUntil > now ? this.pausedUntil - now : 0
    const excess = this.size + permits - limit
    if (excess > 0) {
      // The oldest `excess` stamps must leave the window first: the last of them, s, leaves at s + window.
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
