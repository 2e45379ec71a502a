/**
 * A tiny OTLP/HTTP JSON receiver on 127.0.0.1 (a free port): it stands in for Jaeger or a collector
 * in tests and in the demo, and turns what it receives into flat records (spans with plain attribute
 * objects, metrics with data points). Written on node:http because it must see exactly what an
 * exporter sends, with no Effect machinery (and no tracing) of its own in between.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Zlib from "node:zlib"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** A received span, flattened from `resourceSpans[].scopeSpans[].spans[]`. */
export interface ReceivedSpan {
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | undefined
  readonly kind: "unspecified" | "internal" | "server" | "client" | "producer" | "consumer"
  readonly attributes: Readonly<Record<string, unknown>>
  readonly status: "unset" | "ok" | "error"
  readonly statusMessage: string | undefined
  readonly startTimeMs: number
  readonly endTimeMs: number
  readonly durationMs: number
  readonly events: ReadonlyArray<{ readonly name: string; readonly attributes: Readonly<Record<string, unknown>> }>
  /** The resource attributes of the batch the span came in (`service.name`, …). */
  readonly resource: Readonly<Record<string, unknown>>
  readonly scope: string | undefined
}

/** One data point of a received metric; which fields are set depends on the metric's type. */
export interface ReceivedDataPoint {
  readonly attributes: Readonly<Record<string, unknown>>
  /** Sums and gauges. */
  readonly value?: number
  /** Histograms and summaries. */
  readonly count?: number
  readonly sum?: number
  readonly min?: number
  readonly max?: number
  readonly bucketCounts?: ReadonlyArray<number>
  readonly explicitBounds?: ReadonlyArray<number>
  readonly timeUnixNano: string | undefined
}

/** A received metric, flattened from `resourceMetrics[].scopeMetrics[].metrics[]` (one per export). */
export interface ReceivedMetric {
  readonly name: string
  readonly description: string | undefined
  readonly unit: string | undefined
  readonly type: "sum" | "gauge" | "histogram" | "exponentialHistogram" | "summary" | "unknown"
  readonly dataPoints: ReadonlyArray<ReceivedDataPoint>
  readonly resource: Readonly<Record<string, unknown>>
}

/** A request as it reached the receiver. */
export interface ReceivedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly contentType: string | undefined
}

/** What a running receiver offers; `url` is the base an exporter should post to. */
export interface OtlpReceiverHandle {
  /** Base URL (`http://127.0.0.1:<port>`); exporters append `/v1/traces` and `/v1/metrics`. */
  readonly url: string
  readonly tracesUrl: string
  readonly metricsUrl: string
  /** Every span received so far, in arrival order. */
  readonly spans: () => ReadonlyArray<ReceivedSpan>
  /** Every metric received so far, one entry per metric per export, in arrival order. */
  readonly metrics: () => ReadonlyArray<ReceivedMetric>
  /** The most recent export of each metric name (cumulative metrics carry their totals there). */
  readonly latestMetrics: () => ReadonlyMap<string, ReceivedMetric>
  /** Every request received, including ones that were not JSON. */
  readonly requests: () => ReadonlyArray<ReceivedRequest>
  /** Forgets everything received. */
  readonly clear: () => void
  /** Resolves once `predicate` holds for the spans received, or rejects after `timeoutMs` (default 5000). */
  readonly waitForSpans: (
    predicate: (spans: ReadonlyArray<ReceivedSpan>) => boolean,
    timeoutMs?: number
  ) => Promise<ReadonlyArray<ReceivedSpan>>
  /** Stops listening. */
  readonly close: () => Promise<void>
}

// ---------------------------------------------------------------------------------------------
// OTLP JSON → plain values
// ---------------------------------------------------------------------------------------------

interface AnyValueJson {
  readonly stringValue?: string
  readonly boolValue?: boolean
  readonly intValue?: number | string
  readonly doubleValue?: number
  readonly bytesValue?: string
  readonly arrayValue?: { readonly values?: ReadonlyArray<AnyValueJson> }
  readonly kvlistValue?: { readonly values?: ReadonlyArray<KeyValueJson> }
}

interface KeyValueJson {
  readonly key: string
  readonly value?: AnyValueJson
}

