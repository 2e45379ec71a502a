/**
 * One bucket's waiting room: strict FIFO over an atomic store. At most one fiber per bucket (the
 * holder of the "turn") talks to the store and sleeps on `Clock` until its request fits; everyone
 * behind it waits for the turn in arrival order, so a later small request can never overtake an
 * earlier large one. Waiters hold no reservation in the store, which is what makes interruption free
 * (nothing to give back) and lets a 429 pause the bucket without re-planning anyone's slot.
 */
import { Clock, Duration, Effect } from "effect"

/** @internal What the lane needs from a store (a subset of `RateLimiterStore`). */
export interface LaneStore {
  readonly take: (bucket: LaneKey, permits: number, now: number) => Effect.Effect<number>
  readonly takeSync: ((bucket: LaneKey, permits: number, now: number) => number) | undefined
}

/** @internal */
export interface LaneKey {
  readonly key: string
  readonly limit: number
  readonly window: number
}

const QUEUED = 0
const HOLDING = 1
const DONE = 2

interface Waiter {
  readonly permits: number
  state: typeof QUEUED | typeof HOLDING | typeof DONE
  resume: ((effect: Effect.Effect<void>) => void) | undefined
}

const zero = Effect.succeed(0)

/** @internal */
export class Lane {
  /** A fiber holds the turn: it is calling the store or sleeping until `wakeAt`. */
  holder = false
  /** Epoch millis at which the holder will ask the store again (0 while it is not sleeping). */
  wakeAt = 0
  /** Waiters behind the holder (cancelled ones are not counted; they are skipped lazily). */
  queued = 0
  private queue: Array<Waiter | undefined> = []
  private queueHead = 0

  readonly key: LaneKey
  private readonly store: LaneStore
  private readonly onGrant: (waitedMillis: number) => void
  private readonly onQueue: (waiting: number) => void

  constructor(
    key: LaneKey,
    store: LaneStore,
    onGrant: (waitedMillis: number) => void,
    onQueue: (waiting: number) => void
  ) {
    this.key = key
    this.store = store
    this.onGrant = onGrant
    this.onQueue = onQueue
  }

  get busy(): boolean {
    return this.holder || this.queued > 0
  }

  /** Waits for `permits` and succeeds with the milliseconds waited. */
  acquire(permits: number): Effect.Effect<number> {
    return Effect.withFiber((fiber) => {
      const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
      let first = -1
      if (!this.holder && this.queued === 0) {
        const takeSync = this.store.takeSync
        if (takeSync !== undefined) {
          // The uncontended path: one synchronous call, no allocation beyond the store's own.
          first = takeSync(this.key, permits, now)
          if (first === 0) {
            this.onGrant(0)
            return zero
          }
        }
      }
      return this.wait(permits, now, first)
    })
  }

  /**
   * Grants `permits` now if nobody is waiting and the store agrees; otherwise succeeds with the
   * milliseconds after which trying again could succeed (never 0).
   */
  tryAcquire(permits: number): Effect.Effect<number> {
    return Effect.withFiber((fiber) => {
      const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
      if (this.busy) return Effect.succeed(Math.max(1, this.wakeAt - now))
      const takeSync = this.store.takeSync
      if (takeSync !== undefined) {
        const delay = takeSync(this.key, permits, now)
        if (delay === 0) this.onGrant(0)
        return Effect.succeed(delay)
      }
      this.holder = true
      return Effect.uninterruptible(
        this.store.take(this.key, permits, now).pipe(
          Effect.map((delay) => {
            if (delay === 0) this.onGrant(0)
            return delay
          }),
          Effect.ensuring(Effect.sync(() => this.passTurn()))
        )
      )
    })
  }

  private wait(permits: number, start: number, first: number): Effect.Effect<number> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const waiter: Waiter = { permits, state: QUEUED, resume: undefined }
        let run: Effect.Effect<number>
        if (!this.holder && this.queued === 0) {
          this.holder = true
          waiter.state = HOLDING
          this.onQueue(1)
          run = this.hold(permits, first)
        } else {
          this.enqueue(waiter)
          run = Effect.andThen(this.awaitTurn(waiter), this.hold(permits, -1))
        }
        return restore(run).pipe(
          Effect.map((grantedAt) => {
            const waited = Math.max(0, grantedAt - start)
            this.onGrant(waited)
            return waited
          }),
          Effect.ensuring(Effect.sync(() => this.leave(waiter)))
        )
      })
    )
  }

  /** Runs while holding the turn: ask the store, sleep as long as it says, repeat. */
  private hold(permits: number, first: number): Effect.Effect<number> {
    const store = this.store
    const key = this.key
    const self = this
    return Effect.gen(function* () {
      let delay = first
      let now = yield* Clock.currentTimeMillis
      while (true) {
        if (delay < 0) {
          now = yield* Clock.currentTimeMillis
          delay = yield* store.take(key, permits, now)
          if (delay === 0) return now
        }
        self.wakeAt = now + delay
        yield* Effect.sleep(Duration.millis(delay))
        delay = -1
      }
    })
  }

  private awaitTurn(waiter: Waiter): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      if (waiter.state !== QUEUED) return resume(Effect.void)
      waiter.resume = resume
    })
  }

  private enqueue(waiter: Waiter): void {
    this.queue.push(waiter)
    this.queued++
    this.onQueue(this.queued + 1)
  }

  /** Runs when a waiter finishes, fails or is interrupted, whatever state it reached. */
  private leave(waiter: Waiter): void {
    if (waiter.state === QUEUED) {
      // Interrupted in the queue: it consumed nothing; the entry is skipped when the turn comes by.
      waiter.state = DONE
      waiter.resume = undefined
      this.queued--
      this.onQueue(this.queued + (this.holder ? 1 : 0))
    } else if (waiter.state === HOLDING) {
      // Granted, failed, or interrupted with the turn (possibly just handed over): pass it on.
      waiter.state = DONE
      this.passTurn()
    }
  }

  private passTurn(): void {
    this.holder = false
    this.wakeAt = 0
    const queue = this.queue
    while (this.queueHead < queue.length) {
      const next = queue[this.queueHead]!
      queue[this.queueHead++] = undefined
      if (next.state !== QUEUED) continue
      next.state = HOLDING
      this.holder = true
      this.queued--
      if (this.queueHead > 1024 && this.queueHead * 2 > queue.length) {
        this.queue = queue.slice(this.queueHead)
        this.queueHead = 0
      }
      this.onQueue(this.queued + 1)
      const resume = next.resume
      next.resume = undefined
      // Yield first: resuming runs the waiter's fiber on this stack, and a long run of waiters that
      // are all grantable at once must not become one deep synchronous chain.
      if (resume !== undefined) resume(Effect.yieldNow)
      return
    }
    queue.length = 0
    this.queueHead = 0
    this.onQueue(0)
  }
}
