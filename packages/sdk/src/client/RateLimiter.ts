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
 * The safety margin (W' = W + margin, default 500 ms): the server stamps arrival times, we stamp send
 * times. If every request spends between d and d + j between our grant and the server's count,
 * arrivals inside any window of length W come from grants inside a window of length W + j, so
 * widening our window by j is exactly enough; reducing the limit instead is not (L - k grants at t
 * and L - k at t + W arrive compressed into less than W when j > 0). 500 ms covers a new TCP + TLS
 * connection and an ordinary token refresh between grant and send on a transatlantic link, and costs
 * 1.7 % of the History budget and 0.8 % of the rest; a rarer outlier draws a 429, which `penalize`
 * absorbs.
 */
import { Clock, Config, Context, DateTime, Duration, Effect, Layer, Metric, Option, Schema } from "effect"
import { RateLimiterError, RateLimitExceeded, RateLimitStoreError } from "effect/persistence/RateLimiter"
import * as Redis from "effect/persistence/Redis"
import { Lane } from "./internal/rateLimitLane.ts"
import { SlidingLog } from "./internal/rateLimitLog.ts"
import { rateLimiterWaitBoundaries, rateLimiterWaitSeconds } from "../observability/Metrics.ts"
import { redisKeys, slidingLogScript, slidingPauseScript, slidingStateScript } from "./internal/rateLimitRedis.ts"

export { RateLimiterError, RateLimitExceeded, RateLimitStoreError }

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/** The Gateway's two budgets: `History/retrieveBars`, and every other endpoint (login included). */
export type Bucket = "history" | "general"

export const buckets: ReadonlyArray<Bucket> = ["history", "general"]

/** Which bucket a Gateway path draws from (`/api/History/retrieveBars` is the only History one). */
export const bucketFor = (path: string): Bucket => (/\/History\//i.test(path) ? "history" : "general")

export interface BucketOptions {
  /** Permits per window, an integer >= 1. */
  readonly limit?: number | undefined
  /** The sliding window, > 0. */
  readonly window?: Duration.Input | undefined
}

export interface Options {
  readonly buckets?:
    | {
        readonly history?: BucketOptions | undefined
        readonly general?: BucketOptions | undefined
      }
    | undefined
  /** Added to every window to absorb the spread in send-to-arrival latency (see the module header). */
  readonly safetyMargin?: Duration.Input | undefined
  /**
   * The budget's name in the store. Processes sharing a store (Redis) and a scope share one budget,
   * so use something that identifies the Gateway account, e.g. the user name.
   */
  readonly scope?: string | undefined
}

export const defaults = {
  history: { limit: 50, window: Duration.seconds(30) },
  general: { limit: 200, window: Duration.seconds(60) },
  safetyMargin: Duration.millis(500),
  scope: "default"
} as const

/** A bucket's state, for health reporting. */
export interface BucketState {
  readonly bucket: Bucket
  readonly limit: number
  /** The configured window; the safety margin is added on top when counting. */
  readonly window: Duration.Duration
  readonly safetyMargin: Duration.Duration
  /** Permits granted within the current sliding window (of `window + safetyMargin`). */
  readonly used: number
  /** Permits that could be granted now (0 while paused). */
  readonly available: number
  /** Fibers in this process waiting for a permit. */
  readonly queued: number
  /** Set while a 429 pauses the bucket. */
  readonly pausedUntil: DateTime.Utc | undefined
  /** The earliest time one permit could be granted, ignoring the queue (now when one could). */
  readonly nextAvailableAt: DateTime.Utc
}

export type Snapshot = { readonly [B in Bucket]: BucketState }

/** Invalid `Options`: a limit that is not an integer >= 1, a window that is not > 0, and so on. */
export class RateLimiterConfigError extends Schema.TaggedError<RateLimiterConfigError>()("RateLimiterConfigError", {
  message: Schema.String
}) {}

// -----------------------------------------------------------------------------
// Store
// -----------------------------------------------------------------------------

/** A bucket as the store sees it: its key, its limit and its effective window (millis, margin included). */
export interface StoreBucket {
  readonly key: string
  readonly limit: number
  readonly window: number
}

export interface StoreState {
  /** Grants in (now - window, now]. */
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
     * If the bucket is not paused and at most `limit - permits` grants lie in (now - window, now],
     * records `permits` grants at `now` and returns 0. Otherwise records nothing and returns the
     * milliseconds (> 0) after which the same request could be granted, were nothing else to happen.
     */
    readonly take: (bucket: StoreBucket, permits: number, now: number) => Effect.Effect<number, RateLimiterError>
    /** `take` as a plain call, for stores that can answer synchronously (the limiter's fast path). */
    readonly takeSync: ((bucket: StoreBucket, permits: number, now: number) => number) | undefined
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

const makeStoreMemory = (): InfallibleStore => {
  const logs = new Map<string, SlidingLog>()
  const log = (bucket: StoreBucket): SlidingLog => {
    let found = logs.get(bucket.key)
    if (found === undefined) {
      found = new SlidingLog(bucket.limit)
      logs.set(bucket.key, found)
    }
    return found
  }
  const takeSync = (bucket: StoreBucket, permits: number, now: number): number =>
    log(bucket).take(now, bucket.window, bucket.limit, permits)
  return {
    takeSync,
    take: (bucket, permits, now) => Effect.sync(() => takeSync(bucket, permits, now)),
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
          nextAvailableAt: now + found.delay(now, bucket.window, bucket.limit, 1)
        }
      })
  }
}

