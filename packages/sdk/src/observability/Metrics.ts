/**
 * The SDK's metric instruments, defined once: every service records through the helpers below, and
 * exporters (OTLP, Prometheus, the OpenTelemetry SDK) read the same Effect `Metric` registry. Names
 * follow Prometheus conventions (`_total` counters, histograms in base units: seconds) so both back ends
 * agree and `promtool check metrics` is quiet. Callers pass milliseconds; the snapshot reads them back in ms.
 *
 * @example
 * ```ts
 * // In a service: one call per finished request, retry, 429, cache lookup, breaker transition.
 * yield* Metrics.recordRequest({ endpoint: "Order/place", outcome: "success", durationMs: 42 })
 * // Or let the helper time the call and classify its outcome:
 * const placed = yield* Metrics.trackRequest("Order/place")(placeOrder(request))
 * // Health and tests read a typed snapshot:
 * const snapshot = yield* Metrics.snapshot
 * ```
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

/** How a Gateway call ended. Exactly one outcome is recorded per logical call (after retries). */
export type RequestOutcome =
  | "success"
  | "business_error"
  | "http_error"
  | "transport"
  | "timeout"
  | "decode"
  | "rate_limited"
  | "circuit_open"

/** Every outcome, in a stable order (handy for dashboards and exhaustive tests). */
export const requestOutcomes: ReadonlyArray<RequestOutcome> = [
  "success",
  "business_error",
  "http_error",
  "transport",
  "timeout",
  "decode",
  "rate_limited",
  "circuit_open"
]

/** Which Auth call refreshed the session token. */
export type AuthRefreshKind = "login" | "validate"

/** Whether a token refresh produced a usable token. */
export type AuthRefreshOutcome = "success" | "failure"

/** Circuit-breaker states as recorded on transitions (lower snake case, like Prometheus label values). */
export type BreakerState = "closed" | "open" | "half_open"

/** The Gateway's rate-limit buckets: History (50 / 30 s) and everything else (200 / 60 s). */
export type RateLimitBucket = "history" | "general"

// ---------------------------------------------------------------------------------------------
// Instruments
// ---------------------------------------------------------------------------------------------

/** Request latency buckets (seconds): tight around typical Gateway latency, long tail up to 30 s timeouts. */
export const requestDurationBoundaries: ReadonlyArray<number> = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30
]

/** Rate-limiter wait buckets (seconds): zero-ish waits up to a full 60 s window. */
export const rateLimiterWaitBoundaries: ReadonlyArray<number> = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
]

/** Milliseconds as seconds, for the histograms. */
const toSeconds = (ms: number): number => Math.max(0, ms) / 1000

/** `projectx_requests_total{endpoint, outcome}`: one per logical Gateway call. */
export const requestsTotal: Metric.Counter<number> = Metric.counter("projectx_requests_total", {
  description: "ProjectX Gateway requests by endpoint and outcome",
  incremental: true
})

/** `projectx_request_duration_seconds{endpoint}`: latency of a logical call including retries and waits. */
export const requestDurationSeconds: Metric.Histogram<number> = Metric.histogram("projectx_request_duration_seconds", {
  description: "ProjectX Gateway request duration in seconds, retries included",
  boundaries: requestDurationBoundaries
})

/** `projectx_retries_total{endpoint, reason}`: each retry attempt (not the first attempt). */
export const retriesTotal: Metric.Counter<number> = Metric.counter("projectx_retries_total", {
  description: "ProjectX Gateway request retries by endpoint and reason",
  incremental: true
})

/** `projectx_rate_limited_total{endpoint, bucket}`: HTTP 429 responses from the Gateway. */
export const rateLimitedTotal: Metric.Counter<number> = Metric.counter("projectx_rate_limited_total", {
  description: "HTTP 429 responses from the ProjectX Gateway by endpoint and rate-limit bucket",
  incremental: true
})

/** `projectx_ratelimiter_wait_seconds{bucket}`: how long the client-side limiter held a request back. */
export const rateLimiterWaitSeconds: Metric.Histogram<number> = Metric.histogram("projectx_ratelimiter_wait_seconds", {
  description: "Time a request waited in the client-side rate limiter, in seconds",
  boundaries: rateLimiterWaitBoundaries
})

