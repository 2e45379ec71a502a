import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { allocBarColumns, type BarsDecodeResult, decodeBarColumns, parseTimestamp } from "../src/index.ts"

/** The decoder as it was before its single-pass rewrite: the reference for results and issues. */
const referenceDecode = (bars: unknown): BarsDecodeResult => {
  const fail = (path: ReadonlyArray<string | number>, message: string): BarsDecodeResult => ({
    _tag: "Failure",
    issue: { path, message }
  })
  if (!Array.isArray(bars)) return fail(["bars"], `Expected an array, got ${typeof bars}`)
  const n = bars.length
  const { time, open, high, low, close, volume } = allocBarColumns(n)
  const columns = [open, high, low, close] as const
  const priceKeys = ["o", "h", "l", "c"] as const
  for (let i = 0; i < n; i++) {
    const bar = bars[i]
    if (typeof bar !== "object" || bar === null || Array.isArray(bar)) return fail(["bars", i], "Expected an object")
    const t = (bar as Record<string, unknown>).t
    if (typeof t !== "string") return fail(["bars", i, "t"], t === undefined ? "Missing key" : "Expected a string")
    const millis = parseTimestamp(t)
    if (millis === undefined) return fail(["bars", i, "t"], `Expected an ISO-8601 timestamp, got ${JSON.stringify(t)}`)
    time[i] = millis
    for (let k = 0; k < 4; k++) {
      const key = priceKeys[k]!
      const value = (bar as Record<string, unknown>)[key]
      if (typeof value !== "number" || !Number.isFinite(value)) {
        return fail(["bars", i, key], value === undefined ? "Missing key" : "Expected a finite number")
      }
      columns[k]![i] = value
    }
    const v = (bar as Record<string, unknown>).v
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      return fail(["bars", i, "v"], v === undefined ? "Missing key" : "Expected a finite number >= 0")
    }
    volume[i] = v
  }
  return { _tag: "Success", columns: { time, open, high, low, close, volume } }
}

const plain = (r: BarsDecodeResult) =>
  r._tag === "Failure"
    ? r
    : { _tag: r._tag, columns: Object.fromEntries(Object.entries(r.columns).map(([k, v]) => [k, Array.from(v)])) }

describe("decodeBarColumns", () => {
  const number = fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, -1, 1e308),
    fc.constantFrom("1", null, true, undefined, [] as Array<number>, {})
  )
  const time = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 4_000_000_000_000 }).map((ms) => new Date(ms).toISOString()) },
    fc.constantFrom("2025-02-30T00:00:00Z", "yesterday", "", "2025-07-18T21:00:01.268+0530", "2025-07-18"),
    fc.constantFrom(0, null, undefined, {})
  )
  const bar = fc.oneof(
    {
      weight: 12,
      arbitrary: fc.record({ t: time, o: number, h: number, l: number, c: number, v: number }, { requiredKeys: [] })
    },
    fc.constantFrom(null, 1, "bar", [] as Array<unknown>, [1, 2], undefined),
    fc
      .record({ t: time, o: number, h: number, l: number, c: number, v: number })
      .map((fields) => Object.assign([], fields)) // an array that carries every key
  )

  it("gives the same result and names the same issue as the reference decoder", () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 9, arbitrary: fc.array(bar, { maxLength: 5 }) }, fc.jsonValue()), (bars) => {
        expect(plain(decodeBarColumns(bars))).toEqual(plain(referenceDecode(bars)))
      }),
      { numRuns: 5000 }
    )
  })

  it("decodes valid bars (mostly valid input, so the success path is exercised)", () => {
    const valid = fc.record({
      t: fc.integer({ min: 0, max: 4_000_000_000_000 }).map((ms) => new Date(ms).toISOString().replace("Z", "+00:00")),
      o: fc.double({ noNaN: true, noDefaultInfinity: true }),
      h: fc.double({ noNaN: true, noDefaultInfinity: true }),
      l: fc.double({ noNaN: true, noDefaultInfinity: true }),
      c: fc.double({ noNaN: true, noDefaultInfinity: true }),
      v: fc.oneof(fc.nat(), fc.constant(-0), fc.double({ min: 0, max: 1e9, noNaN: true }))
    })
    fc.assert(
      fc.property(fc.array(valid, { maxLength: 20 }), (bars) => {
        const fast = decodeBarColumns(bars)
        expect(fast._tag).toBe("Success")
        expect(plain(fast)).toEqual(plain(referenceDecode(bars)))
      }),
      { numRuns: 1000 }
    )
  })
})
