/**
 * Per-subscriber buffers between a socket callback (synchronous, cannot wait) and a Stream. Quotes and
 * depth coalesce: one pending value, later updates merged into it and counted as drops. User events and
 * market prints never drop: a bounded queue that, when full, fails the subscriber's Stream with a typed
 * `RealtimeOverflow` after the events already queued (never a silent gap).
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import type { RealtimeError, Signal } from "../Events.ts"

/** What the hub's dispatch writes into; one per subscriber. */
export interface Sink<A> {
  readonly push: (value: A) => void
  readonly signal: (signal: Signal) => void
  readonly fail: (error: RealtimeError) => void
}

export interface Mailbox<A> {
  readonly sink: Sink<A>
  readonly stream: Stream.Stream<A | Signal, RealtimeError>
}

const SLOT: unique symbol = Symbol("pending")

/**
 * Latest-wins: a new value while one is pending is merged into it (`merge` says how many updates that
 * superseded, reported through `onDrop`). The queue holds at most one `SLOT` token plus the signals.
 */
export const coalescing = <A>(
  merge: (pending: A, next: A) => { readonly value: A; readonly dropped: number },
  onDrop: (count: number) => void
): Effect.Effect<Mailbox<A>> =>
  Effect.map(Queue.unbounded<typeof SLOT | Signal, RealtimeError>(), (queue) => {
    let pending: A | undefined
    let has = false
    const sink: Sink<A> = {
      push: (value) => {
        if (has) {
          const merged = merge(pending as A, value)
          pending = merged.value
          if (merged.dropped > 0) onDrop(merged.dropped)
          return
        }
        pending = value
        has = true
        Queue.offerUnsafe(queue, SLOT)
      },
      signal: (signal) => {
        Queue.offerUnsafe(queue, signal)
      },
      fail: (error) => {
        Queue.failCauseUnsafe(queue, Cause.fail(error))
      }
    }
    const take = (token: typeof SLOT | Signal): A | Signal => {
      if (token !== SLOT) return token
      const value = pending as A
      pending = undefined
      has = false
      return value
    }
    return { sink, stream: Stream.map(Stream.fromQueue(queue), take) }
  })

/** Never drops: when `capacity` events are waiting, the Stream fails with `overflow()` after draining them. */
export const lossless = <A>(capacity: number, overflow: () => RealtimeError): Effect.Effect<Mailbox<A>> =>
  Effect.map(Queue.bounded<A | Signal, RealtimeError>(capacity), (queue) => {
    const offer = (value: A | Signal) => {
      if (!Queue.offerUnsafe(queue, value)) Queue.failCauseUnsafe(queue, Cause.fail(overflow()))
    }
    const sink: Sink<A> = {
      push: offer,
      signal: offer,
      fail: (error) => {
        Queue.failCauseUnsafe(queue, Cause.fail(error))
      }
    }
    return { sink, stream: Stream.fromQueue(queue) }
  })
