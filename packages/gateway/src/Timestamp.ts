/**
 * Timestamps as the Gateway sends them. Responses mix forms (PR #71 of project-x-py broke on this):
 * `Z`, `+00:00`, other offsets, 0–7 fraction digits, and naive times that mean UTC. One hand-written
 * parser accepts them all (Date.parse would read a naive time as local time); requests are sent as `…Z`.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as SchemaTransformation from "effect/SchemaTransformation"

const pattern =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/

const fractionToMillis = (digits: string | undefined): number =>
  digits === undefined ? 0 : Math.floor(Number(`0.${digits}`) * 1000 + 1e-6)

/**
 * The regex parser: accepts every form, allocates per call. `parseTimestamp` tries a char-code fast
 * path first and falls back to this; exported as the reference the property tests compare against.
 */
export const parseTimestampReference = (input: string): number | undefined => {
  const m = pattern.exec(input)
  if (m === null) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = m[4] === undefined ? 0 : Number(m[4])
  const minute = m[5] === undefined ? 0 : Number(m[5])
  const second = m[6] === undefined ? 0 : Number(m[6])
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined
  const base = Date.UTC(year, month - 1, day, hour, minute, second, fractionToMillis(m[7]))
  // Date.UTC rolls 31 Feb into March; reject dates that do not exist.
  if (new Date(base).getUTCDate() !== day) return undefined
  let offsetMinutes = 0
  const zone = m[8]
  if (zone !== undefined && zone !== "Z" && zone !== "z") {
    const sign = zone[0] === "-" ? -1 : 1
    const digits = zone.slice(1).replace(":", "")
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2, 4)) : 0))
  }
  return base - offsetMinutes * 60_000
}

// --- Fast path --------------------------------------------------------------------------------------
// `YYYY-MM-DD[Tt ]HH:MM:SS`, an optional `.`/`,` fraction of 1–9 digits, then nothing (UTC), `Z`/`z`,
// or `±HH`, `±HHMM`, `±HH:MM`: read by char codes with no allocation, the instant computed with
// days-from-civil. Returns NaN for anything else — other forms, invalid values, years below 100
// (Date.UTC maps 0–99 to 1900–1999) and fractions that round up to a whole second — and
// `parseTimestamp` then asks the reference parser, so both accept and reject exactly the same strings.

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9] as const
const DAY_MS = 86_400_000

/**
 * Two ASCII digits at `i` and `i + 1` as a number, or -1. The caller makes sure both are inside the
 * range (past the end of an array a read is `undefined`, which `>>> 0` would turn into a digit).
 */
const twoDigits = (b: Uint8Array, i: number): number => {
  const x = b[i]! - 48
  const y = b[i + 1]! - 48
  return x >>> 0 <= 9 && y >>> 0 <= 9 ? x * 10 + y : -1
}

const daysInMonth = (year: number, month: number): number =>
  month === 2
    ? (year & 3) === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : month === 4 || month === 6 || month === 9 || month === 11
      ? 30
      : 31

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil), year ≥ 1. */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year
  const era = (y / 400) | 0
  const yoe = y - era * 400
  const doy = (((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) | 0) + day - 1
  const doe = yoe * 365 + ((yoe / 4) | 0) - ((yoe / 100) | 0) + doy
  return era * 146_097 + doe - 719_468
}

/**
 * The allocation-free fast path on the bytes `b[start, end)` (UTF-8, or any ASCII-compatible encoding:
 * it accepts only ASCII): epoch ms for the common forms, NaN when it cannot tell (then `parseTimestamp`
 * asks `parseTimestampReference`). The bars scanner reads timestamps in place in a reply's bytes with it;
 * `parseTimestampFast` runs it on a string's char codes.
 */
