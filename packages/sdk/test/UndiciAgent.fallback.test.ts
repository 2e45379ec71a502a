// Should a future undici move the lib/ modules the SDK's Agent is loaded from (client/internal/undiciAgent.ts),
// the pool still comes up, from undici's index: here the agent module is not what the loader expects.
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Agent } from "undici"
import { vi } from "vitest"
import { makeAgent } from "../src/client/internal/undiciAgent.ts"

vi.mock("undici/lib/dispatcher/agent.js", () => ({ default: { moved: true } }))

const server = Effect.acquireRelease(
  Effect.promise(
    () =>
      new Promise<{ readonly origin: string; readonly close: () => void }>((resolve) => {
        const s = createServer((_, res) => res.end("ok")).listen(0, "127.0.0.1", () =>
          resolve({
            origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
            close: () => {
              s.closeAllConnections()
              s.close()
            }
          })
        )
      })
  ),
  ({ close }) => Effect.sync(close)
)

describe("the SDK's undici Agent when undici's lib/ layout changed", () => {
  it.live("falls back to undici's index and still serves requests", () =>
    Effect.gen(function* () {
      const { origin } = yield* server
      const agent = yield* makeAgent({ connections: 2 })
      expect(agent).toBeInstanceOf(Agent)
      const reply = yield* Effect.promise(() => agent.request({ origin, path: "/", method: "GET" }))
      expect(reply.statusCode).toBe(200)
      expect(yield* Effect.promise(() => reply.body.text())).toBe("ok")
    }).pipe(Effect.scoped)
  )
})
