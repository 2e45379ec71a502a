/**
 * The client-side rate limiter: keeps our own traffic inside the Gateway's two budgets (History
 * 50 requests per 30 s, everything else 200 per 60 s) so that it never draws a 429, while still
 * spending the whole allowance. Waiters are served strictly first come, first served; a 429 with
 * `Retry-After` pauses its bucket; all time comes from `Clock`.
 *
 * Why not `effect/persistence/RateLimiter`: it offers a fixed window and a token bucket, and neither
 * is exact against a server that counts requests in a sliding window (a request at t is refused
 * when `limit` requests arrived in (t - window, t]).
 * - Token bucket (capacity L, refill L per W): a full bucket spends L at t = 0, and the refill hands
 *   out L - 1 more before t = W, so one window sees 2L - 1 requests. Shrinking the capacity to avoid
 *   that wastes the allowance instead (a burst of L is legal on the server).
 * - Fixed window: L at the end of one window plus L at the start of the next are 2L requests within
 *   a few milliseconds. Effect's variant re-arms its window from the first request and extends it by
 *   W/L per token, which still lets 2L - 1 through within one W (see the test "Effect's built-ins").
 * Only a log of the grant times is exact, so this module keeps one (a sliding log): a request for p
 * permits at t is granted iff at most L - p grants lie in (t - W', t]. It keeps Effect's shape: a
 * service over a swappable `RateLimiterStore` (memory by default, Redis to share one account's budget
 * across processes, added without touching callers), with Effect's `RateLimiterError` for refusals
 * (`tryAcquire`) and store failures. Effect's `consume` API could not be kept: it reserves a future
 * slot and returns a delay, so an interrupted caller would leave its reservation behind and a 429
 * could not move the slots already promised. Here nobody holds anything while waiting; the head of a
 * FIFO queue asks the store, sleeps as long as the store says, and asks again. If a shared store
 * fails, the limiter falls back to a log in this process rather than failing requests.
 *
 * Completion-based accounting (why no margin is needed): the Gateway counts a request when it arrives,
 * somewhere between our grant g and the arrival of its response (or failure) r. `withPermit` keeps a
 * permit in the log from g until r + W. Suppose the Gateway saw L + 1 arrivals a_0 < … < a_L in some
 * (t - W, t]; take the one granted last, at g*. Every other one i was granted at g_i <= g*, and
 * g* <= a* <= t < a_i + W <= r_i + W, so all L of them were live when g* was granted, which the log
 * refuses. No assumption about latency, load or clock skew between us and the Gateway enters.
 * `safetyMargin` (default 0) still widens every window for callers who want slack on top; `acquire`
 * (a permit settled at its grant) keeps the old stamp-at-grant behaviour for callers without a reply.
 */
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import { RateLimiterError, RateLimitExceeded, RateLimitStoreError } from "effect/persistence/RateLimiter"
import type * as Redis from "effect/persistence/Redis"
import { Lane } from "./internal/rateLimitLane.ts"
import {
  type RateLimiterConfigError,
  resolve,
  type Bucket,
  type BucketState,
  type Options,
  type Snapshot
} from "./internal/rateLimitOptions.ts"
import { SlidingLog } from "./internal/rateLimitLog.ts"
import { rateLimiterWaitBoundaries, rateLimiterWaitSeconds } from "../observability/Metrics.ts"
import { makeStoreRedis } from "./internal/rateLimitRedis.ts"

export { RateLimiterError, RateLimitExceeded, RateLimitStoreError }
export { RateLimiterConfigError, bucketFor, buckets, defaults } from "./internal/rateLimitOptions.ts"
export type { Bucket, BucketOptions, BucketState, Options, Snapshot } from "./internal/rateLimitOptions.ts"

// -----------------------------------------------------------------------------
// Store
// -----------------------------------------------------------------------------

