/**
 * One call's pipeline, without the session: rate limiter → circuit breaker → retry (only where the
 * contract says it is safe; 429 everywhere, since a 429 was not executed) → HTTP attempt with one deadline
 * → `interpret` (status, envelope, the endpoint's error code by name) → Schema decode, with one span per
 * call. The body is read under a size cap, and the `Date` header of every reply keeps an estimate of the
 * Gateway's clock (order lookups search around the Gateway's time, not ours). Internal: `GatewayClient` is the public way in, adding the token and the 401 recovery; `Auth` uses
 * this directly because logging in cannot wait for a session.
 */
import type { AnyEndpoint, RequestOf, ResponseOf } from "@projectx-effect/gateway"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import { redactString } from "../../observability/internal/redact.ts"
import * as Metrics from "../../observability/Metrics.ts"
import { CircuitBreaker, groupOf } from "../CircuitBreaker.ts"
import { GatewayError, type Reason, Timeout, TooLarge, Transport, ValidationError } from "../Errors.ts"
import { ProjectXConfig } from "../ProjectXConfig.ts"
import { RateLimiter } from "../RateLimiter.ts"
import { classifyStatus, decodeReason, issuePath, onAccepted, readBody, shouldRetry } from "./interpret.ts"

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

/** The Gateway's clock as seen through `Date` headers: its time minus ours, once a reply carried one. */
export interface ServerClock {
  readonly offsetMs: number | undefined
}

/** Concatenates body chunks without Node's Buffer. */
const concatBytes = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

/** Frees a buffer that is ours alone now rather than at a later GC (ES2024 `ArrayBuffer.prototype.transfer`). */
const release = (buffer: ArrayBufferLike): void => {
  ;(buffer as { transfer?: (length: number) => unknown }).transfer?.(0)
}

/** Replies at least this long are read by `decodeOnce` rather than the HTTP client's `text`. */
const LARGE_BODY_BYTES = 256 * 1024

const utf8 = new TextDecoder()

/**
 * The chunks as text, through one buffer of their size that is released as soon as it is decoded (it is
 * ours alone): a large reply's bytes do not wait for a GC that a process with a quiet heap may not run.
 */