/** Converts an OTLP `AnyValue` into a plain JavaScript value. */
export const fromAnyValue = (value: AnyValueJson | undefined): unknown => {
  if (value === undefined || value === null) return undefined
  if (value.stringValue !== undefined) return value.stringValue
  if (value.boolValue !== undefined) return value.boolValue
  if (value.intValue !== undefined) return typeof value.intValue === "string" ? Number(value.intValue) : value.intValue
  if (value.doubleValue !== undefined) return value.doubleValue
  if (value.bytesValue !== undefined) return value.bytesValue
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(fromAnyValue)
  if (value.kvlistValue !== undefined) return fromKeyValues(value.kvlistValue.values)
  return undefined
}

/** Converts OTLP `KeyValue[]` attributes into a plain object. */
export const fromKeyValues = (values: ReadonlyArray<KeyValueJson> | undefined): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const kv of values ?? []) out[kv.key] = fromAnyValue(kv.value)
  return out
}

const spanKinds = ["unspecified", "internal", "server", "client", "producer", "consumer"] as const
const statusCodes = ["unset", "ok", "error"] as const

const kindOf = (kind: unknown): ReceivedSpan["kind"] => {
  if (typeof kind === "number") return spanKinds[kind] ?? "unspecified"
  if (typeof kind === "string") {
    const name = kind.replace(/^SPAN_KIND_/, "").toLowerCase()
    return (spanKinds as ReadonlyArray<string>).includes(name) ? (name as ReceivedSpan["kind"]) : "unspecified"
  }
  return "unspecified"
}

const statusOf = (code: unknown): ReceivedSpan["status"] => {
  if (typeof code === "number") return statusCodes[code] ?? "unset"
  if (typeof code === "string") {
    const name = code.replace(/^STATUS_CODE_/, "").toLowerCase()
    return (statusCodes as ReadonlyArray<string>).includes(name) ? (name as ReceivedSpan["status"]) : "unset"
  }
  return "unset"
}

const nanosToMillis = (nanos: unknown): number => {
  if (typeof nanos === "string" && nanos !== "") return Number(BigInt(nanos)) / 1_000_000
  if (typeof nanos === "number") return nanos / 1_000_000
  return 0
}

const optionalNumber = (value: unknown): number | undefined =>
  typeof value === "number" ? value : typeof value === "string" && value !== "" ? Number(value) : undefined

/** Flattens an OTLP JSON traces payload. */
export const flattenTraces = (payload: any): Array<ReceivedSpan> => {
  const out: Array<ReceivedSpan> = []
  for (const resourceSpans of payload?.resourceSpans ?? []) {
    const resource = fromKeyValues(resourceSpans?.resource?.attributes)
    for (const scopeSpans of resourceSpans?.scopeSpans ?? []) {
      for (const span of scopeSpans?.spans ?? []) {
        const startTimeMs = nanosToMillis(span.startTimeUnixNano)
        const endTimeMs = nanosToMillis(span.endTimeUnixNano)
        out.push({
          name: String(span.name ?? ""),
          traceId: String(span.traceId ?? ""),
          spanId: String(span.spanId ?? ""),
          parentSpanId:
            typeof span.parentSpanId === "string" && span.parentSpanId !== "" ? span.parentSpanId : undefined,
          kind: kindOf(span.kind),
          attributes: fromKeyValues(span.attributes),
          status: statusOf(span.status?.code),
          statusMessage: typeof span.status?.message === "string" ? span.status.message : undefined,
          startTimeMs,
          endTimeMs,
          durationMs: Math.max(0, endTimeMs - startTimeMs),
          events: (span.events ?? []).map((event: any) => ({
            name: String(event?.name ?? ""),
            attributes: fromKeyValues(event?.attributes)
          })),
          resource,
          scope: typeof scopeSpans?.scope?.name === "string" ? scopeSpans.scope.name : undefined
        })
      }
    }
  }
  return out
}

