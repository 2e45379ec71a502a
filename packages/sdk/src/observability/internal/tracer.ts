/**
 * A Tracer decorator used by every Telemetry layer: it scrubs credentials from attributes and events
 * before the underlying tracer (OTLP, OpenTelemetry SDK or native) sees them, and hands each ended
 * span to zero or more local sinks (the in-memory recorder). Decorating twice merges the sinks, so
 * "record locally AND export" costs one extra object per span, not two.
 */
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import type * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import { redactAttributes, redactString, redactValue } from "./redact.ts"

/** A finished span as the in-memory recorder keeps it: plain data, times in epoch milliseconds. */
export interface SpanRecord {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | undefined
  readonly name: string
  readonly kind: Tracer.SpanKind
  readonly startTimeMs: number
  readonly endTimeMs: number
  readonly durationMs: number
  readonly attributes: Readonly<Record<string, unknown>>
  readonly status: "ok" | "error" | "interrupted"
  readonly statusMessage: string | undefined
  readonly events: ReadonlyArray<SpanEventRecord>
}

/** An event (for example a log line) recorded on a span. */
export interface SpanEventRecord {
  readonly name: string
  readonly timeMs: number
  readonly attributes: Readonly<Record<string, unknown>>
}

export type SpanSink = (record: SpanRecord) => void

const TypeId = "~@projectx-effect/sdk/TelemetryTracer"

interface TelemetryTracer extends Tracer.Tracer {
  readonly [TypeId]: { readonly base: Tracer.Tracer; readonly sinks: ReadonlyArray<SpanSink> }
}

const isTelemetryTracer = (tracer: Tracer.Tracer): tracer is TelemetryTracer => TypeId in tracer

const nanosToMillis = (nanos: bigint): number => Number(nanos) / 1_000_000

const unwrapSpan = (span: Tracer.AnySpan): Tracer.AnySpan => (span instanceof TelemetrySpan ? span.inner : span)

/** A span that forwards to the underlying tracer's span after scrubbing what it is given. */
export class TelemetrySpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly inner: Tracer.Span
  readonly parent: Option.Option<Tracer.AnySpan>
  readonly #sinks: ReadonlyArray<SpanSink>
  #events: Array<SpanEventRecord> | undefined = undefined

  constructor(inner: Tracer.Span, parent: Option.Option<Tracer.AnySpan>, sinks: ReadonlyArray<SpanSink>) {
    this.inner = inner
    // The OpenTelemetry tracer adopts the active OTel span as parent when Effect gives none.
    this.parent = Option.isSome(parent) ? parent : inner.parent
    this.#sinks = sinks
  }

  get name(): string {
    return this.inner.name
  }
  get spanId(): string {
    return this.inner.spanId
  }
  get traceId(): string {
    return this.inner.traceId
  }
  get annotations(): Context.Context<never> {
    return this.inner.annotations
  }
  get status(): Tracer.SpanStatus {
    return this.inner.status
  }
  get attributes(): ReadonlyMap<string, unknown> {
    return this.inner.attributes
  }
  get links(): ReadonlyArray<Tracer.SpanLink> {
    return this.inner.links
  }
  get sampled(): boolean {
    return this.inner.sampled
  }
  get kind(): Tracer.SpanKind {
    return this.inner.kind
  }

  attribute(key: string, value: unknown): void {
    this.inner.attribute(key, redactValue(key, value))
  }

  event(name: string, startTime: bigint, attributes?: Record<string, unknown>): void {
    const safeName = redactString(name)
    const safeAttributes = attributes === undefined ? undefined : redactAttributes(attributes)
    if (this.#sinks.length > 0 && this.inner.status._tag === "Started") {
      this.#events ??= []
      this.#events.push({ name: safeName, timeMs: nanosToMillis(startTime), attributes: safeAttributes ?? {} })
    }
    this.inner.event(safeName, startTime, safeAttributes)
  }

  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.inner.addLinks(links.map((link) => ({ span: unwrapSpan(link.span), attributes: link.attributes })))
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    if (this.inner.status._tag === "Ended") return
    const startTime = this.inner.status.startTime
    this.inner.end(endTime, exit)
    if (this.#sinks.length === 0 || !this.sampled) return
    const record = toRecord(this, startTime, endTime, exit, this.#events ?? [])
    for (const sink of this.#sinks) sink(record)
  }
}

const toRecord = (
  span: TelemetrySpan,
  startTime: bigint,
  endTime: bigint,
  exit: Exit.Exit<unknown, unknown>,
  events: ReadonlyArray<SpanEventRecord>
): SpanRecord => {
  let status: SpanRecord["status"] = "ok"
  let statusMessage: string | undefined
  if (exit._tag === "Failure") {
    if (Cause.hasInterruptsOnly(exit.cause)) {
      status = "interrupted"
    } else {
      const errors = Cause.prettyErrors(exit.cause)
      if (errors.length > 0) {
        status = "error"
        statusMessage = redactString(errors[0]!.message)
      }
    }
  }
  const attributes: Record<string, unknown> = {}
  for (const [key, value] of span.inner.attributes) attributes[key] = value
  const startTimeMs = nanosToMillis(startTime)
  const endTimeMs = nanosToMillis(endTime)
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: Option.isSome(span.parent) ? span.parent.value.spanId : undefined,
    name: span.name,
    kind: span.kind,
    startTimeMs,
    endTimeMs,
    durationMs: Math.max(0, endTimeMs - startTimeMs),
    attributes,
    status,
    statusMessage,
    events
  }
}

/**
 * Decorates a tracer with redaction and (optionally) a local sink for ended spans. Decorating an
 * already decorated tracer keeps one layer of decoration and appends the sink.
 */
export const decorateTracer = (tracer: Tracer.Tracer, sink?: SpanSink): Tracer.Tracer => {
  const base = isTelemetryTracer(tracer) ? tracer[TypeId].base : tracer
  const previous = isTelemetryTracer(tracer) ? tracer[TypeId].sinks : []
  const sinks = sink === undefined ? previous : [...previous, sink]
  const decorated: TelemetryTracer = {
    [TypeId]: { base, sinks },
    span(options) {
      const parent = options.parent
      const inner = base.span({ ...options, parent: Option.map(parent, unwrapSpan) })
      return new TelemetrySpan(inner, parent, sinks)
    },
    context: base.context
  }
  return Tracer.make(decorated)
}