/**
 * A bucket as the store sees it: its key, its limit, its effective window (millis, margin included)
 * and how long a held permit may stay in flight (millis) in a shared store.
 */
export interface StoreBucket {
  readonly key: string
  readonly limit: number
  readonly window: number
  readonly lease: number
}

export interface StoreState {
  /** Live permits: in flight, or settled in (now - window, now]. */
  readonly used: number
  /** Epoch millis; 0 when the bucket is not paused. */
  readonly pausedUntil: number
  /** Epoch millis at which one permit could be granted (<= now when it could be granted now). */
  readonly nextAvailableAt: number
}

/**
 * Where the sliding logs live. Each operation is atomic per bucket key, and takes `now` from the
 * caller so that `Clock` (and `TestClock`) is the only time source.
 */
export class RateLimiterStore extends Context.Service<
  RateLimiterStore,
  {
    /**
     * If the bucket is not paused and at most `limit - permits` permits are live, records `permits`
     * grants and returns 0. Otherwise records nothing and returns the milliseconds (> 0, possibly
     * infinite while only a settle can free room) after which the same request could be granted, were
     * nothing else to happen. With a `hold` id the permits stay in flight until `settle(hold)`;
     * without, they are settled at `now`. A `ticket` names a waiting process head: shared stores
     * serve tickets in arrival order across processes.
     */
    readonly take: (
      bucket: StoreBucket,
      permits: number,
      now: number,
      hold?: string,
      ticket?: string
    ) => Effect.Effect<number, RateLimiterError>
    /** `take` as a plain call, for stores that can answer synchronously (the limiter's fast path). */
    readonly takeSync: ((bucket: StoreBucket, permits: number, now: number, hold?: string) => number) | undefined
    /** The permits held as `hold` completed at `now`: they leave the window at `now + window`. */
    readonly settle: (
      bucket: StoreBucket,
      hold: string,
      permits: number,
      now: number
    ) => Effect.Effect<void, RateLimiterError>
    /**
     * Longest a waiter sleeps before asking again: other processes free room without telling us.
     * Infinite for a store only this process uses (a settle here wakes the waiter).
     */
    readonly pollMillis: number
    /** Grants nothing in the bucket before `until` (epoch millis); never shortens an existing pause. */
    readonly pause: (bucket: StoreBucket, until: number, now: number) => Effect.Effect<void, RateLimiterError>
    readonly inspect: (bucket: StoreBucket, now: number) => Effect.Effect<StoreState, RateLimiterError>
  }
>()("@projectx-effect/sdk/RateLimiter/RateLimiterStore") {}

/** A store whose operations cannot fail. */
type InfallibleStore = {
  readonly [K in keyof RateLimiterStore["Service"]]: RateLimiterStore["Service"][K] extends (
    ...args: infer Args
  ) => Effect.Effect<infer A, RateLimiterError>
    ? (...args: Args) => Effect.Effect<A>
    : RateLimiterStore["Service"][K]
}

/** While only a settle can free room (an infinite delay), the earliest is at least one window away. */
const finiteDelay = (delay: number, window: number) => (delay === Number.POSITIVE_INFINITY ? window : delay)

