import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as fc from "fast-check"
import { parseTimestamp, Timestamp } from "../src/index.ts"

describe("Timestamp", () => {
  it("decodes every form the Gateway sends to the same instant", () => {
    const instant = Date.UTC(2025, 6, 18, 21, 0, 1, 268)
    const forms = [
      "2025-07-18T21:00:01.268Z",
      "2025-07-18T21:00:01.268+00:00",
      "2025-07-18T21:00:01.268009+00:00",
      "2025-07-18T21:00:01.2680000Z",
      "2025-07-18T21:00:01.268",
      "2025-07-18T21:00:01.268009",
      "2025-07-18T16:00:01.268-05:00",
      "2025-07-19T02:30:01.268+0530",
      "2025-07-18 21:00:01.268"
    ]
    for (const form of forms) {
      expect(Schema.decodeUnknownSync(Timestamp)(form).getTime(), form).toBe(instant)
    }
    expect(parseTimestamp("2025-07-18")).toBe(Date.UTC(2025, 6, 18))
    expect(parseTimestamp("2025-07-18T21:00:00+00:00")).toBe(Date.UTC(2025, 6, 18, 21))
  })

  it("refuses strings that are not timestamps, with a typed error", () => {
    for (const bad of ["", "yesterday", "2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z", "2025-07-18T25:00:00Z"]) {
      expect(parseTimestamp(bad), bad).toBeUndefined()
      const exit = Schema.decodeUnknownExit(Timestamp)(bad)
      expect(exit._tag, bad).toBe("Failure")
    }
  })

  it("round-trips any instant through its encoded form", () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_000_000_000_000, max: 8_000_000_000_000 }), (millis) => {
        const encoded = Schema.encodeSync(Timestamp)(new Date(millis))
        expect(encoded.endsWith("Z")).toBe(true)
        expect(Schema.decodeSync(Timestamp)(encoded).getTime()).toBe(millis)
        // the +00:00 and naive forms of the same string mean the same instant
        expect(parseTimestamp(encoded.replace("Z", "+00:00"))).toBe(millis)
        expect(parseTimestamp(encoded.slice(0, -1))).toBe(millis)
      })
    )
  })
})
