/**
 * Where the SDK's spans and metrics go. `layerOtlp` pushes traces and metrics over OTLP/HTTP with
 * Effect's built-in exporter (configured by the standard `OTEL_*` variables), `layerNodeSdk` joins an
 * application's own OpenTelemetry Node SDK, `layerPrometheus` serves `/metrics` for scrapers, and
 * `@projectx-effect/sdk/testing`'s `SpanRecorder` records finished spans in-process. Every layer scrubs
 * credentials from span attributes first: a span never carries the API key or the session JWT.
 */
import * as Http from "node:http"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as OtelApi from "@opentelemetry/api"
import type { MetricReader } from "@opentelemetry/sdk-metrics"
import type { SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { constTrue } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Tracer from "effect/Tracer"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpMiddleware from "effect/http/HttpMiddleware"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServer from "effect/http/HttpServer"
import type * as HttpServerError from "effect/http/HttpServerError"
import * as OtlpExporter from "effect/observability/OtlpExporter"
import type * as OtlpMetricsTypes from "effect/observability/OtlpMetrics"
import * as OtlpMetrics from "effect/observability/OtlpMetrics"
import * as OtlpSerialization from "effect/observability/OtlpSerialization"
import * as OtlpTracer from "effect/observability/OtlpTracer"
import * as PrometheusMetrics from "effect/observability/PrometheusMetrics"
import * as Redact from "./internal/redact.ts"
import { decorateTracer, type SpanEventRecord, type SpanRecord } from "./internal/tracer.ts"

export type { SpanEventRecord, SpanRecord }

/** The `service.name` used when neither options nor `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES` set one. */
export const defaultServiceName = "projectx-effect"

/**
 * Widens Effect's own redaction lists (`Headers.CurrentRedactedNames`, `UrlParams.CurrentRedactedNames`)
 * with the Gateway's credentials. Every telemetry layer here includes it.
 */
export const layerRedaction: Layer.Layer<never> = Redact.layerRedaction

/** Replaces the current tracer by the same tracer with credential scrubbing in front of it. */
const layerDecorateCurrentTracer: Layer.Layer<never> = Layer.effect(Tracer.Tracer)(
  Effect.map(Effect.service(Tracer.Tracer), (tracer) => decorateTracer(tracer))
)

// ---------------------------------------------------------------------------------------------
// OTLP/HTTP (Effect's built-in exporter)
// ---------------------------------------------------------------------------------------------

/** Options of {@link layerOtlp}; each one overrides the matching `OTEL_*` variable. */
export interface OtlpOptions {
  /** Base URL; `/v1/traces` and `/v1/metrics` are appended (`OTEL_EXPORTER_OTLP_ENDPOINT`, default `http://localhost:4318`). */
  readonly url?: string | undefined
  /** Full traces URL (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`). */
  readonly tracesUrl?: string | undefined
  /** Full metrics URL (`OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`). */
  readonly metricsUrl?: string | undefined
  /** `service.name` (`OTEL_SERVICE_NAME`, then `OTEL_RESOURCE_ATTRIBUTES`, then "projectx-effect"). */
  readonly serviceName?: string | undefined
  readonly serviceVersion?: string | undefined
  /** Extra resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES`. */
  readonly resourceAttributes?: Record<string, unknown> | undefined
  /** Extra request headers (for example a vendor API key), merged over `OTEL_EXPORTER_OTLP_*HEADERS`. */
  readonly headers?: Record<string, string> | undefined
  /** How often both signals are pushed (`OTEL_BSP_SCHEDULE_DELAY` / `OTEL_METRIC_EXPORT_INTERVAL`; default 5 s / 10 s). */
  readonly exportInterval?: Duration.Input | undefined
  /** How long the final flush on dispose may take (default 3 s). */
  readonly shutdownTimeout?: Duration.Input | undefined
  /** Wire format (`OTEL_EXPORTER_OTLP_PROTOCOL` http/json or http/protobuf; default json). */
  readonly protocol?: "json" | "protobuf" | undefined
  /** Metric temporality (`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`; default cumulative). */
  readonly metricsTemporality?: OtlpMetricsTypes.AggregationTemporality | undefined
  /** Turn the exporter on or off regardless of `OTEL_SDK_DISABLED`. */
  readonly enabled?: boolean | undefined
  /**
   * Export only when an endpoint is configured (`url`/`tracesUrl`/`metricsUrl`, or an
   * `OTEL_EXPORTER_OTLP_*ENDPOINT` variable) instead of falling back to `http://localhost:4318`.
   */
  readonly whenConfigured?: boolean | undefined
  /** Export traces (default: unless `OTEL_TRACES_EXPORTER=none`). */
  readonly traces?: boolean | undefined
  /** Export metrics (default: unless `OTEL_METRICS_EXPORTER=none`). */
  readonly metrics?: boolean | undefined
  /** The HttpClient the exporter posts with (default `NodeHttpClient.layerUndici`); its calls are never traced. */
  readonly httpClient?: Layer.Layer<HttpClient.HttpClient> | undefined
}

/**
 * The resolved OTLP settings (exported for diagnostics, for example `projectx health`). The header
 * records can hold a vendor's API key: print the URLs and names, never the header values.
 */
export interface OtlpSettings {
  readonly enabled: boolean
  readonly tracesUrl: string | undefined
  readonly metricsUrl: string | undefined
  readonly serviceName: string
  readonly serviceVersion: string | undefined
  readonly resourceAttributes: Record<string, unknown>
  readonly tracesHeaders: Record<string, string>
  readonly metricsHeaders: Record<string, string>
  readonly tracesExportInterval: Duration.Input | undefined
  readonly metricsExportInterval: Duration.Input | undefined
  readonly protocol: "json" | "protobuf"
  readonly metricsTemporality: OtlpMetricsTypes.AggregationTemporality | undefined
}

const headersConfig = (name: string) => Config.option(Config.Record(Schema.String, Schema.StringFromUriComponent, name))

const otlpEnv = Config.all({
  disabled: Config.Boolean("OTEL_SDK_DISABLED").pipe(Config.withDefault(false)),
  endpoint: Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT")),
  tracesEndpoint: Config.option(Config.String("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")),
  metricsEndpoint: Config.option(Config.String("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")),
  headers: headersConfig("OTEL_EXPORTER_OTLP_HEADERS"),
  tracesHeaders: headersConfig("OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
  metricsHeaders: headersConfig("OTEL_EXPORTER_OTLP_METRICS_HEADERS"),
  protocol: Config.option(Config.String("OTEL_EXPORTER_OTLP_PROTOCOL")),
  tracesExporter: Config.option(Config.String("OTEL_TRACES_EXPORTER")),
  metricsExporter: Config.option(Config.String("OTEL_METRICS_EXPORTER")),
  serviceName: Config.option(Config.String("OTEL_SERVICE_NAME")),
  serviceVersion: Config.option(Config.String("OTEL_SERVICE_VERSION")),
  resourceAttributes: Config.option(
    Config.Record(Schema.StringFromUriComponent, Schema.StringFromUriComponent, "OTEL_RESOURCE_ATTRIBUTES", {
      trim: true,
      keepEmptyValues: true
    })
  ),
  scheduleDelay: Config.option(Config.Int("OTEL_BSP_SCHEDULE_DELAY")),
  metricInterval: Config.option(Config.Int("OTEL_METRIC_EXPORT_INTERVAL")),
  temporality: Config.option(Config.String("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"))
})

const appendPath = (base: string, signal: "traces" | "metrics"): string => {
  const url = new URL(base)
  url.pathname = `${url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`}v1/${signal}`
  return url.toString()
}

const listed = (value: Option.Option<string>, name: string): boolean | undefined =>
  Option.match(value, {
    onNone: () => undefined,
    onSome: (list) =>
      list
        .split(",")
        .map((item) => item.trim().toLowerCase())
        .includes(name)
  })

/**
 * Reads the `OTEL_*` configuration through `Config` (so through the current `ConfigProvider`) and
 * applies the options over it. The precedence per URL is: explicit signal URL option, `url` option,
 * signal endpoint variable, base endpoint variable, `http://localhost:4318`.
 */
export const otlpSettings = (options: OtlpOptions = {}): Effect.Effect<OtlpSettings, Config.ConfigError> =>
  Effect.gen(function* () {
    const env = yield* otlpEnv
    const configured =
      options.url !== undefined ||
      options.tracesUrl !== undefined ||
      options.metricsUrl !== undefined ||
      Option.isSome(env.endpoint) ||
      Option.isSome(env.tracesEndpoint) ||
      Option.isSome(env.metricsEndpoint)
    const enabled = (options.enabled ?? !env.disabled) && (options.whenConfigured !== true || configured)
    const base = options.url ?? Option.getOrElse(env.endpoint, () => "http://localhost:4318")
    const signalUrl = (explicit: string | undefined, fromEnv: Option.Option<string>, signal: "traces" | "metrics") =>
      explicit ??
      (options.url !== undefined ? appendPath(options.url, signal) : undefined) ??
      Option.getOrUndefined(fromEnv) ??
      appendPath(base, signal)
    const tracesOn = options.traces ?? !(listed(env.tracesExporter, "none") ?? false)
    const metricsOn = options.metrics ?? !(listed(env.metricsExporter, "none") ?? false)
    const envAttributes = Option.getOrElse(env.resourceAttributes, () => ({}) as Record<string, string>)
    const serviceName =
      options.serviceName ??
      Option.getOrUndefined(env.serviceName) ??
      envAttributes["service.name"] ??
      defaultServiceName
    const baseHeaders = Option.getOrElse(env.headers, () => ({}))
    const protocolEnv = Option.getOrUndefined(env.protocol)?.trim().toLowerCase()
    const temporalityEnv = Option.getOrUndefined(env.temporality)?.trim().toLowerCase()
    return {
      enabled: enabled && (tracesOn || metricsOn),
      tracesUrl: enabled && tracesOn ? signalUrl(options.tracesUrl, env.tracesEndpoint, "traces") : undefined,
      metricsUrl: enabled && metricsOn ? signalUrl(options.metricsUrl, env.metricsEndpoint, "metrics") : undefined,
      serviceName,
      serviceVersion: options.serviceVersion ?? Option.getOrUndefined(env.serviceVersion),
      resourceAttributes: { ...options.resourceAttributes },
      tracesHeaders: { ...baseHeaders, ...Option.getOrElse(env.tracesHeaders, () => ({})), ...options.headers },
      metricsHeaders: { ...baseHeaders, ...Option.getOrElse(env.metricsHeaders, () => ({})), ...options.headers },
      tracesExportInterval: options.exportInterval ?? Option.getOrUndefined(Option.map(env.scheduleDelay, millis)),
      metricsExportInterval: options.exportInterval ?? Option.getOrUndefined(Option.map(env.metricInterval, millis)),
      protocol: options.protocol ?? (protocolEnv === "http/protobuf" ? "protobuf" : "json"),
      metricsTemporality:
        options.metricsTemporality ??
        (temporalityEnv === "delta" ? "delta" : temporalityEnv === "cumulative" ? "cumulative" : undefined)
    }
  })

const millis = (ms: number): Duration.Input => `${ms} millis`

/**
 * The exporter's HttpClient: its posts must not become spans (a span per span export would feed
 * itself) nor carry trace headers. Effect's exporter already disables the tracer around its calls;
 * `TracerDisabledWhen` makes that hold for any client a user passes in, too.
 */
const exporterHttpClient = (client: Layer.Layer<HttpClient.HttpClient>): Layer.Layer<HttpClient.HttpClient> =>
  Layer.effect(HttpClient.HttpClient)(
    Effect.map(Effect.service(HttpClient.HttpClient), (http) =>
      http.pipe(
        HttpClient.transformResponse((response) =>
          response.pipe(
            Effect.provideService(HttpClient.TracerDisabledWhen, constTrue),
            Effect.provideService(HttpClient.TracerPropagationEnabled, false)
          )
        )
      )
    )
  ).pipe(Layer.provide(client))

/**
 * Exports traces AND metrics over OTLP/HTTP with Effect's built-in exporter, configured by the
 * standard `OTEL_*` variables (read through `Config`), with options taking precedence. Buffered
 * telemetry is flushed when the layer is released (and on demand through `OtlpExporter.Flusher`).
 * With `OTEL_SDK_DISABLED=true` it provides a no-op `Flusher` and leaves the tracer alone.
 *
 * @example
 * ```ts
 * const runtime = ManagedRuntime.make(Layer.mergeAll(ProjectX.layerConfig, Telemetry.layerOtlp()))
 * // OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4318 OTEL_SERVICE_NAME=my-bot node bot.js
 * ```
 */
export const layerOtlp = (options: OtlpOptions = {}): Layer.Layer<OtlpExporter.Flusher, Config.ConfigError> =>
  Layer.unwrap(
    Effect.map(otlpSettings(options), (settings) => {
      if (!settings.enabled) return OtlpExporter.layerFlusher
      const resource = {
        serviceName: settings.serviceName,
        serviceVersion: settings.serviceVersion,
        attributes: settings.resourceAttributes
      }
      const traces =
        settings.tracesUrl === undefined
          ? Layer.empty
          : Layer.effect(Tracer.Tracer)(
              Effect.map(
                OtlpTracer.make({
                  url: settings.tracesUrl,
                  resource,
                  headers: settings.tracesHeaders,
                  exportInterval: settings.tracesExportInterval,
                  shutdownTimeout: options.shutdownTimeout
                }),
                (tracer) => decorateTracer(tracer)
              )
            )
      const metrics =
        settings.metricsUrl === undefined
          ? Layer.empty
          : Layer.effectDiscard(
              OtlpMetrics.make({
                url: settings.metricsUrl,
                resource,
                headers: settings.metricsHeaders,
                exportInterval: settings.metricsExportInterval,
                shutdownTimeout: options.shutdownTimeout,
                temporality: settings.metricsTemporality
              })
            )
      return Layer.mergeAll(traces, metrics, layerRedaction).pipe(
        Layer.provideMerge(OtlpExporter.layerFlusher),
        Layer.provide(settings.protocol === "protobuf" ? OtlpSerialization.layerProtobuf : OtlpSerialization.layerJson),
        // A pool of its own (`Layer.fresh`): layers are memoised by reference, so the default client would
        // otherwise be the application's, closed before the exporter's last flush on shutdown.
        Layer.provide(exporterHttpClient(Layer.fresh(options.httpClient ?? NodeHttpClient.layerUndici)))
      )
    })
  )

// ---------------------------------------------------------------------------------------------
// OpenTelemetry Node SDK (through @effect/opentelemetry, an optional peer)
// ---------------------------------------------------------------------------------------------

/** Options of {@link layerNodeSdk}. */
export interface NodeSdkOptions {
  /** Span processors for a tracer provider owned (and shut down) by this layer. */
  readonly spanProcessor?: SpanProcessor | ReadonlyArray<SpanProcessor> | undefined
  /** A span exporter, wrapped in a `BatchSpanProcessor` of the provider owned by this layer. */
  readonly spanExporter?: SpanExporter | undefined
  /** Metric readers that collect the SDK's Effect metrics. */
  readonly metricReader?: MetricReader | ReadonlyArray<MetricReader> | undefined
  /** The resource of the provider owned by this layer (default: from `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES`). */
  readonly resource?:
    | {
        readonly serviceName: string
        readonly serviceVersion?: string
        readonly attributes?: OtelApi.Attributes
      }
    | undefined
  readonly shutdownTimeout?: Duration.Input | undefined
}

const importOptional = <A>(specifier: string, load: () => Promise<A>): Effect.Effect<A> =>
  Effect.tryPromise({
    try: load,
    catch: (cause) =>
      new Error(
        `Telemetry.layerNodeSdk needs the optional peer "${specifier}" (npm install @effect/opentelemetry @opentelemetry/api @opentelemetry/sdk-trace-base @opentelemetry/sdk-trace-node @opentelemetry/sdk-metrics @opentelemetry/sdk-logs @opentelemetry/api-logs @opentelemetry/resources)`,
        { cause }
      )
  }).pipe(Effect.orDie)

const toArray = <A>(value: A | ReadonlyArray<A> | undefined): Array<A> =>
  value === undefined ? [] : Array.isArray(value) ? [...(value as ReadonlyArray<A>)] : [value as A]

/**
 * Sends the SDK's spans (and, with a `metricReader`, its metrics) through the OpenTelemetry Node SDK,
 * for applications that already run it: Effect spans become OTel spans, and a span started while an
 * OTel span is active (for example the application's request span) becomes its child.
 *
 * With `spanProcessor`/`spanExporter` the layer owns a tracer provider and shuts it down on release
 * (an `InMemorySpanExporter` is cleared then: read it before). Without either, it uses the globally
 * registered provider, so spans go wherever the application's SDK sends its own.
 */
export const layerNodeSdk = (options: NodeSdkOptions = {}): Layer.Layer<never> =>
  Layer.unwrap(
    Effect.gen(function* () {
      const NodeSdk = yield* importOptional("@effect/opentelemetry", () => import("@effect/opentelemetry/NodeSdk"))
      const processors = toArray(options.spanProcessor)
      if (options.spanExporter !== undefined) {
        const { BatchSpanProcessor } = yield* importOptional(
          "@opentelemetry/sdk-trace-base",
          () => import("@opentelemetry/sdk-trace-base")
        )
        processors.push(new BatchSpanProcessor(options.spanExporter))
      }
      const readers = toArray(options.metricReader)
      const sdk = NodeSdk.layer(() => ({
        ...(processors.length > 0 ? { spanProcessor: processors } : {}),
        ...(readers.length > 0 ? { metricReader: readers } : {}),
        ...(options.resource !== undefined ? { resource: options.resource } : {}),
        ...(options.shutdownTimeout !== undefined ? { shutdownTimeout: options.shutdownTimeout } : {})
      }))
      let tracing: Layer.Layer<any> = sdk
      if (processors.length === 0) {
        const OtelTracer = yield* importOptional(
          "@effect/opentelemetry",
          () => import("@effect/opentelemetry/OtelTracer")
        )
        tracing = Layer.merge(sdk, OtelTracer.layerGlobal)
      }
      return layerDecorateCurrentTracer.pipe(
        Layer.provideMerge(tracing),
        Layer.provideMerge(layerRedaction)
      ) as Layer.Layer<never>
    })
  )

// ---------------------------------------------------------------------------------------------
// Prometheus scrape endpoint
// ---------------------------------------------------------------------------------------------

/** Where {@link layerPrometheus} listens. */
export class PrometheusEndpoint extends Context.Service<
  PrometheusEndpoint,
  {
    /** The scrape URL, for example `http://127.0.0.1:9464/metrics`. */
    readonly url: string
  }
>()("@projectx-effect/sdk/Telemetry/PrometheusEndpoint") {}

/** Options of {@link layerPrometheus}; each one overrides `OTEL_EXPORTER_PROMETHEUS_HOST` / `_PORT`. */
export interface PrometheusOptions {
  /** Interface to listen on (default 127.0.0.1: expose it deliberately). */
  readonly host?: string | undefined
  /** Port (default 9464, the OpenTelemetry Prometheus exporter's; 0 picks a free one). */
  readonly port?: number | undefined
  /** Path of the endpoint (default `/metrics`). */
  readonly path?: `/${string}` | undefined
  /** Prefix added to every metric name. */
  readonly prefix?: string | undefined
}

/**
 * Serves every Effect metric (the SDK's `projectx_*` instruments included) in the Prometheus text
 * format, for users who scrape instead of push. Scrapes are not traced.
 */
export const layerPrometheus = (
  options: PrometheusOptions = {}
): Layer.Layer<PrometheusEndpoint, HttpServerError.ServeError | Config.ConfigError> =>
  Layer.unwrap(
    Effect.gen(function* () {
      const host =
        options.host ?? (yield* Config.String("OTEL_EXPORTER_PROMETHEUS_HOST").pipe(Config.withDefault("127.0.0.1")))
      const port = options.port ?? (yield* Config.Port("OTEL_EXPORTER_PROMETHEUS_PORT").pipe(Config.withDefault(9464)))
      const path = options.path ?? "/metrics"
      const serve = HttpRouter.serve(
        PrometheusMetrics.layerHttp({ path, ...(options.prefix !== undefined ? { prefix: options.prefix } : {}) }),
        { disableLogger: true, disableListenLog: true }
      )
      const endpoint = Layer.effect(PrometheusEndpoint)(
        Effect.map(Effect.service(HttpServer.HttpServer), (server) => ({
          url: new URL(path, HttpServer.formatAddress(server.address)).toString()
        }))
      )
      return Layer.merge(serve, endpoint).pipe(
        Layer.provide(Layer.succeed(HttpMiddleware.TracerDisabledWhen)(constTrue)),
        Layer.provide(NodeHttpServer.layer(() => Http.createServer(), { host, port }))
      )
    })
  )