/** `projectx_cache_hits_total{cache}`. */
export const cacheHitsTotal: Metric.Counter<number> = Metric.counter("projectx_cache_hits_total", {
  description: "Cache hits by cache",
  incremental: true
})

/** `projectx_cache_misses_total{cache}`. */
export const cacheMissesTotal: Metric.Counter<number> = Metric.counter("projectx_cache_misses_total", {
  description: "Cache misses by cache",
  incremental: true
})

/** `projectx_breaker_transitions_total{group, from, to}`. */
export const breakerTransitionsTotal: Metric.Counter<number> = Metric.counter("projectx_breaker_transitions_total", {
  description: "Circuit-breaker state transitions by endpoint group",
  incremental: true
})

/** `projectx_auth_refresh_total{kind, outcome}`: logins and token validations. */
export const authRefreshTotal: Metric.Counter<number> = Metric.counter("projectx_auth_refresh_total", {
  description: "Session token refreshes by kind (login, validate) and outcome",
  incremental: true
})

/** Every instrument name, for exporters' allow-lists and tests. */
export const metricNames = [
  "projectx_requests_total",
  "projectx_request_duration_seconds",
  "projectx_retries_total",
  "projectx_rate_limited_total",
  "projectx_ratelimiter_wait_seconds",
  "projectx_cache_hits_total",
  "projectx_cache_misses_total",
  "projectx_breaker_transitions_total",
  "projectx_auth_refresh_total"
] as const

export type MetricName = (typeof metricNames)[number]

// Tagged copies are memoised: label sets are small (endpoints × outcomes) and updates are hot.
const tagged = new Map<string, Metric.Metric<number, unknown>>()
const maxTagged = 4096

const withLabels = <M extends Metric.Metric<number, unknown>>(metric: M, labels: Record<string, string>): M => {
  let key = metric.id
  for (const name in labels) key += `\u0000${name}=${labels[name]}`
  const cached = tagged.get(key)
  if (cached !== undefined) return cached as M
  if (tagged.size >= maxTagged) tagged.clear()
  const made = Metric.withAttributes(metric, labels) as M
  tagged.set(key, made)
  return made
}

// ---------------------------------------------------------------------------------------------
// Recording helpers
// ---------------------------------------------------------------------------------------------

/** Records one finished Gateway call: its outcome counter and its latency. */
export const recordRequest = (options: {
  readonly endpoint: string
  readonly outcome: RequestOutcome
  readonly durationMs: number
}): Effect.Effect<void> =>
  Effect.andThen(
    Metric.update(withLabels(requestsTotal, { endpoint: options.endpoint, outcome: options.outcome }), 1),
    Metric.update(withLabels(requestDurationSeconds, { endpoint: options.endpoint }), toSeconds(options.durationMs))
  )

/** Records one retry attempt; `reason` is the retried error's tag (for example "Transport", "Status503"). */
export const recordRetry = (endpoint: string, reason: string): Effect.Effect<void> =>
  Metric.update(withLabels(retriesTotal, { endpoint, reason }), 1)

/** Records an HTTP 429 from the Gateway. */
export const recordRateLimited = (options: {
  readonly endpoint: string
  readonly bucket: RateLimitBucket | (string & {})
}): Effect.Effect<void> =>
  Metric.update(withLabels(rateLimitedTotal, { endpoint: options.endpoint, bucket: options.bucket }), 1)

/** Records how long the client-side limiter delayed a request (0 when it went straight through). */
export const recordRateLimiterWait = (bucket: RateLimitBucket | (string & {}), waitMs: number): Effect.Effect<void> =>
  Metric.update(withLabels(rateLimiterWaitSeconds, { bucket }), toSeconds(waitMs))

/** Records a cache hit; `cache` names the cache ("bars" unless said otherwise). */
export const recordCacheHit = (cache = "bars"): Effect.Effect<void> =>
  Metric.update(withLabels(cacheHitsTotal, { cache }), 1)

