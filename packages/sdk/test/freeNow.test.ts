import { describe, expect, it } from "@effect/vitest"
import { freeNow } from "../src/internal/freeNow.ts"

describe("freeNow", () => {
  it("frees a buffer a view spans whole, and leaves shared ones (a slice, a pooled Buffer) alone", () => {
    const own = new Uint8Array(1024).fill(7)
    freeNow(own)
    expect(own.byteLength).toBe(0)

    const whole = new Uint8Array(1024).fill(7)
    const part = whole.subarray(16, 32)
    freeNow(part)
    expect(whole.byteLength).toBe(1024)
    expect(part[0]).toBe(7)

    const pooled = Buffer.from("a few bytes from Node's shared pool")
    const neighbour = Buffer.from("another Buffer in the same pool")
    freeNow(pooled)
    expect(pooled.toString()).toBe("a few bytes from Node's shared pool")
    expect(neighbour.toString()).toBe("another Buffer in the same pool")
  })
})
