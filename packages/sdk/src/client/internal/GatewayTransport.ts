/**
 * One call's pipeline, without the session: rate limiter → circuit breaker → retry (only where the
 * contract says it is safe; 429 everywhere, since a 429 was not executed) → HTTP attempt with one deadline
 * → `interpret` (status, envelope, the endpoint's error code by name) → Schema decode, with one span per
 * call. The body is read under a size cap, and the `Date` header of every reply keeps an estimate of the
 * Gateway's clock (order lookups search around the Gateway's time, not ours). With the pool
 * `ProjectX.layerHttp` built the attempt is one undici `dispatch` (undiciExchange.ts: Effect's HttpClient
 * cost more CPU per call than the rest of the pipeline); with any other `HttpClient` it goes through that.
 * Everything per endpoint (codecs, spans, breaker and metric wrappers) is built once, on its first call.
 * Internal: `GatewayClient` is the public way in, adding the token and the 401 recovery; `Auth` uses this
 * directly because logging in cannot wait for a session.
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
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import { noCallSite } from "../../observability/internal/readSpan.ts"
import { redactString } from "../../observability/internal/redact.ts"
import * as Metrics from "../../observability/Metrics.ts"
import { CircuitBreaker, groupOf } from "../CircuitBreaker.ts"
import { GatewayError, type Reason, Timeout, TooLarge, Transport, ValidationError } from "../Errors.ts"
import { ProjectXConfig } from "../ProjectXConfig.ts"
import { RateLimiter } from "../RateLimiter.ts"
import { classifyStatus, decodeReason, issuePath, onAccepted, readBody, shouldRetry } from "./interpret.ts"
import {
  type Body,
  bodyText,
  type Dispatcher,
  exchange,
  joinChunks,
  releaseBody,
  UndiciPool
} from "./undiciExchange.ts"

/** Turns a parsed JSON body into the call's result, or a reason it is not acceptable. */
export type Decoder<A> = (json: unknown) => Effect.Effect<A, Reason>

/**
 * Turns a 2xx body's UTF-8 bytes straight into the call's result, or returns `undefined` to leave the
 * body to its text, `JSON.parse`, the envelope check and the `Decoder` (which then name whatever is wrong
 * with it). It reads the bytes before it returns and keeps no view of them: the transport frees their
 * buffer right after.
 */
export type BodyDecoder<A> = (bytes: Uint8Array) => Effect.Effect<A, Reason> | undefined

export interface SendOptions<A> {
  /** The bearer token; required by authenticated endpoints. Unwrapped only where the header is set. */
  readonly token?: Redacted.Redacted<string> | undefined
  /** A faster decoder for this payload (bars); it must enforce the same rules as the endpoint's Schema. */
  readonly decode?: Decoder<A> | undefined
  /**
   * Tried on a 2xx body's bytes before any text is made (bars: a scanner that skips the 1.8 MB string and
   * the objects). When it gives an Effect, that is the result; it must then enforce the envelope and
   * every rule `decode` does. Small replies through a caller's own `HttpClient` arrive as text and skip it.
   */
  readonly decodeBytes?: BodyDecoder<A> | undefined
}

/** What `GatewayClient.call` passes on to `GatewayTransport.send` (the token is its own). */
export type CallOptions<A> = Pick<SendOptions<A>, "decode" | "decodeBytes">

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

/** A reply as the pipeline reads it, whichever way it came: its body as bytes, or as text (small `HttpClient` replies). */
interface Reply {
  readonly status: number
  readonly headers: Record<string, string | undefined>
  readonly body: Body | string
}

/** The Gateway's clock as seen through `Date` headers: its time minus ours, once a reply carried one. */
export interface ServerClock {
  readonly offsetMs: number | undefined
}

