import { beforeEach, describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"

// Heavy properties (thousands of runs each): a fixed seed keeps CI deterministic; change it to explore.
fc.configureGlobal({ seed: 20_261_124 })
import {
  type BarColumns,
  decodeBarColumns,
  parseTimestampAt,
  parseTimestampFast,
  scanBarsResponse
} from "../src/index.ts"

/** What the transport's JSON.parse path makes of a 2xx retrieveBars body: the columns, or a failure. */
const viaJson = (text: string): BarColumns | "failure" => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return "failure"
  }
  const envelope = json as { success?: unknown; errorCode?: unknown; bars?: unknown }
  if (typeof json !== "object" || json === null || envelope.success !== true || envelope.errorCode !== 0) {
    return "failure" // Rejected, or a Decode of the envelope
  }
  const result = decodeBarColumns(envelope.bars)
  return result._tag === "Success" ? result.columns : "failure"
}

const keys = ["time", "open", "high", "low", "close", "volume"] as const

/** Same lengths and the same doubles (Object.is: -0 is not 0). */
const sameColumns = (a: BarColumns, b: BarColumns): boolean =>
  keys.every((k) => a[k].length === b[k].length && a[k].every((x, i) => Object.is(x, b[k][i])))

/** The scanner declines, or agrees with the JSON.parse path (which then succeeded). */
const agrees = (text: string): boolean => {
  const scanned = scanBarsResponse(text)
  if (scanned === undefined) return true
  const reference = viaJson(text)
  return reference !== "failure" && sameColumns(scanned, reference)
}

// --- Generators: a response as a list of [key, value text] entries, serialized with random whitespace.

const ws = fc.string({ unit: fc.constantFrom(" ", "\n", "\r", "\t"), maxLength: 2 })

/** JSON number literals from the grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? */
const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max })
const numberLiteral = (nonNegative: boolean) =>
  fc.oneof(
    fc
      .tuple(
        nonNegative ? fc.constant("") : fc.constantFrom("", "-"),
        fc.oneof(
          fc.constant("0"),
          fc.tuple(fc.constantFrom(..."123456789"), digits(0, 19)).map(([a, b]) => a + b)
        ),
        fc.option(
          digits(1, 19).map((d) => `.${d}`),
          { nil: "" }
        ),
        fc.option(
          fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), digits(1, 3)).map((p) => p.join("")),
          { nil: "", freq: 4 }
        )
      )
      .map((p) => p.join("")),
    fc
      .double({ noNaN: true, noDefaultInfinity: true, min: nonNegative ? 0 : -Number.MAX_VALUE })
      .map((x) => JSON.stringify(x)),
    fc.integer({ min: 0, max: 2_000_000 }).map((ticks) => String(ticks / 4)), // 22228.25 and the like
    fc.constantFrom(
      "0",
      "1e3",
      "1E+3",
      "0.1",
      "22228.25",
      "1e-7",
      "5e-324",
      "1.7976931348623157e308",
      "0.30000000000000004"
    ),
    nonNegative ? fc.constantFrom("0.0", "-0", "-0.0", "0e5") : fc.constantFrom("-0", "-22228.25", "-1e-3")
  )

const finiteLiteral = (nonNegative: boolean) =>
  numberLiteral(nonNegative).filter((literal) => Number.isFinite(JSON.parse(literal)))
/** The forms gateway-api.md §2 lists: Z, +00:00, other offsets, 0–7 fraction digits, naive, date only. */
const timestamp = fc
  .tuple(
    fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2100, 0, 1) }),
    fc.constantFrom("T", "t", " "),
    fc.integer({ min: 0, max: 7 }),
    fc.constantFrom("Z", "z", "+00:00", "", "-05:00", "+0530", "+01", "date")
  )
  .map(([ms, sep, fractionDigits, zone]) => {
    const iso = new Date(ms).toISOString()
    if (zone === "date") return iso.slice(0, 10)
    const fraction = fractionDigits === 0 ? "" : `.${`${iso.slice(20, 23)}${"0123"}`.slice(0, fractionDigits)}`
    return `${iso.slice(0, 10)}${sep}${iso.slice(11, 19)}${fraction}${zone}`
  })