const makeStoreMemory = (): InfallibleStore & {
  readonly usedSync: (bucket: StoreBucket, now: number) => number
  readonly delaySync: (bucket: StoreBucket, permits: number, now: number) => number
} => {
  const logs = new Map<string, SlidingLog>()
  const log = (bucket: StoreBucket): SlidingLog => {
    let found = logs.get(bucket.key)
    if (found === undefined) {
      found = new SlidingLog(bucket.limit)
      logs.set(bucket.key, found)
    }
    return found
  }
  const takeSync = (bucket: StoreBucket, permits: number, now: number, hold?: string): number =>
    log(bucket).take(now, bucket.window, bucket.limit, permits, hold !== undefined)
  return {
    takeSync,
    usedSync: (bucket, now) => log(bucket).used(now, bucket.window),
    delaySync: (bucket, permits, now) => log(bucket).delay(now, bucket.window, bucket.limit, permits),
    pollMillis: Number.POSITIVE_INFINITY,
    take: (bucket, permits, now, hold) => Effect.sync(() => takeSync(bucket, permits, now, hold)),
    settle: (bucket, _hold, permits, now) => Effect.sync(() => log(bucket).settle(now, permits)),
    pause: (bucket, until) =>
      Effect.sync(() => {
        const found = log(bucket)
        if (until > found.pausedUntil) found.pausedUntil = until
      }),
    inspect: (bucket, now) =>
      Effect.sync(() => {
        const found = log(bucket)
        return {
          used: found.used(now, bucket.window),
          pausedUntil: found.pausedUntil > now ? found.pausedUntil : 0,
          nextAvailableAt: now + finiteDelay(found.delay(now, bucket.window, bucket.limit, 1), bucket.window)
        }
      })
  }
}

// -----------------------------------------------------------------------------
// Service
// -----------------------------------------------------------------------------

/** Longest pause a `Retry-After` may impose; anything longer is taken as a parsing accident. */
const maxPauseMillis = 60 * 60 * 1000

export interface RateLimiterShape {
  /**
   * Waits until `permits` (default 1) fit in `bucket`, first come first served, and returns how long
   * it waited. Interrupting a waiter removes it from the queue; it consumes nothing. Asking for more
   * permits than the bucket's limit is a defect: such a request could never be granted.
   */
  readonly acquire: (bucket: Bucket, permits?: number) => Effect.Effect<Duration.Duration>
  /**
   * Runs `effect` (one request) under `permits` (default 1) of `bucket`: waits like `acquire`, then
   * keeps the permits in the window until `effect` has ended (success, failure or interruption) plus
   * the window length. This is what makes the guarantee hold whatever the latency (module header).
   */
  readonly withPermit: <A, E, R>(
    bucket: Bucket,
    effect: Effect.Effect<A, E, R>,
    permits?: number
  ) => Effect.Effect<A, E, R>
  /**
   * Takes `permits` now or fails with `RateLimitExceeded` (its `retryAfter` says when trying again
   * could succeed). Never jumps the queue: with anyone waiting it fails.
   */
  readonly tryAcquire: (bucket: Bucket, permits?: number) => Effect.Effect<void, RateLimiterError>
  /**
   * Reports a 429: grants nothing in `bucket` for `retryAfter` (a `Retry-After` already parsed into a
   * duration; capped at one hour). Waiters keep their places.
   */
  readonly penalize: (bucket: Bucket, retryAfter: Duration.Input) => Effect.Effect<void>
  readonly state: (bucket: Bucket) => Effect.Effect<BucketState>
  readonly snapshot: Effect.Effect<Snapshot>
}

const exceeded = (bucket: Bucket, limit: number, retryAfterMillis: number) =>
  new RateLimiterError({
    reason: new RateLimitExceeded({
      key: bucket,
      limit,
      remaining: 0,
      retryAfter: Duration.millis(retryAfterMillis)
    })
  })

/**
 * A store that cannot fail. Every grant is mirrored into a memory log of this process's own traffic;
 * when the shared store is unreachable, that log decides (logging once per outage), limited to `share`
 * of each limit since the other processes are no longer visible, and counting what this process sent
 * just before. For one window after the store returns (it may have lost its log), what this process
 * granted meanwhile is taken off the shared limit. A 429 from the combined traffic still pauses the bucket.
 */