/** Replies at least this long are read chunk by chunk on the HttpClient path, not through its `text`. */
const LARGE_BODY_BYTES = 256 * 1024

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

    // With the pool ProjectX.layerHttp built, requests go to undici directly (undiciExchange.ts).
    const pool = Option.getOrUndefined(yield* Effect.serviceOption(UndiciPool))
    // Trace headers on outgoing requests unless the application turned them off for its HTTP clients.
    const propagate = yield* HttpClient.TracerPropagationEnabled
    const api = config.urls.api.replace(/\/+$/, "")
    const jsonHeaders = { accept: "application/json", "content-type": "application/json" } as const

    /** What is built once per endpoint rather than once per call. */
    interface Compiled {
      readonly encode: (request: unknown) => Effect.Effect<unknown, Schema.SchemaError>
      readonly decode: Decoder<unknown>
      readonly spanName: string
      readonly spanOptions: Tracer.SpanOptionsNoTrace
      readonly attemptSpanOptions: Tracer.SpanOptionsNoTrace
      readonly origin: string
      readonly path: string
      readonly inFlight: Semaphore.Semaphore
      readonly protect: <A>(effect: Effect.Effect<A, GatewayError>) => Effect.Effect<A, GatewayError>
      readonly track: <A>(effect: Effect.Effect<A, GatewayError>) => Effect.Effect<A, GatewayError>
    }
    const compiled = new Map<AnyEndpoint, Compiled>()
    const compile = (endpoint: AnyEndpoint): Compiled => {
      let c = compiled.get(endpoint)
      if (c === undefined) {
        const url = new URL(api + endpoint.path)
        const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port)
        c = {
          encode: Schema.encodeUnknownEffect(endpoint.request as unknown as Schema.Codec<unknown, unknown>),
          decode: schemaDecoder(endpoint.response),
          spanName: `ProjectX ${endpoint.name}`,
          spanOptions: {
            attributes: {
              "projectx.endpoint": endpoint.name,
              "projectx.bucket": endpoint.bucket,
              "http.request.method": endpoint.method,
              "url.path": endpoint.path
            }
          },
          // The attributes Effect's HttpClient gives its client span (no query string, no headers).
          attemptSpanOptions: {
            kind: "client",
            attributes: {
              "http.request.method": endpoint.method,
              "url.full": url.href,
              "url.path": url.pathname,
              "url.scheme": url.protocol.slice(0, -1),
              "server.address": url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
              "server.port": port
            }
          },
          origin: url.origin,
          path: url.pathname + url.search,
          inFlight: inFlight[endpoint.bucket],
          protect: breaker.protect(groupOf(endpoint.path), endpoint.name),
          track: Metrics.trackRequest(endpoint.name)
        }
        compiled.set(endpoint, c)
      }
      return c
    }

    const failWith = (endpoint: AnyEndpoint, reason: Reason) =>
      Effect.fail(new GatewayError({ operation: endpoint.name, reason }))

    /** Only a refusal (4xx other than 408) is definite; any other reply may follow an execution. */
    const tooLargeReason = (endpoint: AnyEndpoint, status: number): Reason => {
      const reason = TooLarge.make({ limitBytes: maxBytes })
      return status >= 400 && status < 500 && status !== 408 ? reason : onAccepted(endpoint, reason)
    }

    const transportReason = (code: string | undefined, name: string, message: string): Reason =>
      Transport.make({
        message: `${code ?? name}: ${redactString(message)}`,
        sent: code === undefined || !notSentCodes.has(code)
      })

    /**
     * The Gateway's clock, from the reply's `Date` (whole seconds: the middle of that second). The header
     * changes once a second: replies within that second add nothing to the estimate, so they cost nothing.
     */
    const observeDate = (headers: Record<string, string | undefined>): Effect.Effect<void> | undefined => {
      const date = headers.date
      if (date === undefined || date === clock.lastDate) return undefined
      clock.lastDate = date
      const at = Date.parse(date)
      if (!Number.isFinite(at)) return undefined
      return Effect.map(Clock.currentTimeMillis, (now) => {
        clock.offsetMs = at + 500 - now
      })
    }

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

    /** The HttpClient path (a caller's own client, the unit tests' fakes): the body under the cap. */
    const readReplyBody = (
      endpoint: AnyEndpoint,
      response: HttpClientResponse.HttpClientResponse
    ): Effect.Effect<Body | string, GatewayError | HttpClientError.HttpClientError> => {
      const declared = Number(response.headers["content-length"] ?? Number.NaN)
      // A large reply (20,000 bars are 1.8 MB) is read chunk by chunk, not through `text`, whose Blob and
      // ArrayBuffer copies leave 3 × its size in ArrayBuffers that no GC frees before the next calls.
      if (Number.isFinite(declared) && declared <= maxBytes && declared < LARGE_BODY_BYTES) return response.text
      const tooLarge = Effect.suspend(() => failWith(endpoint, tooLargeReason(endpoint, response.status)))
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
          Effect.map(() => joinChunks(chunks, size))
        )
      })
    }

    const httpClientExchange = (endpoint: AnyEndpoint, base: HttpClientRequest.HttpClientRequest) =>
      http.execute(base).pipe(
        Effect.flatMap((response) =>
          Effect.map(
            readReplyBody(endpoint, response),
            (body): Reply => ({
              status: response.status,
              headers: response.headers,
              body
            })
          )
        ),
        // One deadline for the whole exchange: headers and body.
        Effect.timeoutOption(config.requestTimeout),
        Effect.catchTag("HttpClientError", (error) => {
          const code = findCode(error.reason) ?? findCode((error.reason as { cause?: unknown }).cause)
          return failWith(endpoint, transportReason(code, error.reason._tag, error.reason.message))
        }),
        Effect.flatMap(
          Option.match({
            onNone: () => failWith(endpoint, Timeout.make({ timeoutMs })),
            onSome: (reply) => Effect.succeed(reply)
          })
        )
      )

    /** The pool path: one `dispatch` under a client span named like Effect's (the method), with its attributes. */
    const poolExchange = (
      dispatcher: Dispatcher,
      endpoint: AnyEndpoint,
      c: Compiled,
      headers: Record<string, string>,
      body: string | undefined
    ): Effect.Effect<Reply, GatewayError> =>
      Effect.useSpan(endpoint.method, c.attemptSpanOptions, (span) => {
        if (propagate) {
          // W3C and B3 trace context, as Effect's HttpClient sends them.
          const parent = span.parent._tag === "Some" ? `-${span.parent.value.spanId}` : ""
          headers.traceparent = `00-${span.traceId.padStart(32, "0")}-${span.spanId}-${span.sampled ? "01" : "00"}`
          headers.b3 = `${span.traceId}-${span.spanId}-${span.sampled ? "1" : "0"}${parent}`
        }
        return Effect.flatMap(
          exchange(dispatcher, {
            origin: c.origin,
            path: c.path,
            method: endpoint.method,
            headers,
            body,
            timeoutMs,
            maxBytes
          }),
          (outcome): Effect.Effect<Reply, GatewayError> => {
            switch (outcome._tag) {
              case "Reply": {
                span.attribute("http.response.status_code", outcome.status)
                if (outcome.status >= 400) span.attribute("error.type", String(outcome.status))
                return Effect.succeed(outcome)
              }
              case "TooLarge":
                return failWith(endpoint, tooLargeReason(endpoint, outcome.status))
              case "Timeout":
                return failWith(endpoint, Timeout.make({ timeoutMs }))
              case "Error": {
                const code = findCode(outcome.error)
                return failWith(endpoint, transportReason(code, outcome.error.name, outcome.error.message))
              }
            }
          }
        )
      })

    /** What a reply means: the status line, the envelope, the payload's Schema (interpret.ts). */
    const interpretReply = <A>(
      endpoint: AnyEndpoint,
      reply: Reply,
      decodePayload: Decoder<A>,
      decodeBytes: BodyDecoder<A> | undefined
    ): Effect.Effect<A, GatewayError> => {
      const { status, headers, body } = reply
      const date = observeDate(headers)
      const annotated =
        date === undefined
          ? Effect.annotateCurrentSpan("http.response.status_code", status)
          : Effect.andThen(date, Effect.annotateCurrentSpan("http.response.status_code", status))
      if (status < 200 || status >= 300) {
        const text = typeof body === "string" ? body : bodyText(body)
        return Effect.andThen(
          annotated,
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            const failed = classifyStatus(status, headers, text, now)!
            if (failed._tag !== "RateLimited") return failWith(endpoint, failed)
            counters.rateLimited++
            return Metrics.recordRateLimited({ endpoint: endpoint.name, bucket: endpoint.bucket }).pipe(
              Effect.andThen(limiter.penalize(endpoint.bucket, Duration.millis(failed.retryAfterMs))),
              Effect.andThen(failWith(endpoint, failed))
            )
          })
        )
      }
      // Past the status line the Gateway has accepted the request: what cannot be read is ambiguous on an
      // endpoint that is not retry-safe (`onAccepted`).
      const failAccepted = (reason: Reason) => failWith(endpoint, onAccepted(endpoint, reason))
      if (decodeBytes !== undefined && typeof body !== "string") {
        // Straight from the bytes: no text is made when the decoder accepts them.
        const direct = decodeBytes(body.bytes)
        if (direct !== undefined) {
          releaseBody(body)
          return Effect.andThen(annotated, Effect.catch(direct, failAccepted))
        }
      }
      const json = readBody(endpoint, typeof body === "string" ? body : bodyText(body))
      const decoded = Result.isFailure(json)
        ? failWith(endpoint, json.failure)
        : Effect.catch(decodePayload(json.success), failAccepted)
      return Effect.andThen(annotated, decoded)
    }

    const send = <E extends AnyEndpoint, A = ResponseOf<E>>(
      endpoint: E,
      request: RequestOf<E>,
      options: SendOptions<A> = {}
    ): Effect.Effect<A, GatewayError | ValidationError> => {
      const c = compile(endpoint)
      const decodePayload = (options.decode ?? c.decode) as Decoder<A>
      const decodeBytes = options.decodeBytes
      const token = endpoint.authenticated && options.token !== undefined ? Redacted.value(options.token) : undefined
      let attempts = 0
      const failedWith: Array<string> = []

      const call = (body: string | undefined): Effect.Effect<A, GatewayError> => {
        let exchangeOnce: Effect.Effect<Reply, GatewayError>
        if (pool !== undefined) {
          exchangeOnce = Effect.suspend(() => {
            attempts++
            counters.attempts++
            // Fresh per attempt: the attempt's span adds its own trace context.
            const headers: Record<string, string> =
              body === undefined ? { accept: "application/json" } : { ...jsonHeaders }
            if (token !== undefined) headers.authorization = `Bearer ${token}`
            return poolExchange(pool, endpoint, c, headers, body)
          })
        } else {
          let base =
            endpoint.method === "GET" ? HttpClientRequest.get(endpoint.path) : HttpClientRequest.post(endpoint.path)
          if (body !== undefined) base = HttpClientRequest.bodyText(base, body, "application/json")
          if (token !== undefined) base = HttpClientRequest.bearerToken(base, token)
          exchangeOnce = Effect.suspend(() => {
            attempts++
            counters.attempts++
            return httpClientExchange(endpoint, base)
          })
        }
        // The permit stays in the limiter's window until the exchange has ended (RateLimiter header).
        const attempt = Effect.flatMap(
          c.inFlight.withPermits(1)(limiter.withPermit(endpoint.bucket, exchangeOnce)),
          (reply) => interpretReply(endpoint, reply, decodePayload, decodeBytes)
        )
        // The retry machinery (a schedule's step, its metadata, a catch per attempt) starts at the first
        // failure: it replays that failure to the schedule, so delays and `times` count as if it had run from
        // the start, and a call that succeeds at once pays one `catch`.
        const retrying = (first: GatewayError) => {
          let replayed = false
          const again = Effect.suspend(() => {
            if (replayed) return attempt
            replayed = true
            return Effect.fail(first)
          })
          return Effect.retry(again, {
            schedule,
            times: config.retry.times,
            while: (error) => {
              failedWith.push(error.reason._tag)
              return shouldRetry(endpoint, error)
            }
          })
        }
        return attempt.pipe(Effect.catch(retrying), c.protect, c.track)
      }

      let run: Effect.Effect<A, GatewayError | ValidationError>
      if (endpoint.hasBody) {
        run = Effect.flatMap(
          c.encode(request).pipe(
            Effect.mapError((error) => {
              const { path, message } = issuePath(error.issue)
              return new ValidationError({ operation: endpoint.name, field: path || "request", allowed: message })
            })
          ),
          (encoded) => call(JSON.stringify(encoded))
        )
      } else {
        run = call(undefined)
      }
      return Effect.suspend(() => {
        counters.requests++
        return run
      }).pipe(
        Effect.onExit((exit) => {
          if (exit._tag === "Failure") {
            const error = exit.cause.reasons.find((r) => r._tag === "Fail")?.error
            if (error !== undefined) {
              const key = error._tag === "GatewayError" ? error.reason._tag : error._tag
              counters.failures[key] = (counters.failures[key] ?? 0) + 1
            }
          }
          if (attempts > 1) counters.retries += attempts - 1
          return Effect.annotateCurrentSpan(
            attempts > 1
              ? {
                  "projectx.attempts": attempts,
                  "projectx.retry.reasons": failedWith.slice(0, attempts - 1).join(",")
                }
              : { "projectx.attempts": attempts }
          )
        }),
        // The call-site stack would be `send` itself on every call: not worth a `new Error()` per call.
        Effect.withSpan(c.spanName, c.spanOptions, noCallSite)
      )
    }

    return GatewayTransport.of({
      send,
      stats: Effect.sync(() => ({ ...counters, failures: { ...counters.failures } })),
      serverTime: Effect.map(Clock.currentTimeMillis, (now) => now + (clock.offsetMs ?? 0))
    })
  })

  static readonly layer = Layer.effect(GatewayTransport, GatewayTransport.make)
}