/** Records a cache miss; `cache` names the cache ("bars" unless said otherwise). */
export const recordCacheMiss = (cache = "bars"): Effect.Effect<void> =>
  Metric.update(withLabels(cacheMissesTotal, { cache }), 1)

/** Records a circuit-breaker transition for an endpoint group. */
export const recordBreakerTransition = (options: {
  readonly group: string
  readonly from: BreakerState
  readonly to: BreakerState
}): Effect.Effect<void> =>
  Metric.update(withLabels(breakerTransitionsTotal, { group: options.group, from: options.from, to: options.to }), 1)

/** Records a token refresh through `Auth/loginKey` (login) or `Auth/validate` (validate). */
export const recordAuthRefresh = (options: {
  readonly kind: AuthRefreshKind
  readonly outcome: AuthRefreshOutcome
}): Effect.Effect<void> =>
  Metric.update(withLabels(authRefreshTotal, { kind: options.kind, outcome: options.outcome }), 1)

/**
 * The default error → outcome mapping, for the SDK's `GatewayError` family: the error's `reason._tag`
 * (or its own `_tag`) names the outcome; anything unrecognised is the Gateway refusing the request.
 */
export const classifyError = (error: unknown): RequestOutcome => {
  const tag = tagOf(error, "reason") ?? tagOf(error, undefined)
  switch (tag) {
    case "RateLimited":
      return "rate_limited"
    case "CircuitOpen":
    case "CircuitHalfOpen":
      return "circuit_open"
    case "Transport":
    case "TransportError":
    case "RequestError":
      return "transport"
    case "Timeout":
    case "TimeoutError":
      return "timeout"
    case "Decode":
    case "TooLarge":
    case "DecodeError":
    case "SchemaError":
      return "decode"
    case "Unauthorized":
    case "HttpStatus":
    case "Status":
    case "StatusCodeError":
    case "ResponseError":
      return "http_error"
    default:
      return "business_error"
  }
}

const tagOf = (value: unknown, field: string | undefined): string | undefined => {
  const target =
    field === undefined ? value : typeof value === "object" && value !== null ? (value as any)[field] : undefined
  if (typeof target !== "object" || target === null) return undefined
  const tag = (target as { readonly _tag?: unknown })._tag
  return typeof tag === "string" ? tag : undefined
}

/**
 * Times an effect with `Clock` and records it as one Gateway call of `endpoint`: success, or the
 * outcome `classify` gives its error (default {@link classifyError}). Defects count as "transport";
 * interruption records nothing (the caller gave up, the call has no outcome). Build it once per endpoint:
 * its series are bound to the endpoint up front, so a call costs two clock reads and two updates.
 */