const guard = (
  store: RateLimiterStore["Service"],
  share: number,
  onDegraded: ((degraded: boolean) => void) | undefined
): InfallibleStore => {
  const mirror = makeStoreMemory()
  // Holds granted while degraded: their settle goes to the mirror only.
  const local = new Set<string>()
  let degraded = false
  let recoveredAt = Number.NEGATIVE_INFINITY
  const unbounded = (bucket: StoreBucket): StoreBucket => ({ ...bucket, limit: Number.POSITIVE_INFINITY })
  const reduced = (bucket: StoreBucket): StoreBucket =>
    share >= 1 ? bucket : { ...bucket, limit: Math.max(1, Math.floor(bucket.limit * share)) }
  const answered = Effect.suspend(() => {
    if (!degraded) return Effect.void
    degraded = false
    onDegraded?.(false)
    return Effect.flatMap(Clock.currentTimeMillis, (now) => {
      recoveredAt = now
      return Effect.logInfo("ProjectX rate limiter: the shared store is reachable again")
    })
  })
  const failed = (error: RateLimiterError) =>
    Effect.suspend(() => {
      if (degraded) return Effect.void
      degraded = true
      onDegraded?.(true)
      return Effect.logWarning(
        `ProjectX rate limiter: the shared store failed; limiting in this process only (${Math.round(share * 100)} % of each limit)`
      ).pipe(Effect.annotateLogs({ error: error.message }))
    })
  const recover = <A>(effect: Effect.Effect<A, RateLimiterError>, orElse: Effect.Effect<A>): Effect.Effect<A> =>
    effect.pipe(
      Effect.tap(() => answered),
      Effect.catch((error) => Effect.andThen(failed(error), orElse))
    )
  const fallbackTake = (bucket: StoreBucket, permits: number, now: number, hold?: string) =>
    Effect.sync(() => {
      const small = reduced(bucket)
      const delay = mirror.takeSync!(small, Math.min(permits, small.limit), now, hold)
      if (delay === 0 && hold !== undefined) local.add(hold)
      return delay
    })
  const sharedTake = (bucket: StoreBucket, permits: number, now: number, hold?: string, ticket?: string) =>
    Effect.suspend(() => {
      let target = bucket
      if (now < recoveredAt + bucket.window) {
        const mine = mirror.usedSync(bucket, now)
        if (mine + permits > bucket.limit) {
          return Effect.succeed(Math.max(1, finiteDelay(mirror.delaySync(bucket, permits, now), bucket.window)))
        }
        target = { ...bucket, limit: bucket.limit - mine }
      }
      return Effect.tap(store.take(target, permits, now, hold, ticket), (delay) =>
        Effect.sync(() => {
          if (delay === 0) mirror.takeSync!(unbounded(bucket), permits, now, hold)
        })
      )
    })
  return {
    takeSync: store.takeSync,
    pollMillis: Math.min(store.pollMillis, 1000),
    take: (bucket, permits, now, hold, ticket) =>
      recover(sharedTake(bucket, permits, now, hold, ticket), fallbackTake(bucket, permits, now, hold)),
    settle: (bucket, hold, permits, now) => {
      const mirrored = mirror.settle(bucket, hold, permits, now)
      if (local.delete(hold)) return mirrored
      // A lost settle only keeps the permit until its lease ends: conservative, so no fallback needed.
      return Effect.andThen(mirrored, Effect.ignore(store.settle(bucket, hold, permits, now)))
    },
    pause: (bucket, until, now) =>
      recover(store.pause(bucket, until, now), Effect.void).pipe(
        // Pause the mirror too, so an outage that starts later still honours the 429.
        Effect.andThen(mirror.pause(bucket, until, now))
      ),
    inspect: (bucket, now) => recover(store.inspect(bucket, now), mirror.inspect(reduced(bucket), now))
  } as InfallibleStore
}

