/**
 * The only way to call the Gateway. `GatewayTransport.send` is one call's pipeline: rate limiter →
 * circuit breaker → retry (only where the contract says it is safe; 429 everywhere, since a 429 was not
 * executed) → HTTP attempt with a timeout → envelope check → the endpoint's error code by name → Schema
 * decode, with one span per call and per-attempt spans from the HttpClient. `GatewayClient.call` adds the
 * session token and the single invalidate-and-retry on 401.
 */
import { type AnyEndpoint, Envelope, errorCodeName, type RequestOf, type ResponseOf } from "@projectx-effect/gateway"
import {
  Clock,
  Context,
  Duration,
  Effect,
  Layer,
  Option,
  Redacted,
  Schedule,
  Schema,
  SchemaIssue,
  Semaphore,
  type Tracer
} from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { Auth } from "./Auth.ts"
import { CircuitBreaker, groupOf } from "./CircuitBreaker.ts"
import {
  Decode,
  GatewayError,
  HttpStatus,
  RateLimited,
  type Reason,
  Rejected,
  Timeout,
  Transport,
  Unauthorized,
  ValidationError
} from "./Errors.ts"
import { redactString } from "./internal/telemetryRedact.ts"
import * as Metrics from "./Metrics.ts"
import { ProjectXConfig } from "./ProjectXConfig.ts"
import { RateLimiter } from "./RateLimiter.ts"

/** Turns a parsed JSON body into the call's result, or a reason it is not acceptable. */
export type Decoder<A> = (json: unknown) => Effect.Effect<A, Reason>

/**
 * Turns a 2xx body's text straight into the call's result, or returns `undefined` to leave the body to
 * `JSON.parse`, the envelope check and the `Decoder` (which then name whatever is wrong with it).
 */
export type BodyDecoder<A> = (text: string) => Effect.Effect<A, Reason> | undefined

export interface SendOptions<A> {
  /** The bearer token; required by authenticated endpoints. Unwrapped only where the header is set. */
  readonly token?: Redacted.Redacted<string> | undefined
  /** A faster decoder for this payload (bars); it must enforce the same rules as the endpoint's Schema. */
  readonly decode?: Decoder<A> | undefined
  /**
   * Tried on a 2xx body before `JSON.parse` (bars: a scanner that skips building the objects). When it
   * gives an Effect, that is the result; it must then enforce the envelope and every rule `decode` does.
   */
  readonly decodeText?: BodyDecoder<A> | undefined
}

/** What `GatewayClient.call` passes on to `GatewayTransport.send` (the token is its own). */
export type CallOptions<A> = Pick<SendOptions<A>, "decode" | "decodeText">

export interface TransportStats {
  readonly requests: number
  readonly attempts: number
  readonly retries: number
  readonly failures: Readonly<Record<string, number>>
  readonly rateLimited: number
}

const DEFAULT_RETRY_AFTER_MS = 1_000

/** `Retry-After` in delta-seconds or HTTP-date form, in ms from `now`. */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined || value.trim() === "") return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const findCode = (cause: unknown, depth = 0): string | undefined => {
  if (depth > 5 || typeof cause !== "object" || cause === null) return undefined
  const code = (cause as { code?: unknown }).code
  if (typeof code === "string") return code
  return findCode((cause as { cause?: unknown }).cause, depth + 1)
}

/** Errors raised before a single byte left: the Gateway cannot have executed anything. */
const notSentCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ERR_INVALID_URL"
])

const orderIdOf = (json: unknown): { readonly orderId?: number } => {
  const id = (json as { orderId?: unknown }).orderId
  return typeof id === "number" && Number.isSafeInteger(id) ? { orderId: id } : {}
}

const excerpt = (body: string): string => {
  const clean = redactString(body.replace(/\s+/g, " ").trim())
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean
}

const standardFormatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** The first leaf of a Schema issue: where it is (`["bars"][3]["t"]`) and what was wrong there. */
const issuePath = (issue: SchemaIssue.Issue): { path: string; message: string } => {
  const first = standardFormatter(issue).issues[0]
  if (first === undefined) return { path: "", message: "invalid value" }
  const path = (first.path ?? [])
    .map(
      (p) =>
        `[${JSON.stringify(typeof p === "object" && p !== null && "key" in p ? p.key : typeof p === "symbol" ? String(p) : p)}]`
    )
    .join("")
  return { path, message: first.message }
}