export const trackRequest = <E>(endpoint: string, classify: (error: E) => RequestOutcome = classifyError) => {
  // The same series as `requestDurationSeconds{endpoint}` and `requestsTotal{endpoint, outcome}`, with
  // their attributes fixed at construction rather than merged into the context on every update.
  const duration = Metric.histogram(requestDurationSeconds.id, {
    description: requestDurationSeconds.description,
    boundaries: requestDurationBoundaries,
    attributes: { endpoint }
  })
  const counters = new Map<RequestOutcome, Metric.Counter<number>>()
  const counter = (outcome: RequestOutcome) => {
    let found = counters.get(outcome)
    if (found === undefined) {
      found = Metric.counter(requestsTotal.id, {
        description: requestsTotal.description,
        incremental: true,
        attributes: { endpoint, outcome }
      })
      counters.set(outcome, found)
    }
    return found
  }
  const outcomeOf = (exit: Exit.Exit<unknown, E>): RequestOutcome | undefined => {
    if (Exit.isSuccess(exit)) return "success"
    const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
    if (failure !== undefined) return classify(failure.error)
    return exit.cause.reasons.some((reason) => reason._tag === "Die") ? "transport" : undefined
  }
  return <A, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withFiber((fiber) => {
      const clock = fiber.getRef(Clock.Clock)
      const start = clock.currentTimeNanosUnsafe()
      return Effect.onExit(self, (exit) =>
        Effect.sync(() => {
          const outcome = outcomeOf(exit)
          if (outcome === undefined) return
          const durationMs = Number(clock.currentTimeNanosUnsafe() - start) / 1_000_000
          counter(outcome).updateUnsafe(1, fiber.context)
          duration.updateUnsafe(toSeconds(durationMs), fiber.context)
        })
      )
    })
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/** Histogram summary as the snapshot exposes it: durations in milliseconds (the histograms hold seconds). */
export interface HistogramSummary {
  readonly count: number
  readonly sum: number
  readonly min: number | undefined
  readonly max: number | undefined
  /** `[upper bound, cumulative count]` pairs, the last bound is `Infinity`. */
  readonly buckets: ReadonlyArray<readonly [number, number]>
}

/** A plain-data view of every SDK instrument, for `Health` and tests. */
export interface MetricsSnapshot {
  readonly requests: ReadonlyArray<{
    readonly endpoint: string
    readonly outcome: RequestOutcome
    readonly count: number
  }>
  readonly requestDuration: ReadonlyArray<{ readonly endpoint: string } & HistogramSummary>
  readonly retries: ReadonlyArray<{ readonly endpoint: string; readonly reason: string; readonly count: number }>
  readonly rateLimited: ReadonlyArray<{ readonly endpoint: string; readonly bucket: string; readonly count: number }>
  readonly rateLimiterWait: ReadonlyArray<{ readonly bucket: string } & HistogramSummary>
  readonly cacheHits: ReadonlyArray<{ readonly cache: string; readonly count: number }>
  readonly cacheMisses: ReadonlyArray<{ readonly cache: string; readonly count: number }>
  readonly breakerTransitions: ReadonlyArray<{
    readonly group: string
    readonly from: string
    readonly to: string
    readonly count: number
  }>
  readonly authRefreshes: ReadonlyArray<{ readonly kind: string; readonly outcome: string; readonly count: number }>
  readonly totals: {
    readonly requests: number
    /** Every request whose outcome is not "success". */
    readonly failures: number
    readonly retries: number
    readonly rateLimited: number
    readonly cacheHits: number
    readonly cacheMisses: number
    /** hits / (hits + misses), or `undefined` before the first lookup. */
    readonly cacheHitRatio: number | undefined
    readonly breakerTransitions: number
    readonly authRefreshes: number
  }
}

const label = (snapshot: Metric.Metric.Snapshot, name: string): string => {
  const value = snapshot.attributes?.[name]
  return value === undefined ? "" : String(value)
}

const counterValue = (snapshot: Metric.Metric.Snapshot): number =>
  snapshot.type === "Counter" ? Number(snapshot.state.count) : 0

/** Seconds back to milliseconds, rounded to the microsecond so 0.03 s reads 30, not 30.000000000000004. */
const toMillis = (seconds: number): number =>
  Number.isFinite(seconds) ? Math.round(seconds * 1_000_000) / 1000 : seconds

const histogramSummary = (snapshot: Metric.Metric.Snapshot): HistogramSummary => {
  if (snapshot.type !== "Histogram") return { count: 0, sum: 0, min: undefined, max: undefined, buckets: [] }
  const state = snapshot.state
  return {
    count: state.count,
    sum: toMillis(state.sum),
    min: state.count === 0 ? undefined : toMillis(state.min),
    max: state.count === 0 ? undefined : toMillis(state.max),
    buckets: state.buckets.map(([bound, count]) => [toMillis(bound), count] as const)
  }
}

const byLabels = <A>(items: Array<A>, key: (a: A) => string): Array<A> =>
  items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))

const sum = (items: ReadonlyArray<{ readonly count: number }>): number =>
  items.reduce((total, item) => total + item.count, 0)