const storeError = (operation: string) => (cause: Redis.RedisError) =>
  new RateLimiterError({
    reason: new RateLimitStoreError({ message: `Redis rate-limit store: ${operation} failed`, cause })
  })

/**
 * The Redis store: one sorted set of grant times per bucket, updated by Lua scripts so that every
 * operation is atomic across processes. Times still come from each process's `Clock`, so the
 * processes' clocks should agree to within the safety margin.
 */
const makeStoreRedis = Effect.fnUntraced(function* (options?: { readonly prefix?: string | undefined }) {
  const prefix = options?.prefix ?? "projectx:ratelimiter:"
  const redis = yield* Redis.Redis
  const take = redis.eval(slidingLogScript)
  const pause = redis.eval(slidingPauseScript)
  const inspect = redis.eval(slidingStateScript)
  return RateLimiterStore.of({
    takeSync: undefined,
    take: (bucket, permits, now) =>
      Effect.mapError(
        Effect.map(take(redisKeys(prefix, bucket.key), now, bucket.window, bucket.limit, permits), Number),
        storeError("take")
      ),
    pause: (bucket, until, now) =>
      Effect.mapError(Effect.asVoid(pause(redisKeys(prefix, bucket.key), until, now)), storeError("pause")),
    inspect: (bucket, now) =>
      Effect.mapError(
        Effect.map(
          inspect(redisKeys(prefix, bucket.key), now, bucket.window, bucket.limit),
          ([used, paused, next]) => ({
            used: Number(used),
            pausedUntil: Number(paused),
            nextAvailableAt: Number(next)
          })
        ),
        storeError("inspect")
      )
  })
})

// -----------------------------------------------------------------------------
// Service
// -----------------------------------------------------------------------------

interface ResolvedBucket {
  readonly limit: number
  readonly window: Duration.Duration
}

interface Resolved {
  readonly history: ResolvedBucket
  readonly general: ResolvedBucket
  readonly safetyMargin: Duration.Duration
  readonly scope: string
}

const invalid = (message: string) => Effect.fail(new RateLimiterConfigError({ message }))

