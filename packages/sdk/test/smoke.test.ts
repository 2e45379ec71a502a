import { describe, expect, it } from "@effect/vitest"
import { x } from "@projectx-effect/sdk"
describe("smoke", () => {
  it("resolves workspace sources", () => {
    expect(x).toBe(2)
    expect(process.versions.node.split(".")[0]).toBe("24")
  })
})