/** Builds the typed snapshot from raw Effect metric snapshots (exported for callers holding a `Context`). */
export const fromSnapshots = (snapshots: ReadonlyArray<Metric.Metric.Snapshot>): MetricsSnapshot => {
  const requests: Array<MetricsSnapshot["requests"][number]> = []
  const requestDuration: Array<MetricsSnapshot["requestDuration"][number]> = []
  const retries: Array<MetricsSnapshot["retries"][number]> = []
  const rateLimited: Array<MetricsSnapshot["rateLimited"][number]> = []
  const rateLimiterWait: Array<MetricsSnapshot["rateLimiterWait"][number]> = []
  const cacheHits: Array<MetricsSnapshot["cacheHits"][number]> = []
  const cacheMisses: Array<MetricsSnapshot["cacheMisses"][number]> = []
  const breakerTransitions: Array<MetricsSnapshot["breakerTransitions"][number]> = []
  const authRefreshes: Array<MetricsSnapshot["authRefreshes"][number]> = []
  for (const s of snapshots) {
    switch (s.id) {
      case "projectx_requests_total":
        requests.push({
          endpoint: label(s, "endpoint"),
          outcome: label(s, "outcome") as RequestOutcome,
          count: counterValue(s)
        })
        break
      case "projectx_request_duration_seconds":
        requestDuration.push({ endpoint: label(s, "endpoint"), ...histogramSummary(s) })
        break
      case "projectx_retries_total":
        retries.push({ endpoint: label(s, "endpoint"), reason: label(s, "reason"), count: counterValue(s) })
        break
      case "projectx_rate_limited_total":
        rateLimited.push({ endpoint: label(s, "endpoint"), bucket: label(s, "bucket"), count: counterValue(s) })
        break
      case "projectx_ratelimiter_wait_seconds":
        rateLimiterWait.push({ bucket: label(s, "bucket"), ...histogramSummary(s) })
        break
      case "projectx_cache_hits_total":
        cacheHits.push({ cache: label(s, "cache"), count: counterValue(s) })
        break
      case "projectx_cache_misses_total":
        cacheMisses.push({ cache: label(s, "cache"), count: counterValue(s) })
        break
      case "projectx_breaker_transitions_total":
        breakerTransitions.push({
          group: label(s, "group"),
          from: label(s, "from"),
          to: label(s, "to"),
          count: counterValue(s)
        })
        break
      case "projectx_auth_refresh_total":
        authRefreshes.push({ kind: label(s, "kind"), outcome: label(s, "outcome"), count: counterValue(s) })
        break
    }
  }
  const hits = sum(cacheHits)
  const misses = sum(cacheMisses)
  return {
    requests: byLabels(requests, (r) => `${r.endpoint}\u0000${r.outcome}`),
    requestDuration: byLabels(requestDuration, (r) => r.endpoint),
    retries: byLabels(retries, (r) => `${r.endpoint}\u0000${r.reason}`),
    rateLimited: byLabels(rateLimited, (r) => `${r.endpoint}\u0000${r.bucket}`),
    rateLimiterWait: byLabels(rateLimiterWait, (r) => r.bucket),
    cacheHits: byLabels(cacheHits, (r) => r.cache),
    cacheMisses: byLabels(cacheMisses, (r) => r.cache),
    breakerTransitions: byLabels(breakerTransitions, (r) => `${r.group}\u0000${r.from}\u0000${r.to}`),
    authRefreshes: byLabels(authRefreshes, (r) => `${r.kind}\u0000${r.outcome}`),
    totals: {
      requests: sum(requests),
      failures: sum(requests.filter((r) => r.outcome !== "success")),
      retries: sum(retries),
      rateLimited: sum(rateLimited),
      cacheHits: hits,
      cacheMisses: misses,
      cacheHitRatio: hits + misses === 0 ? undefined : hits / (hits + misses),
      breakerTransitions: sum(breakerTransitions),
      authRefreshes: sum(authRefreshes)
    }
  }
}

/** A typed snapshot of every SDK instrument in the current metric registry. */
export const snapshot: Effect.Effect<MetricsSnapshot> = Effect.map(Metric.snapshot, fromSnapshots)

/**
 * Gives the layer's consumers a registry of their own instead of the process-wide default, so two
 * SDK instances (or two tests) in one process do not add up each other's counts. Exporters built in
 * the same layer graph (`Telemetry.layerOtlp`, `layerPrometheus`) must see it too: provide it below them.
 */
export const layerIsolated: Layer.Layer<never> = Layer.sync(Metric.MetricRegistry)(() => new Map())