const make = Effect.fnUntraced(function* (options: Options = {}) {
  const config = yield* resolve(options)
  const raw = yield* RateLimiterStore
  // The memory store cannot fail; only a shared one needs the fallback.
  const store: InfallibleStore =
    raw.pollMillis === Number.POSITIVE_INFINITY
      ? (raw as InfallibleStore)
      : guard(raw, config.fallbackShare, options.onDegraded)
  let holds = 0
  const holdPrefix = `${Math.random().toString(36).slice(2, 10)}:`
  // Metrics go to the registry of the context the limiter was built in.
  const context = yield* Effect.context<never>()
  const marginMillis = Duration.toMillis(config.safetyMargin)

  const makeLane = (bucket: Bucket) => {
    const { limit, window } = config[bucket]
    const attributes = { bucket }
    // The same series as `Metrics.rateLimiterWaitSeconds{bucket}` (same id, description and boundaries).
    const waits = Metric.histogram(rateLimiterWaitSeconds.id, {
      description: rateLimiterWaitSeconds.description,
      boundaries: rateLimiterWaitBoundaries,
      attributes
    })
    const acquires = Metric.counter("projectx_ratelimiter_acquires_total", {
      description: "Rate-limit acquisitions granted",
      incremental: true,
      attributes
    })
    const queue = Metric.gauge("projectx_ratelimiter_queue_length", {
      description: "Fibers waiting for a rate-limit permit",
      attributes
    })
    const windowMs = Duration.toMillis(window)
    const key: StoreBucket = {
      key: `${config.scope}:${bucket}`,
      limit,
      window: windowMs + marginMillis,
      lease: Duration.toMillis(config.maxHold) + windowMs + marginMillis
    }
    const lane = new Lane(
      key,
      store,
      (waited) => {
        acquires.updateUnsafe(1, context)
        waits.updateUnsafe(waited / 1000, context)
      },
      (waiting) => queue.updateUnsafe(waiting, context)
    )
    return { bucket, limit, window, windowMs, key, lane }
  }

  const lanes = { history: makeLane("history"), general: makeLane("general") }

  const laneFor = (bucket: Bucket) => {
    const lane = lanes[bucket]
    if (lane === undefined) throw new RangeError(`RateLimiter: unknown bucket ${String(bucket)}`)
    return lane
  }
  const checkPermits = (permits: number, limit: number) => {
    if (!Number.isSafeInteger(permits) || permits < 1 || permits > limit) {
      throw new RangeError(`RateLimiter: permits must be an integer in [1, ${limit}], got ${permits}`)
    }
  }

  const acquire = Effect.fn("RateLimiter.acquire")(function* (bucket: Bucket, permits: number = 1) {
    const lane = laneFor(bucket)
    checkPermits(permits, lane.limit)
    const waited = yield* lane.lane.acquire(permits)
    yield* Effect.annotateCurrentSpan({
      "ratelimiter.bucket": bucket,
      "ratelimiter.permits": permits,
      "ratelimiter.wait_ms": waited
    })
    return waited === 0 ? Duration.zero : Duration.millis(waited)
  })

  const withPermit = <A, E, R>(bucket: Bucket, effect: Effect.Effect<A, E, R>, permits = 1): Effect.Effect<A, E, R> => {
    const lane = laneFor(bucket)
    checkPermits(permits, lane.limit)
    const hold = holdPrefix + String(++holds)
    const settle = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.map(store.settle(lane.key, hold, permits, now), () => lane.lane.notify())
    )
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(lane.lane.acquire(permits, hold)), () => Effect.ensuring(restore(effect), settle))
    )
  }

  const tryAcquire = Effect.fn("RateLimiter.tryAcquire")(function* (bucket: Bucket, permits: number = 1) {
    const lane = laneFor(bucket)
    if (permits > lane.limit) return yield* exceeded(bucket, lane.limit, lane.windowMs)
    checkPermits(permits, lane.limit)
    const retryAfter = yield* lane.lane.tryAcquire(permits)
    if (retryAfter > 0) return yield* exceeded(bucket, lane.limit, Math.min(retryAfter, lane.key.window))
  })

  const penalize = Effect.fn("RateLimiter.penalize")(function* (bucket: Bucket, retryAfter: Duration.Input) {
    const lane = laneFor(bucket)
    const requested = Duration.toMillis(Option.getOrElse(Duration.fromInput(retryAfter), () => Duration.zero))
    const millis = Number.isNaN(requested) ? 0 : Math.min(Math.max(0, requested), maxPauseMillis)
    const now = yield* Clock.currentTimeMillis
    yield* store.pause(lane.key, now + millis, now)
    yield* Effect.logWarning("ProjectX rate limit hit (429): pausing the bucket").pipe(
      Effect.annotateLogs({ bucket, retryAfterMs: millis, pausedUntil: new Date(now + millis).toISOString() })
    )
  })

  const state = Effect.fn("RateLimiter.state")(function* (bucket: Bucket) {
    const lane = laneFor(bucket)
    const now = yield* Clock.currentTimeMillis
    const s = yield* store.inspect(lane.key, now)
    const paused = s.pausedUntil > now
    const result: BucketState = {
      bucket,
      limit: lane.limit,
      window: lane.window,
      safetyMargin: config.safetyMargin,
      used: s.used,
      available: paused ? 0 : Math.max(0, lane.limit - s.used),
      queued: lane.lane.queued + (lane.lane.holder ? 1 : 0),
      pausedUntil: paused ? DateTime.makeUnsafe(s.pausedUntil) : undefined,
      nextAvailableAt: DateTime.makeUnsafe(Math.max(now, s.nextAvailableAt))
    }
    return result
  })

  const snapshot: Effect.Effect<Snapshot> = Effect.all({ history: state("history"), general: state("general") }).pipe(
    Effect.withSpan("RateLimiter.snapshot")
  )

  return RateLimiter.of({ acquire, withPermit, tryAcquire, penalize, state, snapshot })
})

