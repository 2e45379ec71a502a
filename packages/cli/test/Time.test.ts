// How the CLI reads the times a user types (--start, --end, --tz) and the range and --every checks it
// makes before any request: pure functions, daylight-saving edges included.
import { describe, expect, it } from "vitest"
import { checkEvery, checkRange } from "../src/commands/Bars.ts"
import { fromWallTime, isTimeZone, offsetMinutes, parseInstant } from "../src/Time.ts"

const chicago = "America/Chicago"

describe("parseInstant", () => {
  it("reads a bare date as midnight in the display zone, not UTC", () => {
    // CST is UTC-6: midnight in Chicago is 06:00Z.
    expect(parseInstant("2025-11-17", chicago)).toBe(Date.parse("2025-11-17T06:00:00Z"))
    // CDT (summer) is UTC-5.
    expect(parseInstant("2025-07-01", chicago)).toBe(Date.parse("2025-07-01T05:00:00Z"))
    expect(parseInstant("2025-11-17", "UTC")).toBe(Date.parse("2025-11-17T00:00:00Z"))
    expect(parseInstant("2025-11-17", "Asia/Tokyo")).toBe(Date.parse("2025-11-16T15:00:00Z"))
  })

  it("reads a date-time without an offset in the zone; an explicit Z or offset wins", () => {
    expect(parseInstant("2025-11-17T09:30", chicago)).toBe(Date.parse("2025-11-17T15:30:00Z"))
    expect(parseInstant("2025-11-17 09:30:15.250", chicago)).toBe(Date.parse("2025-11-17T15:30:15.250Z"))
    expect(parseInstant("2025-11-17T09:30:00Z", chicago)).toBe(Date.parse("2025-11-17T09:30:00Z"))
    expect(parseInstant("2025-11-17T09:30:00-05:00", chicago)).toBe(Date.parse("2025-11-17T14:30:00Z"))
  })

  it("handles the daylight-saving days", () => {
    // 2025-03-09 02:30 does not exist in Chicago (clocks jump 02:00 → 03:00): read as 03:30 CDT.
    expect(parseInstant("2025-03-09T02:30", chicago)).toBe(Date.parse("2025-03-09T08:30:00Z"))
    // 2025-11-02 01:30 happens twice (CDT then CST): the first one.
    expect(parseInstant("2025-11-02T01:30", chicago)).toBe(Date.parse("2025-11-02T06:30:00Z"))
    // Midnight on both days is ordinary.
    expect(parseInstant("2025-03-09", chicago)).toBe(Date.parse("2025-03-09T06:00:00Z"))
    expect(parseInstant("2025-11-02", chicago)).toBe(Date.parse("2025-11-02T05:00:00Z"))
  })

  it("refuses what is not a real date", () => {
    for (const text of [
      "yesterday",
      "2025-02-30",
      "2025-13-01",
      "2025-11-17T24:00",
      "2025-11-17T09:61",
      "17/11/2025"
    ]) {
      expect(parseInstant(text, chicago), text).toBeUndefined()
    }
  })

  it("fromWallTime inverts the zone's offset", () => {
    const wall = Date.UTC(2025, 5, 4, 12, 0)
    const instant = fromWallTime(wall, chicago)
    expect(instant + offsetMinutes(instant, chicago) * 60_000).toBe(wall)
  })
})

describe("isTimeZone", () => {
  it("knows IANA zones and refuses made-up ones", () => {
    expect(isTimeZone("America/Chicago")).toBe(true)
    expect(isTimeZone("UTC")).toBe(true)
    expect(isTimeZone("Mars/Olympus")).toBe(false)
  })
})

describe("checkRange", () => {
  const now = Date.parse("2025-11-20T12:00:00Z")

  it("blames a future --start on --start", () => {
    const error = checkRange(Date.parse("2025-12-01T06:00:00Z"), undefined, now, chicago)
    expect(error?.message).toMatch(/^--start is in the future \(2025-12-01 00:00:00 America\/Chicago\)/)
    expect(error?.message).not.toContain("--end")
  })

  it("refuses a --start not before --end, naming both", () => {
    const error = checkRange(Date.parse("2025-11-18T06:00:00Z"), Date.parse("2025-11-17T06:00:00Z"), now, chicago)
    expect(error?.message).toMatch(/--start .* is not before --end/)
  })

  it("accepts a range in the past", () => {
    expect(checkRange(Date.parse("2025-11-17T06:00:00Z"), Date.parse("2025-11-18T06:00:00Z"), now, chicago)).toBe(
      undefined
    )
    expect(checkRange(undefined, undefined, now, chicago)).toBeUndefined()
  })
})

describe("checkEvery", () => {
  it("holds --every to the Gateway's range for the unit", () => {
    expect(checkEvery("minute", 5)).toBeUndefined()
    expect(checkEvery("minute", 43_200)).toBeUndefined()
    expect(checkEvery("minute", 100_000)?.message).toBe("--every 100000 is out of range for --unit minute")
    expect(checkEvery("minute", 100_000)?.hint).toBe("use 1 to 43,200 minutes per bar")
    expect(checkEvery("month", 121)).toBeDefined()
    expect(checkEvery("second", 0)).toBeDefined()
  })
})