/** A Schema failure as a `Decode` reason naming the JSON path. */
export const decodeReason = (error: Schema.SchemaError): Reason => {
  const { path, message } = issuePath(error.issue)
  return Decode.make({ path, issue: message })
}

const schemaDecoder = <A>(schema: Schema.Top): Decoder<A> => {
  const decode = Schema.decodeUnknownEffect(schema as unknown as Schema.Codec<A, unknown>)
  return (json) => Effect.mapError(decode(json), decodeReason)
}

export class GatewayTransport extends Context.Service<
  GatewayTransport,
  {
    readonly send: <E extends AnyEndpoint, A = ResponseOf<E>>(
      endpoint: E,
      request: RequestOf<E>,
      options?: SendOptions<A>
    ) => Effect.Effect<A, GatewayError | ValidationError>
    readonly stats: Effect.Effect<TransportStats>
  }
>()("@projectx-effect/sdk/GatewayTransport") {
  static readonly make = Effect.gen(function* () {
    const config = yield* ProjectXConfig
    const limiter = yield* RateLimiter
    const breaker = yield* CircuitBreaker
    const http = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest(HttpClientRequest.prependUrl(config.urls.api)),
      HttpClient.mapRequest(HttpClientRequest.acceptJson)
    )
    // Plain counters: they are only ever bumped on this fiber's turn, and a Ref per bump was measurable.
    const counters = { requests: 0, attempts: 0, retries: 0, rateLimited: 0, failures: {} as Record<string, number> }
    const timeoutMs = Duration.toMillis(config.requestTimeout)
    // The limiter stamps a permit when it grants it, and the Gateway counts the request when it arrives.
    // A burst larger than the pool would wait inside undici after its permits were stamped, and arrive
    // spread out by that wait (past the limiter's margin on a slow link). So each bucket may have at most
    // half the pool in flight, taken before the permit: a granted request is sent at once, and one
    // bucket's backlog never holds the other's connections.
    const inFlight = {
      history: yield* Semaphore.make(Math.max(1, Math.floor(config.pool.connections / 2))),
      general: yield* Semaphore.make(Math.max(1, Math.ceil(config.pool.connections / 2)))
    }

    /** What is built once per endpoint rather than once per call. */
    interface Compiled {
      readonly encode: (request: unknown) => Effect.Effect<unknown, Schema.SchemaError>
      readonly decode: Decoder<unknown>
      readonly group: string
      readonly spanOptions: Tracer.SpanOptions
    }
    const compiled = new Map<AnyEndpoint, Compiled>()
    const compile = (endpoint: AnyEndpoint): Compiled => {
      let c = compiled.get(endpoint)
      if (c === undefined) {
        c = {
          encode: Schema.encodeUnknownEffect(endpoint.request as unknown as Schema.Codec<unknown, unknown>),
          decode: schemaDecoder(endpoint.response),
          group: groupOf(endpoint.path),
          spanOptions: {
            attributes: {
              "projectx.endpoint": endpoint.name,
              "projectx.bucket": endpoint.bucket,
              "http.request.method": endpoint.method,
              "url.path": endpoint.path
            },
            captureStackTrace: false
          }
        }
        compiled.set(endpoint, c)
      }
      return c
    }
    const decodeEnvelope = schemaDecoder<Envelope>(Envelope)

    // One schedule for every call: capped exponential backoff with jitter, at least a 429's Retry-After.
    const schedule = Schedule.exponential(config.retry.base).pipe(
      Schedule.jittered,
      Schedule.modifyDelay(({ duration, input }) => {
        const error = input as GatewayError
        const capped = Duration.min(duration, config.retry.cap)
        return Effect.as(
          Metrics.recordRetry(error.operation, error.reason._tag),
          error.reason._tag === "RateLimited"
            ? Duration.max(capped, Duration.millis(error.reason.retryAfterMs))
            : capped
        )
      })
    )

    const send = <E extends AnyEndpoint, A = ResponseOf<E>>(
      endpoint: E,
      request: RequestOf<E>,
      options: SendOptions<A> = {}
    ): Effect.Effect<A, GatewayError | ValidationError> => {
      const { encode, decode, group, spanOptions } = compile(endpoint)
      const fail = (reason: Reason) => Effect.fail(new GatewayError({ operation: endpoint.name, reason }))
      // Only a shared (Redis) store can fail; nothing was sent then.
      const limiterFailure = (error: { readonly message: string }) =>
        fail(Transport.make({ message: `rate limiter store: ${error.message}`, sent: false }))
      const decodePayload = (options.decode ?? decode) as Decoder<A>
      const decodeText = options.decodeText
      let attempts = 0
      const failedWith: Array<string> = []

      const shouldRetry = (error: GatewayError | ValidationError): boolean => {
        if (error._tag !== "GatewayError") return false
        const r = error.reason
        if (r._tag === "RateLimited") return true
        if (r._tag === "Transport" && !r.sent) return true
        if (!endpoint.retrySafe) return false
        return (
          r._tag === "Transport" ||
          r._tag === "Timeout" ||
          (r._tag === "HttpStatus" && (r.status >= 500 || r.status === 408))
        )
      }

      const exchange = (base: HttpClientRequest.HttpClientRequest) =>
        http.execute(base).pipe(
          Effect.flatMap((response) =>
            Effect.map(response.text, (text) => ({ status: response.status, headers: response.headers, text }))
          ),
          // One deadline for the whole exchange: headers and body.
          Effect.timeoutOption(config.requestTimeout),
          Effect.catchTag("HttpClientError", (error) => {
            const code = findCode(error.reason) ?? findCode((error.reason as { cause?: unknown }).cause)
            const sent = code === undefined || !notSentCodes.has(code)
            return fail(
              Transport.make({ message: `${code ?? error.reason._tag}: ${redactString(error.reason.message)}`, sent })
            )
          }),
          Effect.flatMap(Option.match({ onNone: () => fail(Timeout.make({ timeoutMs })), onSome: Effect.succeed }))
        )

      const interpret = (status: number, headers: Record<string, string | undefined>, text: string) =>
        Effect.gen(function* () {
          yield* Effect.annotateCurrentSpan("http.response.status_code", status)
          if (status === 401) {
            return yield* fail(Unauthorized.make({ message: "the Gateway refused the session token (401)" }))
          }
          if (status === 429) {
            const now = yield* Clock.currentTimeMillis
            const retryAfterMs = parseRetryAfter(headers["retry-after"], now) ?? DEFAULT_RETRY_AFTER_MS
            counters.rateLimited++
            yield* Metrics.recordRateLimited({ endpoint: endpoint.name, bucket: endpoint.bucket })
            yield* limiter.penalize(endpoint.bucket, Duration.millis(retryAfterMs)).pipe(Effect.catch(limiterFailure))
            return yield* fail(RateLimited.make({ retryAfterMs }))
          }
          if (status < 200 || status >= 300) return yield* fail(HttpStatus.make({ status, body: excerpt(text) }))
          if (decodeText !== undefined) {
            const direct = decodeText(text)
            if (direct !== undefined) return yield* direct.pipe(Effect.catch(fail))
          }
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            // Status/ping answers a bare `pong` as text/plain unless JSON is negotiated: take the text.
            if (!endpoint.enveloped) json = text
            else
              return yield* fail(
                Decode.make({ path: "", issue: `the body is not JSON: ${excerpt(text).slice(0, 80)}` })
              )
          }
          // The common case costs two property reads; anything else goes through the Envelope Schema.
          const ok =
            !endpoint.enveloped ||
            (typeof json === "object" &&
              json !== null &&
              (json as { success?: unknown }).success === true &&
              (json as { errorCode?: unknown }).errorCode === 0)
          if (!ok) {
            const envelope = yield* decodeEnvelope(json).pipe(Effect.catch(fail))
            if (!envelope.success || envelope.errorCode !== 0) {
              return yield* fail(
                Rejected.make({
                  code: envelope.errorCode,
                  name: envelope.success ? "Unknown" : errorCodeName(endpoint.errors, envelope.errorCode),
                  message: envelope.errorMessage ?? null,
                  ...orderIdOf(json)
                })
              )
            }
          }
          return yield* decodePayload(json).pipe(Effect.catch(fail))
        })

      return Effect.gen(function* () {
        counters.requests++
        let base =
          endpoint.method === "GET" ? HttpClientRequest.get(endpoint.path) : HttpClientRequest.post(endpoint.path)
        if (endpoint.hasBody) {
          const encoded = yield* encode(request).pipe(
            Effect.mapError((error) => {
              const { path, message } = issuePath(error.issue)
              return new ValidationError({ operation: endpoint.name, field: path || "request", allowed: message })
            })
          )
          base = HttpClientRequest.bodyText(base, JSON.stringify(encoded), "application/json")
        }
        if (endpoint.authenticated && options.token !== undefined) {
          base = HttpClientRequest.bearerToken(base, Redacted.value(options.token))
        }
        const attempt = Effect.gen(function* () {
          const { status, headers, text } = yield* inFlight[endpoint.bucket].withPermits(1)(
            Effect.gen(function* () {
              yield* limiter.acquire(endpoint.bucket).pipe(Effect.catch(limiterFailure))
              attempts++
              counters.attempts++
              return yield* exchange(base)
            })
          )
          return yield* interpret(status, headers, text)
        }).pipe(
          Effect.tapError((error) =>
            Effect.sync(() => failedWith.push(error._tag === "GatewayError" ? error.reason._tag : error._tag))
          )
        )

        return yield* attempt.pipe(
          Effect.retry({ schedule, times: config.retry.times, while: shouldRetry }),
          breaker.protect(group, endpoint.name),
          Metrics.trackRequest(endpoint.name),
          Effect.tapError((error) =>
            Effect.sync(() => {
              const key = error._tag === "GatewayError" ? error.reason._tag : error._tag
              counters.failures[key] = (counters.failures[key] ?? 0) + 1
            })
          ),
          Effect.ensuring(
            Effect.suspend(() => {
              if (attempts > 1) counters.retries += attempts - 1
              return Effect.annotateCurrentSpan({
                "projectx.attempts": attempts,
                ...(attempts > 1 ? { "projectx.retry.reasons": failedWith.slice(0, attempts - 1).join(",") } : {})
              })
            })
          )
        )
      }).pipe(Effect.withSpan(`ProjectX ${endpoint.name}`, spanOptions))
    }

    return GatewayTransport.of({
      send,
      stats: Effect.sync(() => ({ ...counters, failures: { ...counters.failures } }))
    })
  })

  static readonly layer = Layer.effect(GatewayTransport, GatewayTransport.make)
}

