// The bar cache's LRU order: the RecencyMap that skips re-inserting the newest key must keep exactly the
// order (and values) of a Map that always re-inserts on use, whatever sequence of operations runs.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { RecencyMap } from "../src/market/internal/recencyMap.ts"

const ids = fc.constantFrom("a", "b", "c", "d")
const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constantFrom("use" as const, "delete" as const, "peek" as const), id: ids }),
    fc.record({ op: fc.constant("set" as const), id: ids, value: fc.integer() }),
    fc.record({ op: fc.constantFrom("evictOldest" as const, "clear" as const) })
  ),
  { maxLength: 200, size: "max" }
)

/** The reference: a plain Map, re-inserted on every use. */
const reference = () => {
  const map = new Map<string, number>()
  return {
    map,
    use: (id: string) => {
      const v = map.get(id)
      if (v !== undefined) {
        map.delete(id)
        map.set(id, v)
      }
      return v
    }
  }
}

describe("RecencyMap", () => {
  it("keeps a Map's least-recently-used order and values under any sequence of operations", () => {
    fc.assert(
      fc.property(ops, (script) => {
        const subject = new RecencyMap<number>()
        const model = reference()
        for (const step of script) {
          switch (step.op) {
            case "use":
              expect(subject.use(step.id)).toBe(model.use(step.id))
              break
            case "peek":
              expect(subject.peek(step.id)).toBe(model.map.get(step.id))
              break
            case "set":
              subject.set(step.id, step.value)
              model.map.delete(step.id)
              model.map.set(step.id, step.value)
              break
            case "delete": {
              const had = model.map.get(step.id)
              model.map.delete(step.id)
              expect(subject.delete(step.id)).toBe(had)
              break
            }
            case "evictOldest": {
              const oldest = model.map.keys().next()
              expect(subject.oldest()).toBe(oldest.done === true ? undefined : oldest.value)
              if (oldest.done !== true) {
                model.map.delete(oldest.value)
                subject.delete(oldest.value)
              }
              break
            }
            case "clear":
              subject.clear()
              model.map.clear()
          }
          expect([...subject.entries()]).toEqual([...model.map.entries()])
          expect(subject.size).toBe(model.map.size)
        }
      }),
      { numRuns: 300 }
    )
  })

  it("a hit on the newest entry leaves the order alone; a hit on an older one moves it to the back", () => {
    const m = new RecencyMap<number>()
    m.set("a", 1)
    m.set("b", 2)
    expect(m.use("b")).toBe(2)
    expect([...m.keys()]).toEqual(["a", "b"])
    expect(m.use("a")).toBe(1)
    expect([...m.keys()]).toEqual(["b", "a"])
    expect(m.oldest()).toBe("b")
  })
})