const decodeOnce = (chunks: ReadonlyArray<Uint8Array>, size: number): string => {
  const bytes = concatBytes(chunks, size)
  const text = utf8.decode(bytes)
  release(bytes.buffer)
  return text
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
    /** The Gateway's current time, estimated from the `Date` header of its last reply (ours until one). */
    readonly serverTime: Effect.Effect<number>
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
    const maxBytes = config.maxResponseBytes
    const clock: { offsetMs: number | undefined; lastDate: string | undefined } = {
      offsetMs: undefined,
      lastDate: undefined
    }
    // A permit stays in the limiter's window until its reply has arrived, so a request that waited inside
    // undici for a connection after its grant would hold budget it is not using. Each bucket may have at
    // most half the pool in flight, taken before the permit: a granted request is sent at once, and one
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
      readonly spanName: string
      readonly spanOptions: Tracer.SpanOptionsNoTrace
    }
    const compiled = new Map<AnyEndpoint, Compiled>()
    const compile = (endpoint: AnyEndpoint): Compiled => {
      let c = compiled.get(endpoint)
      if (c === undefined) {
        c = {
          encode: Schema.encodeUnknownEffect(endpoint.request as unknown as Schema.Codec<unknown, unknown>),
          decode: schemaDecoder(endpoint.response),
          group: groupOf(endpoint.path),
          spanName: `ProjectX ${endpoint.name}`,
          spanOptions: {
            attributes: {
              "projectx.endpoint": endpoint.name,
              "projectx.bucket": endpoint.bucket,
              "http.request.method": endpoint.method,
              "url.path": endpoint.path
            }
          }
        }
        compiled.set(endpoint, c)
      }
      return c
    }

    // The span's call-site stack would be `send` itself on every call: not worth a `new Error()` per call.
    const noStackTrace: Tracer.TraceOptions = { captureStackTrace: false }

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
      const { encode, decode, group, spanName, spanOptions } = compile(endpoint)
      const fail = (reason: Reason) => Effect.fail(new GatewayError({ operation: endpoint.name, reason }))
      // Only a shared (Redis) store can fail; nothing was sent then.
      const limiterFailure = (error: { readonly message: string }) =>
        fail(Transport.make({ message: `rate limiter store: ${error.message}`, sent: false }))
      const decodePayload = (options.decode ?? decode) as Decoder<A>
      const decodeText = options.decodeText
      let attempts = 0
      const failedWith: Array<string> = []

      /**
       * The body as text, at most `maxBytes`: a declared length is checked before reading, an undeclared
       * one while streaming. Past the cap the body stream is closed, which destroys the connection.
       */
      const readText = (response: HttpClientResponse.HttpClientResponse) => {
        const declared = Number(response.headers["content-length"] ?? Number.NaN)
        // A large reply (20,000 bars are 1.8 MB) is read chunk by chunk, not through `text`, whose Blob and
        // ArrayBuffer copies leave 3 × its size in ArrayBuffers that no GC frees before the next calls.
        if (Number.isFinite(declared) && declared <= maxBytes && declared < LARGE_BODY_BYTES) return response.text
        const { status } = response
        const reason = TooLarge.make({ limitBytes: maxBytes })
        // Only a refusal (4xx other than 408) is definite; any other reply may follow an execution.
        const tooLarge = fail(status >= 400 && status < 500 && status !== 408 ? reason : onAccepted(endpoint, reason))
        if (Number.isFinite(declared) && declared > maxBytes) {
          return response.stream.pipe(Stream.take(1), Stream.runDrain, Effect.ignore, Effect.andThen(tooLarge))
        }
        return Effect.suspend(() => {
          const chunks: Array<Uint8Array> = []
          let size = 0
          return response.stream.pipe(
            Stream.runForEach((chunk) => {
              size += chunk.length
              if (size > maxBytes) return tooLarge
              chunks.push(chunk)
              return Effect.void
            }),
            Effect.map(() => decodeOnce(chunks, size))
          )
        })
      }

      /** The Gateway's clock, from the reply's `Date` (whole seconds: the middle of that second). */
      const observeDate = (headers: Record<string, string | undefined>) => {
        const date = headers.date
        // The header changes once a second: replies within that second add nothing to the estimate.
        if (date === undefined || date === clock.lastDate) return Effect.void
        clock.lastDate = date
        const at = Date.parse(date)
        if (!Number.isFinite(at)) return Effect.void
        return Effect.map(Clock.currentTimeMillis, (now) => {
          clock.offsetMs = at + 500 - now
        })
      }

      const exchange = (base: HttpClientRequest.HttpClientRequest) =>
        http.execute(base).pipe(
          Effect.tap((response) => observeDate(response.headers)),
          Effect.flatMap((response) =>
            Effect.map(readText(response), (text) => ({ status: response.status, headers: response.headers, text }))
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

      const interpretReply = (status: number, headers: Record<string, string | undefined>, text: string) =>
        Effect.gen(function* () {
          yield* Effect.annotateCurrentSpan("http.response.status_code", status)
          const failed = classifyStatus(status, headers, text, yield* Clock.currentTimeMillis)
          if (failed !== undefined) {
            if (failed._tag === "RateLimited") {
              counters.rateLimited++
              yield* Metrics.recordRateLimited({ endpoint: endpoint.name, bucket: endpoint.bucket })
              yield* limiter
                .penalize(endpoint.bucket, Duration.millis(failed.retryAfterMs))
                .pipe(Effect.catch(limiterFailure))
            }
            return yield* fail(failed)
          }
          // Past the status line the Gateway has accepted the request: what cannot be read is ambiguous
          // on an endpoint that is not retry-safe (`onAccepted`).
          const failAccepted = (reason: Reason) => fail(onAccepted(endpoint, reason))
          if (decodeText !== undefined) {
            const direct = decodeText(text)
            if (direct !== undefined) return yield* direct.pipe(Effect.catch(failAccepted))
          }
          const body = readBody(endpoint, text)
          if (Result.isFailure(body)) return yield* fail(body.failure)
          return yield* decodePayload(body.success).pipe(Effect.catch(failAccepted))
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
            // The permit stays in the limiter's window until the exchange has ended (RateLimiter header).
            limiter.withPermit(
              endpoint.bucket,
              Effect.suspend(() => {
                attempts++
                counters.attempts++
                return exchange(base)
              })
            )
          )
          return yield* interpretReply(status, headers, text)
        }).pipe(
          Effect.tapError((error) =>
            Effect.sync(() => failedWith.push(error._tag === "GatewayError" ? error.reason._tag : error._tag))
          )
        )

        return yield* attempt.pipe(
          Effect.retry({ schedule, times: config.retry.times, while: (error) => shouldRetry(endpoint, error) }),
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
      }).pipe(Effect.withSpan(spanName, spanOptions, noStackTrace))
    }

    return GatewayTransport.of({
      send,
      stats: Effect.sync(() => ({ ...counters, failures: { ...counters.failures } })),
      serverTime: Effect.map(Clock.currentTimeMillis, (now) => now + (clock.offsetMs ?? 0))
    })
  })

  static readonly layer = Layer.effect(GatewayTransport, GatewayTransport.make)
}