const dataPointOf = (point: any): ReceivedDataPoint => {
  const value = optionalNumber(point?.asDouble) ?? optionalNumber(point?.asInt)
  const count = optionalNumber(point?.count)
  const sum = optionalNumber(point?.sum)
  const min = optionalNumber(point?.min)
  const max = optionalNumber(point?.max)
  return {
    attributes: fromKeyValues(point?.attributes),
    timeUnixNano: typeof point?.timeUnixNano === "string" ? point.timeUnixNano : undefined,
    ...(value !== undefined ? { value } : {}),
    ...(count !== undefined ? { count } : {}),
    ...(sum !== undefined ? { sum } : {}),
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
    ...(Array.isArray(point?.bucketCounts) ? { bucketCounts: point.bucketCounts.map(Number) } : {}),
    ...(Array.isArray(point?.explicitBounds) ? { explicitBounds: point.explicitBounds.map(Number) } : {})
  }
}

const metricTypes = ["sum", "gauge", "histogram", "exponentialHistogram", "summary"] as const

/** Flattens an OTLP JSON metrics payload. */
export const flattenMetrics = (payload: any): Array<ReceivedMetric> => {
  const out: Array<ReceivedMetric> = []
  for (const resourceMetrics of payload?.resourceMetrics ?? []) {
    const resource = fromKeyValues(resourceMetrics?.resource?.attributes)
    for (const scopeMetrics of resourceMetrics?.scopeMetrics ?? []) {
      for (const metric of scopeMetrics?.metrics ?? []) {
        const type = metricTypes.find((name) => metric?.[name] !== undefined) ?? "unknown"
        const points = type === "unknown" ? [] : (metric[type]?.dataPoints ?? [])
        out.push({
          name: String(metric?.name ?? ""),
          description: typeof metric?.description === "string" ? metric.description : undefined,
          unit: typeof metric?.unit === "string" ? metric.unit : undefined,
          type,
          dataPoints: points.map(dataPointOf),
          resource
        })
      }
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

const readBody = (request: Http.IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks)))
    request.on("error", reject)
  })

/** Starts a receiver on 127.0.0.1 and a free port. Call `close()` when done. */
export const startOtlpReceiver = async (): Promise<OtlpReceiverHandle> => {
  let spans: Array<ReceivedSpan> = []
  let metrics: Array<ReceivedMetric> = []
  let requests: Array<ReceivedRequest> = []
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const waiter of waiters) waiter()
  }

  const server = Http.createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/"
    const contentType = request.headers["content-type"]
    requests.push({ method: request.method ?? "GET", path, headers: { ...request.headers }, contentType })
    readBody(request)
      .then((raw) => {
        const body = request.headers["content-encoding"] === "gzip" ? Zlib.gunzipSync(raw) : raw
        if (request.method !== "POST" || !(contentType ?? "").includes("json")) {
          response.writeHead(request.method === "POST" ? 415 : 405).end()
          return
        }
        const payload = JSON.parse(body.toString("utf8"))
        if (path.endsWith("/v1/traces")) spans = spans.concat(flattenTraces(payload))
        else if (path.endsWith("/v1/metrics")) metrics = metrics.concat(flattenMetrics(payload))
        response.writeHead(200, { "content-type": "application/json" }).end("{}")
        notify()
      })
      .catch(() => {
        if (!response.headersSent) response.writeHead(400).end()
      })
  })
  server.keepAliveTimeout = 1000

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`

  return {
    url,
    tracesUrl: `${url}/v1/traces`,
    metricsUrl: `${url}/v1/metrics`,
    spans: () => spans.slice(),
    metrics: () => metrics.slice(),
    latestMetrics: () => {
      const latest = new Map<string, ReceivedMetric>()
      for (const metric of metrics) latest.set(metric.name, metric)
      return latest
    },
    requests: () => requests.slice(),
    clear: () => {
      spans = []
      metrics = []
      requests = []
    },
    waitForSpans: (predicate, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(spans)) return false
          cleanup()
          resolve(spans.slice())
          return true
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`OtlpReceiver: condition not met after ${timeoutMs} ms (${spans.length} spans received)`))
        }, timeoutMs)
        const cleanup = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        if (!check()) waiters.add(check)
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** The receiver as an Effect service: started with the layer, closed when the layer is released. */
export class OtlpReceiver extends Context.Service<OtlpReceiver, OtlpReceiverHandle>()(
  "@projectx-effect/sdk/testing/OtlpReceiver"
) {
  static readonly layer: Layer.Layer<OtlpReceiver> = Layer.effect(OtlpReceiver)(
    Effect.acquireRelease(Effect.promise(startOtlpReceiver), (receiver) => Effect.promise(receiver.close))
  )
}
