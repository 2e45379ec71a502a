import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { SpanRecorder } from "@projectx-effect/sdk/testing"
import * as Waterfall from "../src/Waterfall.ts"

const t0 = 1_760_000_000_000

// A known trace: Outer (0–100 ms) → Inner (10–90) → POST (20–70, error) and Decode (70–85); deliberately out of order.
const spans: ReadonlyArray<Waterfall.WaterfallSpan> = [
  {
    name: "Decode",
    spanId: "d",
    parentSpanId: "i",
    traceId: "t1",
    startTimeMs: t0 + 70,
    endTimeMs: t0 + 85
  },
  {
    name: "POST",
    spanId: "p",
    parentSpanId: "i",
    traceId: "t1",
    startTimeMs: t0 + 20,
    endTimeMs: t0 + 70,
    kind: "client",
    status: "error",
    statusMessage: "503",
    attributes: { "http.response.status_code": 503 }
  },
  { name: "Outer", spanId: "o", traceId: "t1", startTimeMs: t0, endTimeMs: t0 + 100, status: "ok" },
  { name: "Inner", spanId: "i", parentSpanId: "o", traceId: "t1", startTimeMs: t0 + 10, endTimeMs: t0 + 90 }
]

describe("Waterfall.render", () => {
  it("renders a known tree deterministically: indented by parent, bars scaled to the trace", () => {
    const text = Waterfall.render(spans, {
      nameWidth: 12,
      barWidth: 20,
      attributes: ["http.response.status_code"]
    })
    assert.strictEqual(
      text,
      [
        "trace t1 · 4 spans · 100 ms",
        "Outer        │████████████████████│  100 ms",
        "  Inner      │  ████████████████  │ 80.0 ms",
        "    POST     │    ██████████      │ 50.0 ms http.response.status_code=503 ✗ 503",
        "    Decode   │              ███   │ 15.0 ms",
        ""
      ].join("\n")
    )
    assert.strictEqual(
      Waterfall.render([...spans].reverse(), {
        nameWidth: 12,
        barWidth: 20,
        attributes: ["http.response.status_code"]
      }),
      text
    )
  })

  it("colours only when asked", () => {
    assert.notInclude(Waterfall.render(spans), "\u001b[")
    const coloured = Waterfall.render(spans, { color: true })
    assert.include(coloured, "\u001b[31m") // the failed span
    assert.notInclude(coloured, "\u001b[36m") // a failed client span is red, not cyan
    const healthy = spans.map((span) => (span.name === "POST" ? { ...span, status: "ok" as const } : span))
    assert.include(Waterfall.render(healthy, { color: true }), "\u001b[36m") // a client span's bar
  })

  it("renders each trace separately and treats spans with a missing parent as roots", () => {
    const text = Waterfall.render(
      [
        { name: "second", spanId: "b", traceId: "t2", startTimeMs: t0 + 500, endTimeMs: t0 + 500 },
        { name: "orphan", spanId: "x", parentSpanId: "gone", traceId: "t1", startTimeMs: t0, endTimeMs: t0 + 4 }
      ],
      { nameWidth: 10, barWidth: 8, header: false }
    )
    assert.strictEqual(text, ["orphan     │████████│ 4.00 ms", "", "second     │████████│ 0.00 ms", ""].join("\n"))
    assert.strictEqual(Waterfall.render([]), "")
  })

  it("truncates long names to the name column", () => {
    const text = Waterfall.render([{ name: "MarketData.retrieveBars", spanId: "a", startTimeMs: 0, endTimeMs: 1 }], {
      nameWidth: 10,
      barWidth: 4,
      header: false
    })
    assert.strictEqual(text, "MarketDat… │████│ 1.00 ms\n")
  })

  it.effect("renders what the in-memory recorder captured", () =>
    Effect.gen(function* () {
      const inner = Effect.sleep("30 millis").pipe(Effect.withSpan("Inner"))
      const fiber = yield* Effect.forkChild(
        Effect.andThen(Effect.sleep("10 millis"), inner).pipe(Effect.withSpan("Outer"))
      )
      yield* TestClock.adjust("10 millis")
      yield* TestClock.adjust("30 millis")
      yield* Fiber.join(fiber)
      const recorder = yield* SpanRecorder.SpanRecorder
      const recorded = yield* recorder.spans
      const lines = Waterfall.render(recorded, { nameWidth: 10, barWidth: 8, header: false }).split("\n")
      assert.deepStrictEqual(lines, ["Outer      │████████│ 40.0 ms", "  Inner    │  ██████│ 30.0 ms", ""])
    }).pipe(Effect.provide(SpanRecorder.layerMemory()))
  )
})