/**
 * The rate limiter service. `layer(options)` keeps its logs in memory (the default);
 * `layerWithoutStore(options)` takes any `RateLimiterStore`, e.g. `layerStoreRedis` to share one
 * budget across processes. Callers only ever see `RateLimiter`, whichever store is behind it.
 */
export class RateLimiter extends Context.Service<RateLimiter, RateLimiterShape>()("@projectx-effect/sdk/RateLimiter") {
  /** Builds the service over the current `RateLimiterStore`; fails when `options` are invalid. */
  static readonly make: (
    options?: Options
  ) => Effect.Effect<RateLimiterShape, RateLimiterConfigError, RateLimiterStore> = make

  /** A process-local store. Each build starts with empty logs. */
  static readonly layerStoreMemory: Layer.Layer<RateLimiterStore> = Layer.sync(RateLimiterStore, () =>
    RateLimiterStore.of(makeStoreMemory())
  )

  /** A Redis store, shared by every process that uses the same Redis, `prefix` and `scope`. */
  static readonly layerStoreRedis = (options?: {
    readonly prefix?: string | undefined
    readonly poll?: Duration.Input | undefined
    readonly timeout?: Duration.Input | undefined
  }): Layer.Layer<RateLimiterStore, never, Redis.Redis> =>
    Layer.effect(RateLimiterStore, Effect.map(makeStoreRedis(options), RateLimiterStore.of))

  static readonly layerWithoutStore = (
    options: Options = {}
  ): Layer.Layer<RateLimiter, RateLimiterConfigError, RateLimiterStore> => Layer.effect(RateLimiter, make(options))

  /** The memory store, the default. */
  static readonly layer = (options: Options = {}): Layer.Layer<RateLimiter, RateLimiterConfigError> =>
    RateLimiter.layerWithoutStore(options).pipe(Layer.provide(RateLimiter.layerStoreMemory))

  /** `layer` with options read from `Config`s. */
  static readonly layerConfig = (
    options: Config.Wrap<Options>
  ): Layer.Layer<RateLimiter, RateLimiterConfigError | Config.ConfigError> =>
    Layer.effect(RateLimiter, Effect.flatMap(Config.unwrap(options), make)).pipe(
      Layer.provide(RateLimiter.layerStoreMemory)
    )
}