/** Any JSON value as text, with whitespace inside and escaped strings. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("null", "true", "false", '"a\\"b\\\\c\\u00e9\\n"', '"}]{[,:"', '"\\/\\b\\f\\r\\t"'),
    numberLiteral(false),
    fc.string().map((s) => JSON.stringify(s)),
    fc.array(tie("value"), { maxLength: 3 }).map((xs) => `[ ${xs.join(" ,\n")} ]`),
    fc
      .array(fc.tuple(fc.string({ maxLength: 4 }), tie("value")), { maxLength: 3 })
      .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)} : ${v}`).join(",")}}`)
  )
})).value

type Entry = readonly [key: string, value: string]

/** An object's text; a key starting with a backslash has its first character written as a \u escape. */
const object = (entries: ReadonlyArray<Entry>, space: ReadonlyArray<string>): string => {
  const w = (i: number) => space[i % Math.max(1, space.length)] ?? ""
  const key = (k: string) =>
    k.startsWith("\\")
      ? `"\\u${k.charCodeAt(1).toString(16).padStart(4, "0")}${JSON.stringify(k.slice(2)).slice(1)}`
      : JSON.stringify(k)
  return `{${w(0)}${entries.map(([k, v], i) => `${key(k)}${w(i + 1)}:${w(i + 2)}${v}`).join(`${w(3)},${w(4)}`)}${w(5)}}`
}

/** Sometimes writes a key escaped (see `object`). */
const maybeEscaped = (entries: ReadonlyArray<Entry>) =>
  fc
    .array(fc.boolean(), { minLength: entries.length, maxLength: entries.length })
    .map((flags) => entries.map(([k, v], i): Entry => [flags[i] && k.length > 0 ? `\\${k}` : k, v]))

const unknownEntry = fc.tuple(
  fc.oneof(
    fc.constantFrom("x", "tt", "volume", "oo", "T", "__proto__", "bars2", "é"),
    fc.string({ maxLength: 5 }).filter((k) => !k.startsWith("\\"))
  ),
  jsonText
)

/** A bar the Gateway could send: its six keys in any order, unknown keys among them. */
const validBar = fc
  .record({
    t: fc.oneof(
      timestamp.map((t) => JSON.stringify(t)),
      // escaped, which JSON.parse reads to the same string
      timestamp.map((t) => `"\\u${t.charCodeAt(0).toString(16).padStart(4, "0")}${t.slice(1)}"`)
    ),
    o: finiteLiteral(false),
    h: finiteLiteral(false),
    l: finiteLiteral(false),
    c: finiteLiteral(false),
    v: finiteLiteral(true),
    extra: fc.array(
      unknownEntry.filter(([k]) => !["t", "o", "h", "l", "c", "v"].includes(k)),
      { maxLength: 2 }
    ),
    space: fc.array(ws, { maxLength: 6 })
  })
  .chain(({ extra, space, ...known }) =>
    fc
      .shuffledSubarray([...Object.entries(known), ...extra] as Array<Entry>, { minLength: 6 + extra.length })
      .chain(maybeEscaped)
      .map((entries) => object(entries, space))
  )

/** A bar in the Gateway's own layout (the scanner's fast path): fixed key order, no whitespace. */
const compactBar = (value: fc.Arbitrary<string>, stamp: fc.Arbitrary<string>, volume: fc.Arbitrary<string>) =>
  fc
    .tuple(stamp, value, value, value, value, volume)
    .map(([t, o, h, l, c, v]) => `{"t":${t},"o":${o},"h":${h},"l":${l},"c":${c},"v":${v}}`)

const gatewayBar = compactBar(
  finiteLiteral(false),
  timestamp.map((t) => JSON.stringify(t)),
  finiteLiteral(true)
)

const envelope = (bars: fc.Arbitrary<string>) =>
  fc
    .record({
      bars,
      extra: fc.array(
        unknownEntry.filter(([k]) => !["bars", "success", "errorCode"].includes(k)),
        { maxLength: 2 }
      ),
      errorMessage: fc.constantFrom("null", '"ok"', '"a\\u0022b"'),
      errorCode: fc.constantFrom("0", "0.0", "-0", "0e0"),
      space: fc.array(ws, { maxLength: 6 }),
      outer: fc.tuple(ws, ws)
    })
    .chain(({ bars, extra, errorMessage, errorCode, space, outer }) =>
      fc
        .shuffledSubarray(
          [
            ["bars", bars],
            ["success", "true"],
            ["errorCode", errorCode],
            ["errorMessage", errorMessage],
            ...extra
          ] as Array<Entry>,
          { minLength: 4 + extra.length }
        )
        .chain(maybeEscaped)
        .map((entries) => `${outer[0]}${object(entries, space)}${outer[1]}`)
    )

const barsArray = (bar: fc.Arbitrary<string>) =>
  fc.tuple(fc.array(bar, { maxLength: 6 }), ws).map(([bars, w]) => `[${w}${bars.join(`,${w}`)}${w}]`)

const validResponse = envelope(barsArray(fc.oneof(validBar, gatewayBar)))

// --- Corruptions