const resolveDuration = (
  input: Duration.Input,
  what: string,
  allowZero: boolean
): Effect.Effect<Duration.Duration, RateLimiterConfigError> => {
  let duration: Duration.Duration
  try {
    duration = Duration.fromInputUnsafe(input)
  } catch {
    return invalid(`${what} is not a duration: ${String(input)}`)
  }
  const millis = Duration.toMillis(duration)
  if (!Number.isFinite(millis) || millis < 0 || (!allowZero && millis === 0)) {
    return invalid(`${what} must be ${allowZero ? ">= 0" : "> 0"} and finite, got ${Duration.format(duration)}`)
  }
  return Effect.succeed(duration)
}

const resolveBucket = (
  bucket: Bucket,
  options: BucketOptions | undefined
): Effect.Effect<ResolvedBucket, RateLimiterConfigError> => {
  const limit = options?.limit ?? defaults[bucket].limit
  if (!Number.isSafeInteger(limit) || limit < 1) {
    return invalid(`buckets.${bucket}.limit must be an integer >= 1, got ${limit}`)
  }
  return Effect.map(
    resolveDuration(options?.window ?? defaults[bucket].window, `buckets.${bucket}.window`, false),
    (window) => ({
      limit,
      window
    })
  )
}

const resolve = (options: Options): Effect.Effect<Resolved, RateLimiterConfigError> =>
  Effect.all({
    history: resolveBucket("history", options.buckets?.history),
    general: resolveBucket("general", options.buckets?.general),
    safetyMargin: resolveDuration(options.safetyMargin ?? defaults.safetyMargin, "safetyMargin", true),
    scope: Effect.succeed(options.scope ?? defaults.scope)
  })

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
 * A store that cannot fail: when the shared store is unreachable, this process falls back to a
 * memory log of its own (logging once per outage) rather than stopping every request. The budget is
 * then enforced per process only, and a 429 from the combined traffic still pauses the bucket.
 */
const guard = (store: RateLimiterStore["Service"]): InfallibleStore => {
  const fallback = makeStoreMemory()
  let degraded = false
  const recover = <A>(effect: Effect.Effect<A, RateLimiterError>, orElse: Effect.Effect<A>): Effect.Effect<A> =>
    effect.pipe(
      Effect.tap(() => {
        if (!degraded) return Effect.void
        degraded = false
        return Effect.logInfo("ProjectX rate limiter: the store is reachable again")
      }),
      Effect.catch((error) => {
        if (degraded) return orElse
        degraded = true
        return Effect.logWarning("ProjectX rate limiter: the store failed; limiting in this process only").pipe(
          Effect.annotateLogs({ error: error.message }),
          Effect.andThen(orElse)
        )
      })
    )
  return {
    takeSync: store.takeSync,
    take: (bucket, permits, now) => recover(store.take(bucket, permits, now), fallback.take(bucket, permits, now)),
    pause: (bucket, until, now) =>
      recover(store.pause(bucket, until, now), fallback.pause(bucket, until, now)).pipe(
        // Pause the fallback too, so an outage that starts later still honours the 429.
        Effect.andThen(fallback.pause(bucket, until, now))
      ),
    inspect: (bucket, now) => recover(store.inspect(bucket, now), fallback.inspect(bucket, now))
  } as InfallibleStore
}

const make = Effect.fnUntraced(function* (options: Options = {}) {
  const config = yield* resolve(options)
  const store = guard(yield* RateLimiterStore)
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
    const key: StoreBucket = { key: `${config.scope}:${bucket}`, limit, window: windowMs + marginMillis }
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

  const tryAcquire = Effect.fn("RateLimiter.tryAcquire")(function* (bucket: Bucket, permits: number = 1) {
    const lane = laneFor(bucket)
    if (permits > lane.limit) return yield* exceeded(bucket, lane.limit, lane.windowMs)
    checkPermits(permits, lane.limit)
    const retryAfter = yield* lane.lane.tryAcquire(permits)
    if (retryAfter > 0) return yield* exceeded(bucket, lane.limit, retryAfter)
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

  return RateLimiter.of({ acquire, tryAcquire, penalize, state, snapshot })
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
  }): Layer.Layer<RateLimiterStore, never, Redis.Redis> => Layer.effect(RateLimiterStore, makeStoreRedis(options))

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
