import { beforeEach, describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"

// Heavy properties (thousands of runs each): a fixed seed keeps CI deterministic; change it to explore.
fc.configureGlobal({ seed: 20_261_124 })
import { type BarColumns, decodeBarColumns, scanBarsResponse } from "../src/index.ts"

const encoder = new TextEncoder()
const bytesOf = (text: string): Uint8Array => encoder.encode(text)
/** The scanner on a text's UTF-8 bytes. */
const scan = (text: string): BarColumns | undefined => scanBarsResponse(bytesOf(text))

/**
 * What the transport's text path makes of a 2xx retrieveBars body: the bytes decoded as the transport
 * decodes them (invalid UTF-8 to U+FFFD, a leading BOM dropped), `JSON.parse`, the envelope, then
 * `decodeBarColumns`: the columns, or a failure.
 */
const viaJson = (bytes: Uint8Array): BarColumns | "failure" => {
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder().decode(bytes))
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
const agreesOnBytes = (bytes: Uint8Array): boolean => {
  const scanned = scanBarsResponse(bytes)
  if (scanned === undefined) return true
  const reference = viaJson(bytes)
  return reference !== "failure" && sameColumns(scanned, reference)
}
const agrees = (text: string): boolean => agreesOnBytes(bytesOf(text))

/** A valid response: the scanner accepts it, with the columns the JSON.parse path gives. */
const expectAcceptedAsJson = (bytes: Uint8Array, label: string) => {
  const reference = viaJson(bytes)
  expect(reference).not.toBe("failure")
  const scanned = scanBarsResponse(bytes)
  expect(scanned, label).toBeDefined()
  expect(sameColumns(scanned!, reference as BarColumns), label).toBe(true)
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

/**
 * A private-use character that `withRawBytes` replaces, in the UTF-8 bytes, by bytes that are not UTF-8
 * (which the text path decodes to U+FFFD). Its UTF-8 is EE 80 80.
 */
const RAW = "\ue000"

/** Any JSON value as text, with whitespace inside, escaped strings and non-ASCII ones. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(
      "null",
      "true",
      "false",
      '"a\\"b\\\\c\\u00e9\\n"',
      '"}]{[,:"',
      '"\\/\\b\\f\\r\\t"',
      `"a${RAW}b${RAW}"`
    ),
    numberLiteral(false),
    fc.string().map((s) => JSON.stringify(s)),
    // Any code point, written raw (JSON.stringify escapes only controls, quotes and lone surrogates).
    fc.string({ unit: "binary", maxLength: 6 }).map((s) => JSON.stringify(s)),
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
    fc.constantFrom("x", "tt", "volume", "oo", "T", "__proto__", "bars2", "é", "t\u00e9", "\u{1f600}", `b${RAW}`),
    fc.string({ maxLength: 5 }).filter((k) => !k.startsWith("\\")),
    fc.string({ unit: "grapheme", maxLength: 3 }).filter((k) => !k.startsWith("\\"))
  ),
  jsonText
)

/** A bar the Gateway could send: its six keys in any order, unknown keys among them. */
const validBar = fc
  .record({
    t: fc.oneof(
      timestamp.map((t) => JSON.stringify(t)),
      // escaped, which JSON.parse reads to the same string
      timestamp.map((t) => `"\\u${t.charCodeAt(0).toString(16).padStart(4, "0")}${t.slice(1)}"`),
      // non-ASCII white space before the zone (the regex's \s): the reference parser's, on the decoded text
      fc.constantFrom('"2025-07-18T21:00:00\u00a0Z"', '"2025-07-18T21:00:00\u3000+01:00"', '"2025-07-18\u2028z"')
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

// --- Byte-level cases: what the text path's decode sees and the scanner must read the same way.

/** The text's UTF-8 with each `RAW` replaced by the next of `raws` (bytes 0x80–0xff: not UTF-8 as they stand). */
const withRawBytes = (text: string, raws: ReadonlyArray<Uint8Array>): Uint8Array => {
  const src = bytesOf(text)
  const out: Array<number> = []
  let k = 0
  for (let i = 0; i < src.length; i++) {
    if (src[i] === 0xee && src[i + 1] === 0x80 && src[i + 2] === 0x80 && raws.length > 0) {
      out.push(...raws[k++ % raws.length]!)
      i += 2
    } else {
      out.push(src[i]!)
    }
  }
  return Uint8Array.from(out)
}

/** Runs of bytes that are not UTF-8: stray continuations, lone or cut-short leads, overlongs, surrogates. */
const invalidUtf8 = fc.oneof(
  fc.uint8Array({ min: 0x80, max: 0xff, minLength: 1, maxLength: 4 }),
  fc.constantFrom(
    Uint8Array.of(0xc0, 0x80),
    Uint8Array.of(0xe2, 0x82),
    Uint8Array.of(0xed, 0xa0, 0x80),
    Uint8Array.of(0xf4, 0x90, 0x80, 0x80),
    Uint8Array.of(0xf0, 0x9f, 0x98),
    Uint8Array.of(0xff)
  )
)

/** A valid response with `RAW` in a skipped string of the envelope and of each bar. */
const rawResponse = envelope(
  barsArray(fc.oneof(validBar, gatewayBar).map((bar) => `{"note":"${RAW}x${RAW}",${bar.slice(1)}`))
).map((text) => text.replace("{", `{"raw":"${RAW}",`))

/** A response's bytes edited at one place: truncated, or any byte inserted, deleted or replaced. */
const byteEdited = fc
  .tuple(
    validResponse,
    fc.nat(),
    fc.constantFrom("truncate", "insert", "delete", "replace"),
    fc.integer({ min: 0, max: 255 })
  )
  .map(([text, at, how, byte]) => {
    const b = bytesOf(text)
    const i = b.length === 0 ? 0 : at % b.length
    const edited = new Uint8Array(b.length + 1)
    edited.set(b.subarray(0, i))
    switch (how) {
      case "truncate":
        return b.slice(0, i)
      case "insert":
        edited[i] = byte
        edited.set(b.subarray(i), i + 1)
        return edited
      case "delete":
        edited.set(b.subarray(i + 1), i)
        return edited.subarray(0, b.length - 1)
      default:
        edited[i] = byte
        edited.set(b.subarray(i + 1), i + 1)
        return edited.subarray(0, b.length)
    }
  })

describe("scanBarsResponse", () => {
  const counts = { accepted: 0, refused: 0 }
  /** Counts texts the scanner accepted and texts the JSON.parse path refused. */
  const tally = (text: string | Uint8Array) => {
    const bytes = typeof text === "string" ? bytesOf(text) : text
    if (scanBarsResponse(bytes) !== undefined) counts.accepted++
    if (viaJson(bytes) === "failure") counts.refused++
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
    const scanned = scan(text)
    expect(scanned).toBeDefined()
    expect(Array.from(scanned!.time)).toEqual([Date.UTC(2025, 6, 18, 21, 1), Date.UTC(2025, 6, 18, 21)])
    expect(Array.from(scanned!.close)).toEqual([22229.75, 22228.25])
    expect(Array.from(scanned!.volume)).toEqual([131, 0])
    expect(scan('{"bars":[],"success":true,"errorCode":0}')?.time.length).toBe(0)
  })

  it("accepts every valid response, with exactly the values JSON.parse + decodeBarColumns give", () => {
    fc.assert(
      fc.property(validResponse, (text) => expectAcceptedAsJson(bytesOf(text), text)),
      { numRuns: 3000 }
    )
  })

  it("reads every JSON number literal to the double JSON.parse gives", () => {
    fc.assert(
      fc.property(numberLiteral(false), (literal) => {
        const text = `{"success":true,"errorCode":0,"bars":[{"t":"2025-07-18","o":${literal},"h":0,"l":0,"c":0,"v":0}]}`
        const scanned = scan(text)
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

  it("reads non-ASCII and invalid UTF-8 in skipped strings as the text path does", () => {
    fc.assert(
      fc.property(rawResponse, fc.array(invalidUtf8, { minLength: 1, maxLength: 4 }), (text, raws) =>
        expectAcceptedAsJson(withRawBytes(text, raws), text)
      ),
      { numRuns: 1000 }
    )
  })

  it("never accepts what the JSON.parse path refuses, nor gives other values (edited bytes)", () => {
    fc.assert(
      fc.property(byteEdited, (bytes) => {
        expect(agreesOnBytes(bytes), new TextDecoder().decode(bytes)).toBe(true)
        tally(bytes)
      }),
      { numRuns: 5000 }
    )
    expect(counts.accepted).toBeGreaterThan(250)
    expect(counts.refused).toBeGreaterThan(250)
  })

  it("declines a reply cut short anywhere, read from a view with nothing past its end", () => {
    const text =
      '{"bars":[{"t":"2025-07-18T21:01:00+00:00","o":22228.25,"h":22230,"l":22227.5,"c":22229.75,"v":131},' +
      ' { "v" : 1e0 , "c":-0, "note":"d\u00e9j\u00e0 \u2028\ud83d\ude00", "t" : "2025-07-18t21:00:00.5Z", "o":1, "h":2.5, "l":0.25 }],' +
      ` "errorMessage":"caf\u00e9 ${RAW}", "success" : true ,"errorCode":0 }`
    const whole = withRawBytes(text, [Uint8Array.of(0xe2, 0x82)])
    // Copied into a larger buffer: a scanner reading past the view's end would see these.
    const backing = new Uint8Array(whole.length + 8).fill(0x7d) // }
    backing.set(whole)
    expect(scanBarsResponse(backing.subarray(0, whole.length))?.time.length).toBe(2)
    expect(agreesOnBytes(whole)).toBe(true)
    const last = whole.lastIndexOf(0x7d)
    for (let n = 0; n < whole.length; n++) {
      const cut = backing.subarray(0, n)
      if (n <= last) expect(scanBarsResponse(cut), `${n} bytes`).toBeUndefined()
      else expect(agreesOnBytes(cut)).toBe(true)
    }
  })

  it("declines bytes that are not JSON outside strings (non-ASCII, invalid UTF-8, a byte-order mark)", () => {
    const ok = '{"success":true,"errorCode":0,"bars":[{"t":"2025-07-18","o":1,"h":1,"l":1,"c":1,"v":1}]}'
    expect(scan(ok)).toBeDefined()
    const cases: Array<Uint8Array> = [
      bytesOf(ok.replace(":true", ":\u00a0true")), // NBSP is no JSON white space
      bytesOf(ok.replace(",", "\u2028,")),
      bytesOf(ok.replace('"o":1', '"o":\u0661')), // an Arabic-Indic digit
      bytesOf(`\ufeff${ok}`), // the text path's TextDecoder drops the BOM; the scanner leaves it to that path
      withRawBytes(ok.replace(',"bars"', `${RAW},"bars"`), [Uint8Array.of(0x80)]),
      withRawBytes(ok.replace('"v":1', `"v":1${RAW}`), [Uint8Array.of(0xff)]),
      withRawBytes(`${ok}${RAW}`, [Uint8Array.of(0xc2)])
    ]
    for (const bytes of cases) {
      expect(scanBarsResponse(bytes), new TextDecoder().decode(bytes)).toBeUndefined()
      expect(agreesOnBytes(bytes)).toBe(true)
    }
  })

  it("returns columns of their own: the body's buffer can be freed at once", () => {
    const text =
      '{"success":true,"errorCode":0,"bars":[{"t":"2025-07-18T21:00:00Z","o":1,"h":2,"l":0.5,"c":1.5,"v":7}]}'
    const bytes = bytesOf(text)
    const scanned = scanBarsResponse(bytes)!
    for (const k of keys) expect(scanned[k].buffer).not.toBe(bytes.buffer)
    ;(bytes.buffer as { transfer?: (length: number) => unknown }).transfer?.(0)
    expect(bytes.length).toBe(0)
    expect(Array.from(scanned.high)).toEqual([2])
    expect(Array.from(scanned.time)).toEqual([Date.UTC(2025, 6, 18, 21)])
  })

  it("declines what it does not read itself", () => {
    const ok = '{"success":true,"errorCode":0,"bars":[]}'
    expect(scan(ok)).toBeDefined()
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
      expect(scan(text), text).toBeUndefined()
      expect(agrees(text)).toBe(true)
    }
  })
})
