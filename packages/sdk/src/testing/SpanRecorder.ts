/**
 * Finished spans kept in memory: tests assert on them and the CLI's demo draws its trace waterfall from
 * them. On top of an exporting layer it records AND exports (`SpanRecorder.withMemory(Telemetry.layerOtlp())`).
 * Spans pass the same credential scrubbing as every exporter.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Tracer from "effect/Tracer"
import { layerRedaction } from "../observability/internal/redact.ts"
import { decorateTracer, type SpanEventRecord, type SpanRecord } from "../observability/internal/tracer.ts"

export type { SpanEventRecord, SpanRecord }

/** Finished spans kept in-process, oldest first. */
export class SpanRecorder extends Context.Service<
  SpanRecorder,
  {
    /** Every recorded span (bounded by `maxSpans`; the oldest are dropped first). */
    readonly spans: Effect.Effect<ReadonlyArray<SpanRecord>>
    /** The same, for synchronous callers (the demo's printer, the Promise facade). */
    readonly spansUnsafe: () => ReadonlyArray<SpanRecord>
    /** The spans of one trace. */
    readonly trace: (traceId: string) => Effect.Effect<ReadonlyArray<SpanRecord>>
    /** Forgets everything recorded so far. */
    readonly clear: Effect.Effect<void>
  }
>()("@projectx-effect/sdk/testing/SpanRecorder") {}

/** Options of {@link layerMemory}. */
export interface MemoryOptions {
  /** How many finished spans to keep (default 10,000). */
  readonly maxSpans?: number | undefined
}

/**
 * Records finished spans in memory, on top of whatever tracer is already provided to it: alone it
 * records only, over `layerOtlp`/`layerNodeSdk` it records AND exports (see {@link withMemory}).
 */
export const layerMemory = (options: MemoryOptions = {}): Layer.Layer<SpanRecorder> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const maxSpans = Math.max(1, options.maxSpans ?? 10_000)
      let buffer: Array<SpanRecord> = []
      const sink = (record: SpanRecord) => {
        buffer.push(record)
        if (buffer.length > maxSpans) buffer = buffer.slice(buffer.length - maxSpans)
      }
      const current = yield* Effect.service(Tracer.Tracer)
      const recorder = SpanRecorder.of({
        spans: Effect.sync(() => buffer.slice()),
        spansUnsafe: () => buffer.slice(),
        trace: (traceId) => Effect.sync(() => buffer.filter((span) => span.traceId === traceId)),
        clear: Effect.sync(() => {
          buffer = []
        })
      })
      return Context.make(SpanRecorder, recorder).pipe(Context.add(Tracer.Tracer, decorateTracer(current, sink)))
    })
  ).pipe(Layer.provideMerge(layerRedaction))

/**
 * Adds in-process recording on top of an exporting layer, so spans are recorded locally AND
 * exported: `Telemetry.withMemory(Telemetry.layerOtlp())`.
 */
export const withMemory = <A, E, R>(
  exporting: Layer.Layer<A, E, R>,
  options?: MemoryOptions
): Layer.Layer<A | SpanRecorder, E, R> => layerMemory(options).pipe(Layer.provideMerge(exporting))
