/**
 * One action over many items (cancel every order, close every position), each item's outcome kept: a
 * failure never stops the others, and every item lands in exactly one of the two lists.
 */
import * as Effect from "effect/Effect"

export interface Partitioned<A, E> {
  readonly succeeded: ReadonlyArray<A>
  readonly failed: ReadonlyArray<{ readonly item: A; readonly error: E }>
}

/** Runs `action` on every item, `concurrency` at a time, and partitions the items by outcome. */
export const fanOut = <A, E, R>(
  items: ReadonlyArray<A>,
  action: (item: A) => Effect.Effect<unknown, E, R>,
  concurrency: number
): Effect.Effect<Partitioned<A, E>, never, R> =>
  Effect.map(
    Effect.forEach(items, (item) => Effect.map(Effect.result(action(item)), (result) => ({ item, result })), {
      concurrency
    }),
    (results) => {
      const succeeded: Array<A> = []
      const failed: Array<{ item: A; error: E }> = []
      for (const { item, result } of results) {
        if (result._tag === "Success") succeeded.push(item)
        else failed.push({ item, error: result.failure })
      }
      return { succeeded, failed }
    }
  )