/** Values no bar may hold where they stand (or number forms JSON does not allow). */
const badValue = fc.constantFrom(
  "NaN",
  "Infinity",
  "-Infinity",
  "1e999",
  "-1e999",
  '"1"',
  "null",
  "true",
  "[]",
  "{}",
  '"2025-02-30T00:00:00Z"',
  '"yesterday"',
  '""',
  '"2025-07-18T21:00:00\\u005a"',
  '"2025-07-18T21:00:01.268+0530"',
  '"2025-07-18T21:00:00\\"Z"',
  '"2025-07-18T21:00:00\\\\"',
  '"2025-07-18T21:00:00\t"',
  '"2025-07-18T21:00:00',
  "01",
  "1.",
  ".5",
  "+1",
  "-",
  "0x10",
  "1e",
  "-01"
)

/** A bar with wrong, missing, duplicated or non-finite values. */
const badBar = fc
  .record({
    entries: fc.array(
      fc.tuple(
        fc.constantFrom("t", "o", "h", "l", "c", "v", "t", "v", "x"),
        fc.oneof(
          numberLiteral(false),
          timestamp.map((t) => JSON.stringify(t)),
          badValue
        )
      ),
      { maxLength: 8 }
    ),
    space: fc.array(ws, { maxLength: 6 })
  })
  .map(({ entries, space }) => object(entries, space))

/** A compact-layout bar with one or more wrong values. */
const badCompactBar = compactBar(
  fc.oneof({ weight: 4, arbitrary: numberLiteral(false) }, badValue),
  fc.oneof({ weight: 4, arbitrary: timestamp.map((t) => JSON.stringify(t)) }, badValue),
  fc.oneof({ weight: 4, arbitrary: numberLiteral(false) }, badValue)
)

const anyBar = fc.oneof(
  { weight: 3, arbitrary: validBar },
  { weight: 3, arbitrary: gatewayBar },
  badBar,
  badCompactBar,
  fc.constantFrom("null", "[]", "1", '"bar"', "{}")
)

const badEnvelope = fc
  .record({
    bars: fc.oneof(barsArray(anyBar), fc.constantFrom("null", "{}", '"[]"', "[1]")),
    success: fc.constantFrom("true", "false", '"true"', "1", "null", "tru"),
    errorCode: fc.constantFrom("0", "1", "-0", "0.0", '"0"', "null", "00", "0.", "1e-400"),
    entries: fc.subarray(["bars", "success", "errorCode", "bars", "success", "errorCode", "b\\u0061rs", "x"], {
      minLength: 0
    }),
    space: fc.array(ws, { maxLength: 6 })
  })
  .map(({ bars, success, errorCode, entries, space }) =>
    object(
      entries.map((k): Entry => {
        if (k === "bars" || k === "b\\u0061rs") return [k, bars]
        if (k === "success") return [k, success]
        if (k === "errorCode") return [k, errorCode]
        return [k, "1"]
      }),
      space
    ).replace('"b\\\\u0061rs"', '"b\\u0061rs"')
  )

const noise = fc.constantFrom(...'{}[],:"\\ \n0123456789.-+eEtrufalsn\u0000\u001f\u2028\ufeffx')
/** A text edited at one place: truncated, a character inserted, deleted or replaced. */
const mutated = fc
  .tuple(validResponse, fc.nat(), fc.constantFrom("truncate", "insert", "delete", "replace"), noise)
  .map(([text, at, how, c]) => {
    const i = text.length === 0 ? 0 : at % text.length
    switch (how) {
      case "truncate":
        return text.slice(0, i)
      case "insert":
        return text.slice(0, i) + c + text.slice(i)
      case "delete":
        return text.slice(0, i) + text.slice(i + 1)
      default:
        return text.slice(0, i) + c + text.slice(i + 1)
    }
  })

