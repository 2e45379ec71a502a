/**
 * Live L2 books over the market hub's depth stream: one bounded book per contract (sorted arrays, see
 * internal/l2Book.ts), a view with best bid and ask after every batch, and the latest view on demand. A
 * reconnect clears the book until the server's next snapshot (it starts with a Reset) rebuilds it.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import type { Depth, Signal } from "../realtime/Events.ts"
import { MarketHub, type MarketStreamError } from "../realtime/MarketHub.ts"
import { type BookView, L2Book } from "./internal/l2Book.ts"

export type { BookView, Level } from "./internal/l2Book.ts"

export interface DepthBookOptions {
  /** Levels kept per side (default 100); worse levels beyond it are dropped and counted. */
  readonly maxLevels?: number | undefined
}

/** A book view of one contract, after a batch. */
export interface BookUpdate extends BookView {
  readonly contractId: string
}

export interface DepthBookShape {
  /**
   * The book of `symbol` (a contract id or a symbol), one view per depth batch, `depth` levels per side
   * (default 10). The subscription lasts as long as the stream runs.
   */
  readonly book: (symbol: string, depth?: number) => Stream.Stream<BookUpdate, MarketStreamError>
  /** The latest full view of a contract some `book` stream is following, if any. */
  readonly latest: (contractId: string) => Effect.Effect<BookUpdate | undefined>
}

const make = (options: DepthBookOptions = {}): Effect.Effect<DepthBookShape, never, MarketHub> =>
  Effect.gen(function* () {
    const market = yield* MarketHub
    const maxLevels = options.maxLevels ?? 100
    const books = new Map<string, { readonly book: L2Book; holders: number }>()

    const book = (symbol: string, depth = 10) =>
      Stream.unwrap(
        Effect.gen(function* () {
          let contractId: string | undefined
          let held: { readonly book: L2Book; holders: number } | undefined
          yield* Effect.addFinalizer(() =>
            Effect.sync(() => {
              if (held !== undefined && contractId !== undefined && --held.holders === 0) books.delete(contractId)
            })
          )
          const onDepth = (event: Depth): BookUpdate => {
            if (held === undefined) {
              contractId = event.contractId
              held = books.get(contractId) ?? { book: new L2Book(maxLevels), holders: 0 }
              if (held.holders++ === 0) books.set(contractId, held)
            }
            held.book.applyAll(event.entries)
            return { contractId: event.contractId, ...held.book.view(depth) }
          }
          return market.depth(symbol).pipe(
            Stream.filterMap((event: Depth | Signal) => {
              if (event._tag === "Depth") return Result.succeed(onDepth(event))
              // The levels held may be stale after a reconnect; the server's next snapshot starts with a Reset.
              if (event._tag === "Reconnected" && held !== undefined) held.book.apply({ type: 6, price: 0, volume: 0 })
              return Result.fail(undefined)
            })
          )
        })
      ).pipe(Stream.withSpan("DepthBook.book", { attributes: { "projectx.symbol": symbol } }))

    const latest = (contractId: string) =>
      Effect.sync(() => {
        const held = books.get(contractId)
        return held === undefined ? undefined : { contractId, ...held.book.view() }
      })

    return { book, latest } satisfies DepthBookShape
  })

export class DepthBook extends Context.Service<DepthBook, DepthBookShape>()("@projectx-effect/sdk/DepthBook") {
  static readonly make = make
  static readonly layer = (options?: DepthBookOptions): Layer.Layer<DepthBook, never, MarketHub> =>
    Layer.effect(DepthBook, make(options))
}
