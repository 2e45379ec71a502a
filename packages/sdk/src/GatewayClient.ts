/**
 * The only way to call the Gateway. `GatewayTransport.send` is one call's pipeline: rate limiter →
 * circuit breaker → retry (only where the contract says it is safe; 429 everywhere, since a 429 was not
 * executed) → HTTP attempt with a timeout → envelope check → the endpoint's error code by name → Schema
 * decode, with one span per call and per-attempt spans from the HttpClient. `GatewayClient.call` adds the
 * session token and the single invalidate-and-retry on 401.
 */
import { type AnyEndpoint, Envelope, errorCodeName, type RequestOf, type ResponseOf } from "@projectx-effect/gateway"
import { Context, Duration, Effect, Layer, Option, Redacted, Ref, Schedule, Schema, SchemaIssue } from "effect"
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
import { scrubTokens } from "./internal/jwt.ts"
import * as Metrics from "./Metrics.ts"
import { ProjectXConfig } from "./ProjectXConfig.ts"
import { RateLimiter } from "./RateLimiter.ts"

/** Turns a parsed JSON body into the call's result, or a reason it is not acceptable. */
export type Decoder<A> = (json: unknown) => Effect.Effect<A, Reason>

export interface SendOptions<A> {
  /** The bearer token; required by authenticated endpoints. Unwrapped only where the header is set. */
  readonly token?: Redacted.Redacted<string> | undefined
  /** A faster decoder for this payload (bars); it must enforce the same rules as the endpoint's Schema. */
  readonly decode?: Decoder<A> | undefined
}

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
  const clean = scrubTokens(body.replace(/\s+/g, " ").trim())
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
    const counters = yield* Ref.make({
      requests: 0,
      attempts: 0,
      retries: 0,
      rateLimited: 0,
      failures: {} as Record<string, number>
    })
    const timeoutMs = Duration.toMillis(config.requestTimeout)
    const encoders = new Map<AnyEndpoint, (request: unknown) => Effect.Effect<unknown, Schema.SchemaError>>()
    const decoders = new Map<AnyEndpoint, Decoder<unknown>>()
    const encoderOf = (endpoint: AnyEndpoint) => {
      let encode = encoders.get(endpoint)
      if (encode === undefined) {
        encode = Schema.encodeUnknownEffect(endpoint.request as unknown as Schema.Codec<unknown, unknown>)
        encoders.set(endpoint, encode)
      }
      return encode
    }
    const decoderOf = (endpoint: AnyEndpoint): Decoder<unknown> => {
      let decode = decoders.get(endpoint)
      if (decode === undefined) {
        decode = schemaDecoder(endpoint.response)
        decoders.set(endpoint, decode)
      }
      return decode
    }
    const decodeEnvelope = schemaDecoder<Envelope>(Envelope)

    const send = <E extends AnyEndpoint, A = ResponseOf<E>>(
      endpoint: E,
      request: RequestOf<E>,
      options: SendOptions<A> = {}
    ): Effect.Effect<A, GatewayError | ValidationError> =>
      Effect.gen(function* () {
        const fail = (reason: Reason) => Effect.fail(new GatewayError({ operation: endpoint.name, reason }))
        // Only a shared (Redis) store can fail; nothing was sent then.
        const limiterFailure = (error: { readonly message: string }) =>
          fail(Transport.make({ message: `rate limiter store: ${error.message}`, sent: false }))
        yield* Ref.update(counters, (c) => ({ ...c, requests: c.requests + 1 }))
        const body = endpoint.hasBody
          ? yield* encoderOf(endpoint)(request).pipe(
              Effect.map((encoded) => JSON.stringify(encoded)),
              Effect.mapError((error) => {
                const { path, message } = issuePath(error.issue)
                return new ValidationError({ operation: endpoint.name, field: path || "request", allowed: message })
              })
            )
          : undefined
        let base =
          endpoint.method === "GET" ? HttpClientRequest.get(endpoint.path) : HttpClientRequest.post(endpoint.path)
        if (body !== undefined) base = HttpClientRequest.bodyText(base, body, "application/json")
        if (endpoint.authenticated && options.token !== undefined) {
          base = HttpClientRequest.bearerToken(base, Redacted.value(options.token))
        }
        const decodePayload = (options.decode ?? decoderOf(endpoint)) as Decoder<A>
        const attempts = yield* Ref.make(0)
        const retryReasons: Array<string> = []

        const attempt = Effect.gen(function* () {
          yield* limiter.acquire(endpoint.bucket).pipe(Effect.catch(limiterFailure))
          yield* Ref.update(attempts, (n) => n + 1)
          yield* Ref.update(counters, (c) => ({ ...c, attempts: c.attempts + 1 }))
          const response = yield* http.execute(base).pipe(
            Effect.timeoutOption(config.requestTimeout),
            Effect.catchTag("HttpClientError", (error) => {
              const code = findCode(error.reason) ?? findCode((error.reason as { cause?: unknown }).cause)
              const sent = code === undefined || !notSentCodes.has(code)
              return fail(
                Transport.make({ message: `${code ?? error.reason._tag}: ${scrubTokens(error.reason.message)}`, sent })
              )
            }),
            Effect.flatMap(Option.match({ onNone: () => fail(Timeout.make({ timeoutMs })), onSome: Effect.succeed }))
          )
          const text = yield* response.text.pipe(
            Effect.timeoutOption(config.requestTimeout),
            Effect.catchTag("HttpClientError", (error) =>
              fail(Transport.make({ message: `reading the body: ${scrubTokens(error.reason.message)}`, sent: true }))
            ),
            Effect.flatMap(Option.match({ onNone: () => fail(Timeout.make({ timeoutMs })), onSome: Effect.succeed }))
          )
          yield* Effect.annotateCurrentSpan("http.response.status_code", response.status)
          if (response.status === 401) {
            return yield* fail(Unauthorized.make({ message: "the Gateway refused the session token (401)" }))
          }
          if (response.status === 429) {
            const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
            const retryAfterMs = parseRetryAfter(response.headers["retry-after"], now) ?? DEFAULT_RETRY_AFTER_MS
            yield* Ref.update(counters, (c) => ({ ...c, rateLimited: c.rateLimited + 1 }))
            yield* Metrics.recordRateLimited({ endpoint: endpoint.name, bucket: endpoint.bucket })
            yield* limiter.penalize(endpoint.bucket, Duration.millis(retryAfterMs)).pipe(Effect.catch(limiterFailure))
            return yield* fail(RateLimited.make({ retryAfterMs }))
          }
          if (response.status < 200 || response.status >= 300) {
            return yield* fail(HttpStatus.make({ status: response.status, body: excerpt(text) }))
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
          if (endpoint.enveloped) {
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

        const shouldRetry = (error: GatewayError): boolean => {
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
        const schedule = Schedule.exponential(config.retry.base).pipe(
          Schedule.jittered,
          Schedule.modifyDelay(({ duration, input }) => {
            const capped = Duration.min(duration, config.retry.cap)
            const error = input as GatewayError
            retryReasons.push(error.reason._tag)
            return Effect.as(
              Metrics.recordRetry(endpoint.name, error.reason._tag),
              error.reason._tag === "RateLimited"
                ? Duration.max(capped, Duration.millis(error.reason.retryAfterMs))
                : capped
            )
          })
        )
        const protectedCall = attempt.pipe(
          Effect.retry({
            schedule,
            times: config.retry.times,
            while: (e) => e instanceof GatewayError && shouldRetry(e)
          }),
          breaker.protect(groupOf(endpoint.path), endpoint.name),
          Metrics.trackRequest(endpoint.name)
        )
        return yield* protectedCall.pipe(
          Effect.tapError((error) =>
            Ref.update(counters, (c) => {
              const key = error._tag === "GatewayError" ? error.reason._tag : error._tag
              return { ...c, failures: { ...c.failures, [key]: (c.failures[key] ?? 0) + 1 } }
            })
          ),
          Effect.ensuring(
            Effect.gen(function* () {
              const n = yield* Ref.get(attempts)
              if (n > 1) yield* Ref.update(counters, (c) => ({ ...c, retries: c.retries + n - 1 }))
              yield* Effect.annotateCurrentSpan({
                "projectx.attempts": n,
                ...(retryReasons.length > 0 ? { "projectx.retry.reasons": retryReasons.join(",") } : {})
              })
            })
          )
        )
      }).pipe(
        Effect.withSpan(`ProjectX ${endpoint.name}`, {
          attributes: {
            "projectx.endpoint": endpoint.name,
            "projectx.bucket": endpoint.bucket,
            "http.request.method": endpoint.method,
            "url.path": endpoint.path
          }
        })
      )

    return GatewayTransport.of({
      send,
      stats: Ref.get(counters)
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
      options?: { readonly decode?: Decoder<A> }
    ) => Effect.Effect<A, GatewayError | ValidationError>
  }
>()("@projectx-effect/sdk/GatewayClient") {
  static readonly make = Effect.gen(function* () {
    const transport = yield* GatewayTransport
    const auth = yield* Auth
    const call = <E extends AnyEndpoint, A = ResponseOf<E>>(
      endpoint: E,
      request: RequestOf<E>,
      options: { readonly decode?: Decoder<A> } = {}
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
