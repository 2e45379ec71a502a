import * as Http from "node:http"
import { createRequire } from "node:module"
import type { AddressInfo } from "node:net"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import type * as OtelApi from "@opentelemetry/api"
import type * as OtelNode from "@opentelemetry/sdk-trace-node"
import { ConfigProvider, Context, Effect, Fiber, Layer } from "effect"
import { constTrue } from "effect/Function"
import { HttpClient, HttpClientRequest } from "effect/http"
import { TestClock } from "effect/testing"
import * as Metrics from "../src/observability/Metrics.ts"
import * as Telemetry from "../src/observability/Telemetry.ts"
import * as SpanRecorder from "../src/testing/SpanRecorder.ts"
import * as Redact from "../src/observability/internal/redact.ts"
import { OtlpReceiver } from "../src/testing/OtlpReceiver.ts"

// The OpenTelemetry SDK is loaded lazily so the rest of this file runs even where it cannot load: a
// workspace that resolves with the "module" condition (passed to Node as --conditions=module) gets
// @opentelemetry/api's "module" build, whose extension-less imports Node rejects.
const otel = (() => {
  const require = createRequire(import.meta.url)
  try {
    return {
      api: require("@opentelemetry/api") as typeof OtelApi,
      node: require("@opentelemetry/sdk-trace-node") as typeof OtelNode,
      nodeSdk: require("@effect/opentelemetry/NodeSdk") as unknown
    }
  } catch (cause) {
    return { unavailable: String(cause) }
  }
})()
type InMemorySpanExporter = OtelNode.InMemorySpanExporter
type NodeTracerProvider = OtelNode.NodeTracerProvider

// A JWT-shaped value: it must never show up in anything exported.
const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"

/** A loopback HTTP server that answers every request with a small JSON body. */
class Upstream extends Context.Service<Upstream, { readonly url: string; readonly hits: () => number }>()(
  "test/Upstream"
) {
  static readonly layer = Layer.effect(Upstream)(
    Effect.acquireRelease(
      Effect.promise(async () => {
        let hits = 0
        const server = Http.createServer((_request, response) => {
          hits++
          response.writeHead(200, { "content-type": "application/json" }).end('{"success":true}')
        })
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
        const { port } = server.address() as AddressInfo
        return { server, url: `http://127.0.0.1:${port}/api/Toy/call`, hits: () => hits }
      }),
      ({ server }) =>
        Effect.promise(
          () =>
            new Promise<void>((resolve) => {
              server.closeAllConnections()
              server.close(() => resolve())
            })
        )
    )
  )
}

/** The toy call tree: Outer → Inner → one HTTP request carrying a bearer token. */
const inner = Effect.fn("Inner")(function* (url: string) {
  yield* Effect.annotateCurrentSpan({ "toy.endpoint": "Toy/call", newToken: jwt, note: `issued ${jwt}` })
  const client = yield* HttpClient.HttpClient
  const response = yield* client.execute(
    HttpClientRequest.post(url).pipe(HttpClientRequest.bearerToken(jwt), HttpClientRequest.bodyJsonUnsafe({ a: 1 }))
  )
  yield* Metrics.recordRequest({ endpoint: "Toy/call", outcome: "success", durationMs: 12 })
  return response.status
})

const outer = Effect.fn("Outer")(function* (url: string) {
  return yield* inner(url)
})

const byName = <S extends { readonly name: string }>(spans: ReadonlyArray<S>, name: string): S => {
  const found = spans.filter((span) => span.name === name)
  assert.strictEqual(found.length, 1, `exactly one ${name} span in ${spans.map((s) => s.name).join(", ")}`)
  return found[0]!
}

// Record every header on client spans, so the test proves Authorization is redacted, not merely absent.
const captureAllHeaders = Layer.succeed(HttpClient.TracerHeaderFilter)(constTrue)