describe("scanBarsResponse", () => {
  const counts = { accepted: 0, refused: 0 }
  /** Counts texts the scanner accepted and texts the JSON.parse path refused. */
  const tally = (text: string) => {
    if (scanBarsResponse(text) !== undefined) counts.accepted++
    if (viaJson(text) === "failure") counts.refused++
  }
  beforeEach(() => {
    counts.accepted = 0
    counts.refused = 0
  })

  it("reads a Gateway response to the columns the JSON.parse path decodes", () => {
    const text =
      '{"bars":[{"t":"2025-07-18T21:01:00+00:00","o":22228.25,"h":22230,"l":22227.5,"c":22229.75,"v":131},' +
      '{"t":"2025-07-18T21:00:00+00:00","o":22228,"h":22228.5,"l":22226,"c":22228.25,"v":0}],' +
      '"success":true,"errorCode":0,"errorMessage":null}'
    const scanned = scanBarsResponse(text)
    expect(scanned).toBeDefined()
    expect(Array.from(scanned!.time)).toEqual([Date.UTC(2025, 6, 18, 21, 1), Date.UTC(2025, 6, 18, 21)])
    expect(Array.from(scanned!.close)).toEqual([22229.75, 22228.25])
    expect(Array.from(scanned!.volume)).toEqual([131, 0])
    expect(scanBarsResponse('{"bars":[],"success":true,"errorCode":0}')?.time.length).toBe(0)
  })

  it("accepts every valid response, with exactly the values JSON.parse + decodeBarColumns give", () => {
    fc.assert(
      fc.property(validResponse, (text) => {
        const scanned = scanBarsResponse(text)
        const reference = viaJson(text)
        expect(reference).not.toBe("failure")
        expect(scanned, text).toBeDefined()
        expect(sameColumns(scanned!, reference as BarColumns), text).toBe(true)
      }),
      { numRuns: 3000 }
    )
  })

  it("reads every JSON number literal to the double JSON.parse gives", () => {
    fc.assert(
      fc.property(numberLiteral(false), (literal) => {
        const text = `{"success":true,"errorCode":0,"bars":[{"t":"2025-07-18","o":${literal},"h":0,"l":0,"c":0,"v":0}]}`
        const scanned = scanBarsResponse(text)
        const value = JSON.parse(literal) as number
        if (Number.isFinite(value)) expect(Object.is(scanned?.open[0], value), literal).toBe(true)
        else expect(scanned).toBeUndefined()
      }),
      { numRuns: 10_000 }
    )
  })

  it("never accepts what the JSON.parse path refuses, nor gives other values (wrong bars and envelopes)", () => {
    fc.assert(
      fc.property(fc.oneof(envelope(barsArray(anyBar)), badEnvelope), (text) => {
        expect(agrees(text), text).toBe(true)
        tally(text)
      }),
      { numRuns: 5000 }
    )
    // Not vacuous: both outcomes occur often.
    expect(counts.accepted).toBeGreaterThan(250)
    expect(counts.refused).toBeGreaterThan(250)
  })

  it("never accepts what the JSON.parse path refuses, nor gives other values (edited texts)", () => {
    fc.assert(
      fc.property(mutated, (text) => {
        expect(agrees(text), text).toBe(true)
        tally(text)
      }),
      { numRuns: 5000 }
    )
    expect(counts.accepted).toBeGreaterThan(250)
    expect(counts.refused).toBeGreaterThan(250)
  })

  it("reads a timestamp in place exactly as parseTimestampFast reads the slice", () => {
    const edited = fc
      .tuple(timestamp, fc.nat(), fc.constantFrom(...'0123456789-:T .,Zz+"\\x'), fc.boolean())
      .map(([t, at, c, insert]) => {
        const i = at % (t.length + 1)
        return t.slice(0, i) + c + t.slice(insert ? i : i + 1)
      })
    fc.assert(
      fc.property(fc.oneof(timestamp, edited, fc.string()), fc.string(), fc.string(), (t, before, after) => {
        const s = before + t + after
        expect(Object.is(parseTimestampAt(s, before.length, before.length + t.length), parseTimestampFast(t)), t).toBe(
          true
        )
      }),
      { numRuns: 10_000 }
    )
  })

  it("declines what it does not read itself", () => {
    const ok = '{"success":true,"errorCode":0,"bars":[]}'
    expect(scanBarsResponse(ok)).toBeDefined()
    for (const text of [
      '{"success":true,"errorCode":0,"bars":[],"bars":[]}', // duplicated key: JSON.parse keeps the last
      '{"success":false,"errorCode":0,"bars":[]}',
      '{"success":true,"errorCode":3,"bars":[]}',
      '{"success":true,"bars":[]}',
      '{"success":true,"errorCode":0,"bars":null}',
      `\ufeff${ok}`,
      `${ok}x`,
      `[${ok}]`,
      '{"success":true,"errorCode":0,"bars":[{"t":"2025-07-18","o":1,"h":1,"l":1,"c":1,"v":-1}]}',
      '{"success":true,"errorCode":0,"bars":[{"t":"2025-07-18","o":1,"h":1,"l":1,"c":1}]}',
      '{"success":true,"errorCode":0,"bars":[{"t":"2025-07-18","o":1,"o":2,"h":1,"l":1,"c":1,"v":1}]}',
      `{"success":true,"errorCode":0,"x":${"[".repeat(10_000)}${"]".repeat(10_000)},"bars":[]}`
    ]) {
      expect(scanBarsResponse(text), text).toBeUndefined()
      expect(agrees(text)).toBe(true)
    }
  })
})
