/**
 * Reading the times a person types: a date or a date-time without an offset is a wall-clock time in
 * the display zone (`--tz`), because that is the zone every table shows; an explicit `Z` or offset
 * wins. Pure functions, so the daylight-saving edges are unit-tested without a Gateway.
 */
import { formatTime } from "./Output.ts"

/** Whether `zone` is an IANA time zone this runtime knows (`America/Chicago`, `UTC`). */
export const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** The zone's offset from UTC at instant `ms`, in minutes (Chicago in winter: -360). */
export const offsetMinutes = (ms: number, zone: string): number => {
  const wholeSecond = Math.floor(ms / 1000) * 1000
  return Math.round((Date.parse(`${formatTime(ms, zone).replace(" ", "T")}Z`) - wholeSecond) / 60_000)
}

/**
 * The instant at which the clocks in `zone` show the wall time `wallAsUtc` (a wall time encoded as if
 * it were UTC). In a spring-forward gap the time does not exist: the later offset is used (02:30 on a
 * US spring-forward day reads as 03:30); in a fall-back hour the earlier of the two instants wins.
 */
export const fromWallTime = (wallAsUtc: number, zone: string): number => {
  const before = wallAsUtc - offsetMinutes(wallAsUtc - 86_400_000, zone) * 60_000
  const after = wallAsUtc - offsetMinutes(wallAsUtc + 86_400_000, zone) * 60_000
  const candidates = [before, after].filter((ms) => ms + offsetMinutes(ms, zone) * 60_000 === wallAsUtc)
  return candidates.length > 0 ? Math.min(...candidates) : before
}

const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/
const localDateTime = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/
const withOffset = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i

/**
 * An ISO-8601 date or date-time as epoch ms: "2025-11-17" is midnight in `zone`, "2025-11-17T09:30"
 * is 09:30 in `zone`, "2025-11-17T15:30:00Z" and "…-05:00" are what they say. `undefined` otherwise.
 */
export const parseInstant = (text: string, zone: string): number | undefined => {
  const trimmed = text.trim()
  const m = dateOnly.exec(trimmed) ?? localDateTime.exec(trimmed)
  if (m !== null) {
    const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
      number,
      number,
      number,
      number,
      number,
      number
    ]
    const millis = Number((m[7] ?? "0").padEnd(3, "0"))
    const wall = Date.UTC(y, mo - 1, d, h, mi, s, millis)
    // Date.UTC rolls 2025-02-30 over into March and 24:00 into the next day: refuse those instead.
    const check = new Date(wall)
    const fields = [check.getUTCMonth() + 1, check.getUTCDate(), check.getUTCHours(), check.getUTCMinutes()]
    if (fields.join() !== [mo, d, h, mi].join() || check.getUTCSeconds() !== s) return undefined
    return fromWallTime(wall, zone)
  }
  if (!withOffset.test(trimmed)) return undefined
  const ms = Date.parse(trimmed.replace(" ", "T"))
  return Number.isFinite(ms) ? ms : undefined
}