describe("Telemetry.layerOtlp", () => {
  it.live("exports Outer → Inner → HTTP client spans and the SDK metrics to an OTLP/HTTP receiver", () =>
    Effect.gen(function* () {
      const receiver = yield* OtlpReceiver
      const upstream = yield* Upstream
      const telemetry = Telemetry.layerOtlp({
        url: receiver.url,
        serviceName: "telemetry-test",
        exportInterval: "1 hour" // only the flush on release may deliver: it must
      })

      const status = yield* outer(upstream.url).pipe(
        Effect.provide(
          Layer.mergeAll(telemetry, NodeHttpClient.layerUndici, captureAllHeaders).pipe(
            Layer.provideMerge(Metrics.layerIsolated)
          )
        )
      )
      assert.strictEqual(status, 200)

      const spans = receiver.spans()
      const outerSpan = byName(spans, "Outer")
      const innerSpan = byName(spans, "Inner")
      const httpSpan = byName(spans, "POST")
      assert.strictEqual(outerSpan.parentSpanId, undefined)
      assert.strictEqual(innerSpan.parentSpanId, outerSpan.spanId)
      assert.strictEqual(httpSpan.parentSpanId, innerSpan.spanId)
      assert.strictEqual(httpSpan.kind, "client")
      assert.strictEqual(new Set(spans.map((span) => span.traceId)).size, 1)
      assert.strictEqual(httpSpan.attributes["http.response.status_code"], 200)
      assert.strictEqual(httpSpan.attributes["url.full"], upstream.url)
      assert.strictEqual(outerSpan.resource["service.name"], "telemetry-test")

      // No credential in anything exported, and the Authorization header shows as redacted.
      assert.notInclude(JSON.stringify(spans), "eyJ")
      assert.strictEqual(httpSpan.attributes["http.request.header.authorization"], Redact.REDACTED)
      assert.strictEqual(innerSpan.attributes.newToken, Redact.REDACTED)
      assert.strictEqual(innerSpan.attributes.note, `issued ${Redact.REDACTED}`)
      assert.strictEqual(innerSpan.attributes["toy.endpoint"], "Toy/call")

      // The exporter's own posts are neither traced nor carry trace context.
      assert.isFalse(spans.some((span) => String(span.attributes["url.full"] ?? "").includes("/v1/")))
      const posts = receiver.requests().filter((request) => request.path.startsWith("/v1/"))
      assert.isTrue(posts.length >= 2)
      assert.isTrue(posts.every((request) => request.headers.traceparent === undefined))

      // Metrics arrive too, with their labels.
      const requests = receiver.latestMetrics().get("projectx_requests_total")
      assert.isDefined(requests)
      assert.strictEqual(requests!.type, "sum")
      assert.deepStrictEqual(requests!.dataPoints, [
        {
          attributes: { endpoint: "Toy/call", outcome: "success" },
          value: 1,
          timeUnixNano: requests!.dataPoints[0]!.timeUnixNano
        }
      ])
      const latency = receiver.latestMetrics().get("projectx_request_duration_seconds")
      assert.strictEqual(latency?.type, "histogram")
      assert.strictEqual(latency?.dataPoints[0]?.count, 1)
      assert.strictEqual(latency?.dataPoints[0]?.sum, 0.012)
    }).pipe(Effect.provide(Layer.merge(OtlpReceiver.layer, Upstream.layer)))
  )

  it.live("withMemory records spans locally AND exports them", () =>
    Effect.gen(function* () {
      const receiver = yield* OtlpReceiver
      const upstream = yield* Upstream
      const telemetry = SpanRecorder.withMemory(
        Telemetry.layerOtlp({ url: receiver.url, metrics: false, exportInterval: "1 hour" })
      )
      const recorded = yield* Effect.gen(function* () {
        yield* outer(upstream.url)
        const recorder = yield* SpanRecorder.SpanRecorder
        return yield* recorder.spans
      }).pipe(Effect.provide(Layer.merge(telemetry, NodeHttpClient.layerUndici)))

      const exported = receiver.spans()
      assert.deepStrictEqual(recorded.map((span) => span.name).sort(), ["Inner", "Outer", "POST"])
      assert.deepStrictEqual(
        exported.map((span) => span.spanId).sort(),
        recorded.map((span) => span.spanId).sort(),
        "the same spans went both ways"
      )
      const innerRecord = byName(recorded, "Inner")
      assert.strictEqual(byName(recorded, "POST").parentSpanId, innerRecord.spanId)
      assert.strictEqual(innerRecord.parentSpanId, byName(recorded, "Outer").spanId)
      assert.strictEqual(innerRecord.attributes.newToken, Redact.REDACTED)
      assert.isTrue(receiver.requests().every((request) => !request.path.endsWith("/v1/metrics")))
    }).pipe(Effect.provide(Layer.merge(OtlpReceiver.layer, Upstream.layer)))
  )

  it.live("reads OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES through Config", () =>
    Effect.gen(function* () {
      const receiver = yield* OtlpReceiver
      const env = ConfigProvider.fromEnvRecord({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: "bot-from-env",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=test,team=futures%20desk",
        OTEL_METRICS_EXPORTER: "none"
      })
      yield* Effect.void.pipe(
        Effect.withSpan("FromEnv"),
        Effect.provide(Telemetry.layerOtlp().pipe(Layer.provide(ConfigProvider.layer(env))))
      )
      const span = byName(receiver.spans(), "FromEnv")
      assert.strictEqual(span.resource["service.name"], "bot-from-env")
      assert.strictEqual(span.resource["deployment.environment"], "test")
      assert.strictEqual(span.resource.team, "futures desk")
      assert.deepStrictEqual(
        receiver.requests().map((request) => request.path),
        ["/v1/traces"]
      )
    }).pipe(Effect.provide(OtlpReceiver.layer))
  )

  it.live("OTEL_SDK_DISABLED=true exports nothing", () =>
    Effect.gen(function* () {
      const receiver = yield* OtlpReceiver
      const env = ConfigProvider.fromEnvRecord({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })
      yield* Metrics.recordCacheHit().pipe(
        Effect.withSpan("Disabled"),
        Effect.provide(Telemetry.layerOtlp().pipe(Layer.provide(ConfigProvider.layer(env))))
      )
      assert.deepStrictEqual(receiver.requests(), [])
    }).pipe(Effect.provide(OtlpReceiver.layer))
  )

  it.effect("otlpSettings: options override variables, signal endpoints override the base endpoint", () =>
    Effect.gen(function* () {
      const env = ConfigProvider.fromEnvRecord({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/base",
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://metrics:9000/custom",
        OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=a,api-key=secret%20value",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_BSP_SCHEDULE_DELAY: "250"
      })
      const fromEnv = yield* Telemetry.otlpSettings().pipe(Effect.provideService(ConfigProvider.ConfigProvider, env))
      assert.strictEqual(fromEnv.tracesUrl, "http://collector:4318/base/v1/traces")
      assert.strictEqual(fromEnv.metricsUrl, "http://metrics:9000/custom")
      assert.deepStrictEqual(fromEnv.tracesHeaders, { "x-tenant": "a", "api-key": "secret value" })
      assert.strictEqual(fromEnv.protocol, "protobuf")
      assert.strictEqual(fromEnv.tracesExportInterval, "250 millis")
      assert.strictEqual(fromEnv.serviceName, Telemetry.defaultServiceName)

      const overridden = yield* Telemetry.otlpSettings({
        url: "http://127.0.0.1:4318",
        serviceName: "mine",
        exportInterval: "1 second"
      }).pipe(Effect.provideService(ConfigProvider.ConfigProvider, env))
      assert.strictEqual(overridden.tracesUrl, "http://127.0.0.1:4318/v1/traces")
      assert.strictEqual(overridden.metricsUrl, "http://127.0.0.1:4318/v1/metrics")
      assert.strictEqual(overridden.serviceName, "mine")
      assert.strictEqual(overridden.tracesExportInterval, "1 second")

      const empty = yield* Telemetry.otlpSettings().pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord({}))
      )
      assert.strictEqual(empty.tracesUrl, "http://localhost:4318/v1/traces")
      assert.strictEqual(empty.protocol, "json")
    })
  )
})

