/**
 * The limiter's settings and what they resolve to: the two buckets, their defaults, and the checks that
 * turn bad options into a `RateLimiterConfigError` before anything runs. Kept apart from `RateLimiter.ts`
 * so the service module reads as the algorithm alone.
 */
import type * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

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
  /** Added to every window; not needed for the guarantee (see the module header). Default 0. */
  readonly safetyMargin?: Duration.Input | undefined
  /**
   * Longest a permit may stay in flight in a shared store before the store stops counting it (a
   * process that died mid-request must not hold the budget forever). Default 2 minutes.
   */
  readonly maxHold?: Duration.Input | undefined
  /**
   * While a shared store is unreachable, each process limits itself to this share of every limit
   * (at least 1 permit): the processes can no longer see each other. Default 1 (no reduction).
   */
  readonly fallbackShare?: number | undefined
  /** Told when a shared store becomes unreachable (true) and reachable again (false). */
  readonly onDegraded?: ((degraded: boolean) => void) | undefined
  /**
   * The budget's name in the store. Processes sharing a store (Redis) and a scope share one budget,
   * so use something that identifies the Gateway account, e.g. the user name.
   */
  readonly scope?: string | undefined
}

export const defaults = {
  history: { limit: 50, window: Duration.seconds(30) },
  general: { limit: 200, window: Duration.seconds(60) },
  safetyMargin: Duration.zero,
  maxHold: Duration.minutes(2),
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

export interface ResolvedBucket {
  readonly limit: number
  readonly window: Duration.Duration
}

export interface Resolved {
  readonly history: ResolvedBucket
  readonly general: ResolvedBucket
  readonly safetyMargin: Duration.Duration
  readonly maxHold: Duration.Duration
  readonly fallbackShare: number
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

export const resolve = (options: Options): Effect.Effect<Resolved, RateLimiterConfigError> =>
  Effect.all({
    history: resolveBucket("history", options.buckets?.history),
    general: resolveBucket("general", options.buckets?.general),
    safetyMargin: resolveDuration(options.safetyMargin ?? defaults.safetyMargin, "safetyMargin", true),
    maxHold: resolveDuration(options.maxHold ?? defaults.maxHold, "maxHold", false),
    fallbackShare:
      options.fallbackShare === undefined
        ? Effect.succeed(1)
        : options.fallbackShare > 0 && options.fallbackShare <= 1
          ? Effect.succeed(options.fallbackShare)
          : invalid(`fallbackShare must be in (0, 1], got ${options.fallbackShare}`),
    scope: Effect.succeed(options.scope ?? defaults.scope)
  })
