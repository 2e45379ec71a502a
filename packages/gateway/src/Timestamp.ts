/**
 * Timestamps as the Gateway sends them. Responses mix forms (PR #71 of project-x-py broke on this):
 * `Z`, `+00:00`, other offsets, 0–7 fraction digits, and naive times that mean UTC. One hand-written
 * parser accepts them all (Date.parse would read a naive time as local time); requests are sent as `…Z`.
 */
import { Effect, Schema, SchemaIssue, SchemaTransformation } from "effect"

const pattern =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/

const fractionToMillis = (digits: string | undefined): number =>
  digits === undefined ? 0 : Math.floor(Number(`0.${digits}`) * 1000 + 1e-6)

/** Epoch milliseconds of a Gateway timestamp, or `undefined` when it is not one. Naive times are UTC. */
export const parseTimestamp = (input: string): number | undefined => {
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