describe.skipIf("unavailable" in otel)(
  `Telemetry.layerNodeSdk ${"unavailable" in otel ? `(OpenTelemetry cannot load: ${otel.unavailable})` : ""}`,
  () => {
    // Only dereferenced inside tests, which do not run when the SDK is unavailable.
    const sdk = otel as Exclude<typeof otel, { readonly unavailable: string }>
    const withAppProvider = <A, E>(
      body: (app: {
        readonly exporter: InMemorySpanExporter
        readonly provider: NodeTracerProvider
      }) => Effect.Effect<A, E>
    ) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          const exporter = new sdk.node.InMemorySpanExporter()
          const provider = new sdk.node.NodeTracerProvider({
            spanProcessors: [new sdk.node.SimpleSpanProcessor(exporter)]
          })
          provider.register() // what an application running the Node SDK has done at start-up
          return { exporter, provider }
        }),
        body,
        ({ provider }) =>
          Effect.promise(() => provider.shutdown()).pipe(
            Effect.ensuring(
              Effect.sync(() => {
                sdk.api.trace.disable()
                sdk.api.context.disable()
                sdk.api.propagation.disable()
              })
            )
          )
      )

    /** Runs `effect` inside an active application span, as an instrumented request handler would. */
    const underAppRoot = <A, E>(effect: Effect.Effect<A, E>) =>
      Effect.promise(() =>
        sdk.api.trace.getTracer("app").startActiveSpan("app.handle", async (root) => {
          try {
            return { root: root.spanContext(), value: await Effect.runPromise(effect) }
          } finally {
            root.end()
          }
        })
      )

    it.live("spans of a layer-owned provider land under the application's active root span", () =>
      withAppProvider(() =>
        Effect.gen(function* () {
          const upstream = yield* Upstream
          const exporter = new sdk.node.InMemorySpanExporter()
          const program = Effect.gen(function* () {
            yield* outer(upstream.url)
            // Read before the layer closes: provider shutdown clears an InMemorySpanExporter.
            return exporter.getFinishedSpans().map((span) => ({
              name: span.name,
              spanId: span.spanContext().spanId,
              traceId: span.spanContext().traceId,
              parentSpanId: span.parentSpanContext?.spanId,
              attributes: { ...span.attributes }
            }))
          }).pipe(
            Effect.provide(
              Layer.mergeAll(
                Telemetry.layerNodeSdk({
                  spanProcessor: new sdk.node.SimpleSpanProcessor(exporter),
                  resource: { serviceName: "nodesdk-test" }
                }),
                NodeHttpClient.layerUndici
              )
            )
          )
          const { root, value: spans } = yield* underAppRoot(program)

          const outerSpan = byName(spans, "Outer")
          assert.strictEqual(outerSpan.traceId, root.traceId)
          assert.strictEqual(outerSpan.parentSpanId, root.spanId)
          assert.strictEqual(byName(spans, "Inner").parentSpanId, outerSpan.spanId)
          assert.strictEqual(byName(spans, "POST").parentSpanId, byName(spans, "Inner").spanId)
          assert.strictEqual(byName(spans, "Inner").attributes.newToken, Redact.REDACTED)
          assert.notInclude(JSON.stringify(spans), "eyJ")
        }).pipe(Effect.provide(Upstream.layer))
      )
    )

    it.live("a spanExporter is batched and flushed when the layer is released", () =>
      Effect.gen(function* () {
        // Unlike InMemorySpanExporter, this one keeps its spans through shutdown.
        const exported: Array<string> = []
        const exporter: OtelNode.SpanExporter = {
          export: (spans, done) => {
            for (const span of spans) exported.push(span.name)
            done({ code: 0 })
          },
          shutdown: () => Promise.resolve()
        }
        yield* Effect.void.pipe(
          Effect.withSpan("Batched"),
          Effect.provide(Telemetry.layerNodeSdk({ spanExporter: exporter, resource: { serviceName: "batch-test" } }))
        )
        assert.deepStrictEqual(exported, ["Batched"])
      })
    )

    it.live("without a processor it uses the application's global provider", () =>
      withAppProvider(({ exporter }) =>
        Effect.gen(function* () {
          const program = Effect.void.pipe(
            Effect.withSpan("Joined", { attributes: { authorization: `Bearer ${jwt}` } }),
            Effect.provide(Telemetry.layerNodeSdk())
          )
          const { root } = yield* underAppRoot(program)
          const spans = exporter.getFinishedSpans()
          const joined = spans.find((span) => span.name === "Joined")
          assert.isDefined(joined)
          assert.strictEqual(joined!.spanContext().traceId, root.traceId)
          assert.strictEqual(joined!.parentSpanContext?.spanId, root.spanId)
          assert.strictEqual(joined!.attributes.authorization, Redact.REDACTED)
          assert.isDefined(spans.find((span) => span.name === "app.handle"))
        })
      )
    )
  }
)

