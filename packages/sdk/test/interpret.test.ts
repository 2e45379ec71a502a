// The reply interpretation as pure functions: hand-written replies, no HTTP, no runtime.
import { describe, expect, it } from "@effect/vitest"
import { Endpoints } from "@projectx-effect/gateway"
import { Result } from "effect"
import {
  Decode,
  GatewayError,
  HttpStatus,
  isAmbiguous,
  type Reason,
  Rejected,
  Timeout,
  TooLarge,
  Transport
} from "../src/client/Errors.ts"
import { classifyStatus, interpret, onAccepted, readBody, shouldRetry } from "../src/client/internal/interpret.ts"

const ok = (payload: object) => JSON.stringify({ ...payload, success: true, errorCode: 0, errorMessage: null })
const failure = (r: Result.Result<unknown, Reason>): Reason => {
  if (Result.isSuccess(r)) throw new Error("expected a failure")
  return r.failure
}
const error = (endpoint: { readonly name: string }, reason: Reason) =>
  new GatewayError({ operation: endpoint.name, reason })

const writes = [Endpoints.placeOrder, Endpoints.modifyOrder, Endpoints.cancelOrder, Endpoints.closePosition]
const reads = [Endpoints.searchOrders, Endpoints.searchOrderById, Endpoints.searchOpenPositions]

describe("interpret", () => {
  it("a 2xx reply to an order that is cut in the middle is ambiguous: the order may be working", () => {
    const body = ok({ orderId: 42 })
    for (const endpoint of writes) {
      const reason = failure(interpret(endpoint, 200, {}, body.slice(0, body.length / 2), 0))
      expect(reason._tag).toBe("Decode")
      expect(isAmbiguous(reason)).toBe(true)
      expect(error(endpoint, reason).ambiguous).toBe(true)
      expect(error(endpoint, reason).message).toContain("may have been executed")
      expect(shouldRetry(endpoint, error(endpoint, reason))).toBe(false)
    }
  })

  it("a 2xx reply that is JSON but not the envelope is ambiguous on writes", () => {
    const reason = failure(readBody(Endpoints.placeOrder, JSON.stringify({ orderId: 42 })))
    expect(reason._tag).toBe("Decode")
    expect(isAmbiguous(reason)).toBe(true)
  })

  it("the same unreadable reply to a read stays a plain, definite Decode", () => {
    for (const endpoint of reads) {
      const reason = failure(interpret(endpoint, 200, {}, '{"orders": [', 0))
      expect(reason).toMatchObject({ _tag: "Decode", path: "", issue: expect.stringContaining("not JSON") })
      expect("ambiguous" in reason).toBe(false)
      expect(isAmbiguous(reason)).toBe(false)
      expect(error(endpoint, reason).retryable).toBe(false)
    }
  })

  it("onAccepted marks Decode and TooLarge on writes only, and leaves other reasons alone", () => {
    const decode = Decode.make({ path: '["orderId"]', issue: "expected a number" })
    expect(isAmbiguous(onAccepted(Endpoints.cancelOrder, decode))).toBe(true)
    expect(isAmbiguous(onAccepted(Endpoints.searchOrders, decode))).toBe(false)
    const large = TooLarge.make({ limitBytes: 1024 })
    expect(isAmbiguous(onAccepted(Endpoints.closePosition, large))).toBe(true)
    expect(isAmbiguous(onAccepted(Endpoints.retrieveBars, large))).toBe(false)
    const rejected = Rejected.make({ code: 2, name: "OrderRejected", message: null })
    expect(onAccepted(Endpoints.placeOrder, rejected)).toBe(rejected)
  })

  it("a definite refusal by the envelope is not ambiguous and carries the endpoint's error name", () => {
    const body = JSON.stringify({ success: false, errorCode: 2, errorMessage: "Invalid size", orderId: 7 })
    const reason = failure(interpret(Endpoints.placeOrder, 200, {}, body, 0))
    expect(reason).toMatchObject({ _tag: "Rejected", name: "OrderRejected", orderId: 7 })
    expect(isAmbiguous(reason)).toBe(false)
  })

  it("5xx and 408 are ambiguous on every endpoint, retried only where the endpoint is retry-safe", () => {
    for (const status of [500, 502, 503, 408]) {
      const reason = classifyStatus(status, {}, "busy", 0)
      expect(reason).toEqual(HttpStatus.make({ status, body: "busy" }))
      expect(isAmbiguous(reason as Reason)).toBe(true)
      for (const endpoint of writes) expect(shouldRetry(endpoint, error(endpoint, reason as Reason))).toBe(false)
      for (const endpoint of reads) expect(shouldRetry(endpoint, error(endpoint, reason as Reason))).toBe(true)
    }
  })

  it("a timeout or a reset after sending is ambiguous; a connection that never sent is neither", () => {
    const timeout = Timeout.make({ timeoutMs: 5000 })
    const reset = Transport.make({ message: "ECONNRESET", sent: true })
    const refused = Transport.make({ message: "ECONNREFUSED", sent: false })
    expect(isAmbiguous(timeout)).toBe(true)
    expect(isAmbiguous(reset)).toBe(true)
    expect(isAmbiguous(refused)).toBe(false)
    expect(shouldRetry(Endpoints.placeOrder, error(Endpoints.placeOrder, timeout))).toBe(false)
    expect(shouldRetry(Endpoints.placeOrder, error(Endpoints.placeOrder, reset))).toBe(false)
    expect(shouldRetry(Endpoints.placeOrder, error(Endpoints.placeOrder, refused))).toBe(true)
    expect(shouldRetry(Endpoints.searchOrders, error(Endpoints.searchOrders, timeout))).toBe(true)
  })

  it("a 429 is definite (not executed) and retried everywhere, after its Retry-After", () => {
    const reason = classifyStatus(429, { "retry-after": "3" }, "", 0)
    expect(reason).toEqual({ _tag: "RateLimited", retryAfterMs: 3000 })
    expect(isAmbiguous(reason as Reason)).toBe(false)
    expect(shouldRetry(Endpoints.placeOrder, error(Endpoints.placeOrder, reason as Reason))).toBe(true)
  })

  it("other 4xx are definite refusals, never retried", () => {
    const reason = classifyStatus(400, {}, '{"errors":{}}', 0) as Reason
    expect(isAmbiguous(reason)).toBe(false)
    expect(shouldRetry(Endpoints.searchOrders, error(Endpoints.searchOrders, reason))).toBe(false)
  })
})
