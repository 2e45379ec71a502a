/**
 * The span of a read method (a search, a lookup, bars): `Effect.fnUntraced(body, readSpan("X.y"))` is
 * `Effect.fn("X.y")(body)` without the call site's stack, which `Effect.fn` takes with a `new Error()` on
 * every call: ~5 µs, a sixth of an `Accounts.search`'s CPU (bars hits skip more: `readSpanFast`). Trading
 * actions (orders, closes) keep `Effect.fn`: their call site is worth more in a post-mortem than the time.
 */
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as Tracer from "effect/Tracer"

/** Span options that skip the call-site stack (also the transport's per-call spans). */
export const noCallSite: Tracer.TraceOptions = { captureStackTrace: false }

/** A named span around a read method's body, parenting what it runs, without the call-site stack. */
export const readSpan = (name: string) => Effect.withSpan(name, undefined, noCallSite)

/**
 * A read method's span (as `readSpan(name)`) for a method that can often answer in one step: `fast` gets
 * the span and its fiber and returns the answer (a hot cache hit), or undefined to run `slow()` with the
 * span as its parent. A one-step answer skips putting the span in context, which copies the fiber's
 * services and matters only to child spans; a hit has none.
 */
export const readSpanFast = <A, E, R>(
  name: string,
  fast: (span: Tracer.Span, fiber: Fiber.Fiber<unknown, unknown>) => A | undefined,
  slow: () => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.useSpan(name, (span) =>
    Effect.withFiber((fiber) => {
      const value = fast(span, fiber)
      return value === undefined ? Effect.withParentSpan(slow(), span, noCallSite) : Effect.succeed(value)
    })
  )

/** `Effect.annotateCurrentSpan(attributes)` on a span in hand, inside a step (see `readSpanFast`). */
export const setAttributes = (span: Tracer.Span, attributes: Readonly<Record<string, unknown>>): void => {
  for (const key in attributes) span.attribute(key, attributes[key])
}