describe("Telemetry.layerPrometheus", () => {
  it.live("serves the SDK's metric names in the Prometheus text format, without tracing scrapes", () =>
    Effect.gen(function* () {
      yield* Metrics.recordRequest({ endpoint: "Order/place", outcome: "success", durationMs: 30 })
      yield* Metrics.recordRateLimited({ endpoint: "History/retrieveBars", bucket: "history" })
      yield* Metrics.recordBreakerTransition({ group: "orders", from: "closed", to: "open" })
      const endpoint = yield* Telemetry.PrometheusEndpoint
      assert.match(endpoint.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
      const response = yield* Effect.promise(() => fetch(endpoint.url))
      assert.strictEqual(response.status, 200)
      assert.include(response.headers.get("content-type") ?? "", "text/plain")
      const text = yield* Effect.promise(() => response.text())
      assert.include(text, "# TYPE projectx_requests_total counter")
      assert.include(text, 'projectx_requests_total{endpoint="Order/place",outcome="success"} 1')
      // Base units (seconds) and no unit abbreviation: what `promtool check metrics` asks for.
      assert.include(text, "# TYPE projectx_request_duration_seconds histogram")
      assert.include(text, 'projectx_request_duration_seconds_bucket{endpoint="Order/place",le="0.05"} 1')
      assert.include(text, 'projectx_request_duration_seconds_sum{endpoint="Order/place"} 0.03')
      assert.notMatch(text, /^projectx_\w+_ms(_|\s|\{)/m)
      assert.include(text, 'projectx_rate_limited_total{endpoint="History/retrieveBars",bucket="history"} 1')
      assert.include(text, 'projectx_breaker_transitions_total{group="orders",from="closed",to="open"} 1')
      const recorder = yield* SpanRecorder.SpanRecorder
      assert.deepStrictEqual(yield* recorder.spans, [])
    }).pipe(
      Effect.provide(
        // The recorder sits below the server so a traced scrape would land in it.
        Telemetry.layerPrometheus({ port: 0 }).pipe(
          Layer.provideMerge(SpanRecorder.layerMemory()),
          Layer.provideMerge(Metrics.layerIsolated)
        )
      )
    )
  )
})

describe("SpanRecorder.layerMemory", () => {
  it.effect("records the span tree with status, attributes and events", () =>
    Effect.gen(function* () {
      const failing = Effect.fn("Failing")(function* () {
        yield* Effect.logInfo("about to fail with", jwt)
        return yield* Effect.fail(new Error(`rejected token ${jwt}`))
      })
      const root = Effect.fn("Root")(function* () {
        yield* Effect.annotateCurrentSpan({ account: 7, apiKey: "k-123" })
        yield* Effect.sleep("10 millis").pipe(Effect.withSpan("Sleeper"))
        yield* Effect.exit(failing())
      })
      const fiber = yield* Effect.forkChild(root())
      yield* TestClock.adjust("10 millis")
      yield* Fiber.join(fiber)
      const recorder = yield* SpanRecorder.SpanRecorder
      const spans = yield* recorder.spans
      assert.deepStrictEqual(
        spans.map((span) => span.name),
        ["Sleeper", "Failing", "Root"]
      )
      const [sleeper, failed, rootSpan] = spans as [
        SpanRecorder.SpanRecord,
        SpanRecorder.SpanRecord,
        SpanRecorder.SpanRecord
      ]
      assert.strictEqual(sleeper.parentSpanId, rootSpan.spanId)
      assert.strictEqual(failed.parentSpanId, rootSpan.spanId)
      assert.strictEqual(sleeper.durationMs, 10)
      assert.strictEqual(rootSpan.status, "ok")
      assert.strictEqual(failed.status, "error")
      assert.strictEqual(failed.statusMessage, `rejected token ${Redact.REDACTED}`)
      assert.deepStrictEqual(rootSpan.attributes, { account: 7, apiKey: Redact.REDACTED })
      assert.notInclude(JSON.stringify(failed.events), "eyJ")
      assert.strictEqual(failed.events.length, 1)
      yield* recorder.clear
      assert.deepStrictEqual(yield* recorder.spans, [])
    }).pipe(Effect.provide(SpanRecorder.layerMemory()))
  )

  it.effect("keeps at most maxSpans, dropping the oldest", () =>
    Effect.gen(function* () {
      for (const name of ["a", "b", "c", "d"]) yield* Effect.withSpan(Effect.void, name)
      const recorder = yield* SpanRecorder.SpanRecorder
      assert.deepStrictEqual(
        (yield* recorder.spans).map((span) => span.name),
        ["c", "d"]
      )
    }).pipe(Effect.provide(SpanRecorder.layerMemory({ maxSpans: 2 })))
  )
})

describe("Telemetry redaction", () => {
  it("replaces credential keys and JWT / bearer values, nested or not", () => {
    const input = {
      authorization: "Bearer abc.def",
      "http.request.header.x-api-key": "k",
      apiKey: "k",
      api_key: "k",
      newToken: jwt,
      "projectx.token": "opaque",
      password: "p",
      "auth.token_expires_at": "2026-01-01T00:00:00Z",
      "ratelimiter.tokens": 3,
      message: `login ok, token=${jwt}`,
      header: "Bearer sometoken123",
      list: [jwt, "fine"],
      nested: { userName: "trader", credentials: { apiKey: "x" }, note: jwt },
      count: 2,
      ok: true
    }
    assert.deepStrictEqual(Redact.redactAttributes(input), {
      authorization: "<redacted>",
      "http.request.header.x-api-key": "<redacted>",
      apiKey: "<redacted>",
      api_key: "<redacted>",
      newToken: "<redacted>",
      "projectx.token": "<redacted>",
      password: "<redacted>",
      "auth.token_expires_at": "2026-01-01T00:00:00Z",
      "ratelimiter.tokens": 3,
      message: "login ok, token=<redacted>",
      header: "Bearer <redacted>",
      list: ["<redacted>", "fine"],
      nested: { userName: "trader", credentials: "<redacted>", note: "<redacted>" },
      count: 2,
      ok: true
    })
    assert.deepStrictEqual(input.list, [jwt, "fine"], "the input is not mutated")
  })

  it("recognises sensitive keys by their last segment only", () => {
    for (const key of ["authorization", "Authorization", "token", "accessToken", "newToken", "apiKey", "x-api-key"]) {
      assert.isTrue(Redact.isSensitiveKey(key), key)
    }
    for (const key of ["endpoint", "token.expires_at", "tokens", "http.response.status_code", "account.name"]) {
      assert.isFalse(Redact.isSensitiveKey(key), key)
    }
  })

  it("leaves strings without credentials untouched", () => {
    assert.strictEqual(Redact.redactString("POST /api/Order/place 200"), "POST /api/Order/place 200")
    assert.strictEqual(Redact.redactString(`a ${jwt} b ${jwt}`), "a <redacted> b <redacted>")
  })
})

describe("Metrics", () => {
  it.effect("helpers feed a typed snapshot", () =>
    Effect.gen(function* () {
      yield* Metrics.recordRequest({ endpoint: "Order/place", outcome: "success", durationMs: 40 })
      yield* Metrics.recordRequest({ endpoint: "Order/place", outcome: "success", durationMs: 60 })
      yield* Metrics.recordRequest({ endpoint: "Order/place", outcome: "rate_limited", durationMs: 5 })
      yield* Metrics.recordRetry("Order/search", "Transport")
      yield* Metrics.recordRateLimited({ endpoint: "History/retrieveBars", bucket: "history" })
      yield* Metrics.recordRateLimiterWait("history", 250)
      yield* Metrics.recordCacheHit()
      yield* Metrics.recordCacheHit()
      yield* Metrics.recordCacheHit()
      yield* Metrics.recordCacheMiss()
      yield* Metrics.recordBreakerTransition({ group: "orders", from: "closed", to: "open" })
      yield* Metrics.recordAuthRefresh({ kind: "validate", outcome: "success" })
      const snapshot = yield* Metrics.snapshot
      assert.deepStrictEqual(snapshot.requests, [
        { endpoint: "Order/place", outcome: "rate_limited", count: 1 },
        { endpoint: "Order/place", outcome: "success", count: 2 }
      ])
      assert.strictEqual(snapshot.requestDuration[0]?.count, 3)
      assert.strictEqual(snapshot.requestDuration[0]?.sum, 105)
      assert.strictEqual(snapshot.requestDuration[0]?.max, 60)
      assert.deepStrictEqual(snapshot.retries, [{ endpoint: "Order/search", reason: "Transport", count: 1 }])
      assert.deepStrictEqual(
        snapshot.rateLimiterWait.map((w) => [w.bucket, w.count, w.sum]),
        [["history", 1, 250]]
      )
      assert.deepStrictEqual(snapshot.cacheHits, [{ cache: "bars", count: 3 }])
      assert.deepStrictEqual(snapshot.totals, {
        requests: 3,
        failures: 1,
        retries: 1,
        rateLimited: 1,
        cacheHits: 3,
        cacheMisses: 1,
        cacheHitRatio: 0.75,
        breakerTransitions: 1,
        authRefreshes: 1
      })
    }).pipe(Effect.provide(Metrics.layerIsolated))
  )

  it.effect("trackRequest times with Clock and classifies the outcome", () =>
    Effect.gen(function* () {
      const slow = yield* Effect.forkChild(Metrics.trackRequest("Contract/search")(Effect.sleep("120 millis")))
      yield* TestClock.adjust("120 millis")
      yield* Fiber.join(slow)
      const rateLimited = { _tag: "GatewayError", reason: { _tag: "RateLimited", retryAfter: 1 } }
      yield* Effect.exit(Metrics.trackRequest("Contract/search")(Effect.fail(rateLimited)))
      yield* Effect.exit(Metrics.trackRequest("Order/place")(Effect.fail({ _tag: "OrderRejected" })))
      yield* Effect.exit(Metrics.trackRequest("Order/place", () => "timeout" as const)(Effect.fail("x")))
      yield* Effect.exit(Metrics.trackRequest("Order/place")(Effect.interrupt))
      const snapshot = yield* Metrics.snapshot
      assert.deepStrictEqual(
        snapshot.requests.map((r) => `${r.endpoint} ${r.outcome} ${r.count}`),
        [
          "Contract/search rate_limited 1",
          "Contract/search success 1",
          "Order/place business_error 1",
          "Order/place timeout 1"
        ]
      )
      assert.strictEqual(snapshot.requestDuration.find((d) => d.endpoint === "Contract/search")?.max, 120)
    }).pipe(Effect.provide(Metrics.layerIsolated))
  )

  it("classifyError maps the GatewayError reasons", () => {
    const reason = (tag: string) => ({ _tag: "GatewayError", reason: { _tag: tag } })
    assert.strictEqual(Metrics.classifyError(reason("CircuitOpen")), "circuit_open")
    assert.strictEqual(Metrics.classifyError(reason("Transport")), "transport")
    assert.strictEqual(Metrics.classifyError(reason("Timeout")), "timeout")
    assert.strictEqual(Metrics.classifyError(reason("Decode")), "decode")
    assert.strictEqual(Metrics.classifyError(reason("Unauthorized")), "http_error")
    assert.strictEqual(Metrics.classifyError(reason("InsufficientFunds")), "business_error")
    assert.strictEqual(Metrics.classifyError("boom"), "business_error")
  })
})

describe("Telemetry.otlpSettings whenConfigured", () => {
  const settings = (env: Record<string, string>) =>
    Telemetry.otlpSettings({ whenConfigured: true }).pipe(
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
    )
  it.effect("exports only when an endpoint is configured, and honours OTEL_SDK_DISABLED", () =>
    Effect.gen(function* () {
      assert.isFalse((yield* settings({})).enabled)
      const on = yield* settings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" })
      assert.isTrue(on.enabled)
      assert.strictEqual(on.tracesUrl, "http://127.0.0.1:4318/v1/traces")
      assert.isTrue(
        (yield* settings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/v1/traces" })).enabled
      )
      assert.isFalse(
        (yield* settings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_SDK_DISABLED: "true" })).enabled
      )
    })
  )
})