export const parseTimestampBytes = (b: Uint8Array, start: number, end: number): number => {
  if (end - start < 19) return Number.NaN
  const yHi = twoDigits(b, start)
  const yLo = twoDigits(b, start + 2)
  const month = twoDigits(b, start + 5)
  const day = twoDigits(b, start + 8)
  const hour = twoDigits(b, start + 11)
  const minute = twoDigits(b, start + 14)
  const second = twoDigits(b, start + 17)
  const sep = b[start + 10]!
  if (
    yHi < 1 || // also years 0–99
    yLo < 0 ||
    b[start + 4]! !== 45 || // -
    b[start + 7]! !== 45 ||
    (sep !== 84 && sep !== 116 && sep !== 32) || // T t space
    b[start + 13]! !== 58 || // :
    b[start + 16]! !== 58 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  ) {
    return Number.NaN
  }
  const year = yHi * 100 + yLo
  if (day > 28 && day > daysInMonth(year, month)) return Number.NaN
  let i = start + 19
  let millis = 0
  let c = i < end ? b[i]! : -1
  if (c === 46 || c === 44) {
    // . or ,
    let n = 0
    let digits = 0
    i++
    for (; i < end; i++) {
      const d = b[i]! - 48
      if (d >>> 0 > 9) break
      n = n * 10 + d
      digits++
    }
    if (digits === 0 || digits > 9) return Number.NaN
    millis = Math.floor((n / POW10[digits]!) * 1000 + 1e-6)
    if (millis >= 1000) return Number.NaN
    c = i < end ? b[i]! : -1
  }
  let offsetMinutes = 0
  if (i === end) {
    // naive: UTC
  } else if (c === 90 || c === 122) {
    // Z z
    if (i + 1 !== end) return Number.NaN
  } else if (c === 43 || c === 45) {
    // + -
    const rest = end - i - 1
    const hh = rest >= 2 ? twoDigits(b, i + 1) : -1
    const mm =
      rest === 2 ? 0 : rest === 4 ? twoDigits(b, i + 3) : rest === 5 && b[i + 3]! === 58 ? twoDigits(b, i + 4) : -1
    if (hh < 0 || mm < 0) return Number.NaN
    offsetMinutes = c === 45 ? -(hh * 60 + mm) : hh * 60 + mm
  } else {
    return Number.NaN
  }
  return (
    daysFromCivil(year, month, day) * DAY_MS +
    hour * 3_600_000 +
    minute * 60_000 +
    second * 1000 +
    millis -
    offsetMinutes * 60_000
  )
}

/** Longer strings are no timestamp the fast path reads (35 chars at most); the reference has them. */
const scratch = new Uint8Array(40)

/**
 * The fast path on a whole string: its char codes copied into a scratch array (cheaper than a
 * `TextEncoder`), any non-ASCII char left to the reference (a byte would wrap it to another char).
 * Exported for the realtime quote decoder and the property tests.
 */
export const parseTimestampFast = (s: string): number => {
  const n = s.length
  if (n > scratch.length) return Number.NaN
  let any = 0
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    any |= c
    scratch[i] = c
  }
  return any > 127 ? Number.NaN : parseTimestampBytes(scratch, 0, n)
}

/** Epoch milliseconds of a Gateway timestamp, or `undefined` when it is not one. Naive times are UTC. */
export const parseTimestamp = (input: string): number | undefined => {
  const fast = parseTimestampFast(input)
  return Number.isNaN(fast) ? parseTimestampReference(input) : fast
}

/** ISO-8601 in UTC with `Z`, millisecond precision: the form requests use. */
export const formatTimestamp = (date: Date): string => date.toISOString()

/** A Gateway timestamp: decodes every form listed in gateway-api.md §2 to a `Date`, encodes to `…Z`. */
export const Timestamp = Schema.String.pipe(
  Schema.decodeTo(
    // Four-digit years only: that is what ISO-8601 without extensions (and the Gateway) can carry.
    Schema.Date.check(
      Schema.isBetweenDate({ minimum: new Date("1000-01-01T00:00:00Z"), maximum: new Date("9999-12-31T23:59:59.999Z") })
    ),
    SchemaTransformation.transformEffect({
      decode: (input: string, options) => {
        const millis = parseTimestamp(input)
        return millis === undefined
          ? Effect.fail(
              new SchemaIssue.InvalidValue(
                { message: `Expected an ISO-8601 timestamp, got ${JSON.stringify(input).slice(0, 60)}` },
                input,
                options
              )
            )
          : Effect.succeed(new Date(millis))
      },
      encode: (date: Date) => Effect.succeed(formatTimestamp(date))
    })
  )
).annotate({ identifier: "Timestamp" })
