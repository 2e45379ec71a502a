/**
 * The span of a read method (a search, a lookup, bars): `Effect.fnUntraced(body, readSpan("X.y"))` is
 * `Effect.fn("X.y")(body)` without the call site's stack, which `Effect.fn` takes with a `new Error()` on
 * every call: ~5 µs, a sixth of an `Accounts.search`'s CPU and a third of a cached bars hit's. Trading
 * actions (orders, closes) keep `Effect.fn`: their call site is worth more in a post-mortem than the time.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Tracer from "effect/Tracer"

/** Span options that skip the call-site stack (also the transport's per-call spans). */
export const noCallSite: Tracer.TraceOptions = { captureStackTrace: false }

/** A named span around a read method's body, parenting what it runs, without the call-site stack. */
export const readSpan = (name: string) => Effect.withSpan(name, undefined, noCallSite)

/**
 * `Effect.annotateCurrentSpan(attributes)` for a step that already holds its fiber's context (inside
 * `Effect.withFiber`), so a method answered in one step does not take another for its attributes.
 */
export const annotateSpanUnsafe = (context: Context.Context<never>, attributes: Record<string, unknown>): void => {
  const span = Context.getOrUndefined(context, Tracer.ParentSpan)
  if (span === undefined || span._tag !== "Span" || span.status._tag === "Ended") return
  for (const key in attributes) span.attribute(key, attributes[key])
}