export class GatewayClient extends Context.Service<
  GatewayClient,
  {
    /** Calls `endpoint` with the session token; a 401 refreshes the session and retries once. */
    readonly call: <E extends AnyEndpoint, A = ResponseOf<E>>(
      endpoint: E,
      request: RequestOf<E>,
      options?: CallOptions<A>
    ) => Effect.Effect<A, GatewayError | ValidationError>
  }
>()("@projectx-effect/sdk/GatewayClient") {
  static readonly make = Effect.gen(function* () {
    const transport = yield* GatewayTransport
    const auth = yield* Auth
    const call = <E extends AnyEndpoint, A = ResponseOf<E>>(
      endpoint: E,
      request: RequestOf<E>,
      options: CallOptions<A> = {}
    ): Effect.Effect<A, GatewayError | ValidationError> => {
      if (!endpoint.authenticated) return transport.send(endpoint, request, options)
      return Effect.gen(function* () {
        const token = yield* auth.token
        return yield* transport.send(endpoint, request, { ...options, token }).pipe(
          Effect.catchIf(
            (e): e is GatewayError => e._tag === "GatewayError" && e.reason._tag === "Unauthorized",
            () =>
              Effect.gen(function* () {
                yield* Effect.logDebug(`${endpoint.name}: 401, refreshing the session and retrying once`)
                yield* auth.invalidate(token)
                const fresh = yield* auth.token
                return yield* transport.send(endpoint, request, { ...options, token: fresh }).pipe(
                  Effect.mapError((e) =>
                    e._tag === "GatewayError" && e.reason._tag === "Unauthorized"
                      ? new GatewayError({
                          operation: endpoint.name,
                          reason: Unauthorized.make({
                            message:
                              "the Gateway refused a freshly issued token twice; the session may have been ended elsewhere (one session per device) — log in again"
                          })
                        })
                      : e
                  )
                )
              })
          )
        )
      })
    }
    return GatewayClient.of({ call })
  })

  static readonly layer = Layer.effect(GatewayClient, GatewayClient.make)
}
