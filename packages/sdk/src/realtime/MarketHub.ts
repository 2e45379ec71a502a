/**
 * The market hub as Streams: quotes (snapshot + deltas merged into a full quote per contract), market
 * prints and depth per contract. Quotes and depth coalesce latest-wins per subscriber (a flood at the open
 * costs memory for one pending value, counted as drops); prints never drop. A watchdog per contract turns
 * silence in session into `Stale`, a resubscribe, reconnects, and `Recovered` with the gap's 1-minute bars.
 */
import {
  type GatewayDepthEntry,
  GatewayDepthArgs,
  GatewayQuoteArgs,
  GatewayTradeArgs,
  MarketHubEvent,
  MarketHubMethod
} from "@projectx-effect/gateway"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { Auth } from "../client/Auth.ts"
import type { GatewayError, ValidationError, ContractNotFound } from "../client/Errors.ts"
import { ProjectXConfig } from "../client/ProjectXConfig.ts"
import { Instruments } from "../market/Instruments.ts"
import { MarketData } from "../market/MarketData.ts"
import {
  type ChannelHealth,
  type Depth,
  type MarketTrades,
  type Quote,
  RealtimeOverflow,
  type RealtimeError,
  type Signal,
  SubscriptionRefused
} from "./Events.ts"
import { fastQuote } from "./internal/fastQuote.ts"
import { channelHealth, makeHub } from "./internal/HubConnection.ts"
import { coalesceDepth, coalesceQuote, mergeQuote } from "./internal/merge.ts"
import { coalescing, lossless, type Mailbox, type Sink } from "./internal/Mailbox.ts"
import { makeFlush } from "./internal/metrics.ts"
import * as Watchdog from "./internal/Watchdog.ts"
import { type RealtimeOptions, resolveRealtime } from "./Options.ts"

export type MarketStreamError = RealtimeError | ContractNotFound | GatewayError | ValidationError

type Kind = "quotes" | "trades" | "depth"

const methods: Record<Kind, { readonly subscribe: string; readonly unsubscribe: string }> = {
  quotes: {
    subscribe: MarketHubMethod.SubscribeContractQuotes,
    unsubscribe: MarketHubMethod.UnsubscribeContractQuotes
  },
  trades: {
    subscribe: MarketHubMethod.SubscribeContractTrades,
    unsubscribe: MarketHubMethod.UnsubscribeContractTrades
  },
  depth: {
    subscribe: MarketHubMethod.SubscribeContractMarketDepth,
    unsubscribe: MarketHubMethod.UnsubscribeContractMarketDepth
  }
}

export interface MarketHubShape {
  /** Full quotes for a symbol (`MNQ`, `MNQZ5`) or contract id, latest-wins under load. */
  readonly quotes: (symbol: string) => Stream.Stream<Quote | Signal, MarketStreamError>
  /** Market prints, one element per `GatewayTrade` batch; never dropped. */
  readonly trades: (symbol: string) => Stream.Stream<MarketTrades | Signal, MarketStreamError>
  /** DOM updates (coalesced per level under load). */
  readonly depth: (symbol: string) => Stream.Stream<Depth | Signal, MarketStreamError>
  /** The latest merged quote of a contract, if subscribed and received. */
  readonly lastQuote: (contractId: string) => Effect.Effect<Quote | undefined>
  readonly health: Effect.Effect<ChannelHealth>
}

export class MarketHub extends Context.Service<MarketHub, MarketHubShape>()("@projectx-effect/sdk/MarketHub") {
  static readonly make = (
    options?: RealtimeOptions
  ): Effect.Effect<MarketHubShape, never, Scope.Scope | ProjectXConfig | Auth | Instruments | MarketData> =>
    make(options)

  /** The market hub, connected on the first subscription and closed with the layer. */
  static readonly layer = (
    options?: RealtimeOptions
  ): Layer.Layer<MarketHub, never, Auth | ProjectXConfig | Instruments | MarketData> =>
    Layer.effect(MarketHub, make(options))
}

const decodeQuote = Schema.decodeUnknownResult(GatewayQuoteArgs)
const decodeTrade = Schema.decodeUnknownResult(GatewayTradeArgs)
const decodeDepth = Schema.decodeUnknownResult(GatewayDepthArgs)

interface ContractState {
  readonly contractId: string
  readonly tracked: Watchdog.Tracked
  readonly sinks: Record<Kind, Set<Sink<any>>>
  holders: number
}

const make = Effect.fnUntraced(function* (options?: RealtimeOptions) {
  const settings = resolveRealtime(options)
  const config = yield* ProjectXConfig
  const auth = yield* Auth
  const instruments = yield* Instruments
  const marketData = yield* MarketData
  const clock = yield* Clock.Clock
  const context = yield* Effect.context<never>()
  const fork = Effect.runForkWith(context)
  const hub = yield* makeHub({ name: "market", url: config.urls.marketHub, settings, auth })
  const { stats } = hub

  const contracts = new Map<string, ContractState>()
  const quotes = new Map<string, Quote>()
  let invalid = 0

  const rejectInvalid = (event: string, issue: unknown) => {
    stats.messages.invalid = ++invalid
    // The first few are logged; a flood of them would be a contract change, visible in the counter.
    if (invalid <= 5) fork(Effect.logWarning(`ProjectX market hub: ${event} did not decode: ${String(issue)}`))
  }

  const arrived = (contractId: string, now: number): ContractState | undefined => {
    const state = contracts.get(contractId)
    if (state === undefined) return undefined
    const recovery = Watchdog.touch(state.tracked, now)
    if (recovery !== undefined) fork(recovered(state, recovery))
    return state
  }

  const count = (type: string) => {
    stats.messages[type] = (stats.messages[type] ?? 0) + 1
  }

  hub.on(MarketHubEvent.Quote, (...args: Array<unknown>) => {
    count(MarketHubEvent.Quote)
    let parsed = fastQuote(args)
    if (parsed === undefined) {
      const decoded = decodeQuote(args)
      if (Result.isFailure(decoded)) return rejectInvalid(MarketHubEvent.Quote, decoded.failure)
      parsed = decoded.success
    }
    const [contractId, delta] = parsed
    const now = clock.currentTimeMillisUnsafe()
    const state = arrived(contractId, now)
    // A quote for a contract no longer subscribed (in flight during an unsubscribe) is not kept.
    if (state === undefined) return
    const quote = mergeQuote(quotes.get(contractId), contractId, delta, now)
    quotes.set(contractId, quote)
    for (const sink of state.sinks.quotes) sink.push(quote)
  })

  hub.on(MarketHubEvent.Trade, (...args: Array<unknown>) => {
    count(MarketHubEvent.Trade)
    const decoded = decodeTrade(args)
    if (Result.isFailure(decoded)) return rejectInvalid(MarketHubEvent.Trade, decoded.failure)
    const [contractId, trades] = decoded.success
    const now = clock.currentTimeMillisUnsafe()
    const state = arrived(contractId, now)
    if (state === undefined || state.sinks.trades.size === 0) return
    const event: MarketTrades = { _tag: "MarketTrades", contractId, trades, receivedAt: now }
    for (const sink of state.sinks.trades) sink.push(event)
  })

  hub.on(MarketHubEvent.Depth, (...args: Array<unknown>) => {
    count(MarketHubEvent.Depth)
    const decoded = decodeDepth(args)
    if (Result.isFailure(decoded)) return rejectInvalid(MarketHubEvent.Depth, decoded.failure)
    const [contractId, entries] = decoded.success
    const now = clock.currentTimeMillisUnsafe()
    const state = arrived(contractId, now)
    if (state === undefined || state.sinks.depth.size === 0) return
    const event: Depth = {
      _tag: "Depth",
      contractId,
      entries: entries as ReadonlyArray<GatewayDepthEntry>,
      receivedAt: now
    }
    for (const sink of state.sinks.depth) sink.push(event)
  })

  const signalAll = (state: ContractState, signal: Signal) => {
    for (const kind of ["quotes", "trades", "depth"] as const) for (const sink of state.sinks[kind]) sink.signal(signal)
  }

  hub.onLifecycle((event) => {
    if (event._tag === "Logout") {
      for (const state of contracts.values()) signalAll(state, { _tag: "Logout", hub: "market", streak: event.streak })
    } else if (event._tag === "Connected") {
      const now = clock.currentTimeMillisUnsafe()
      for (const state of contracts.values()) {
        // Silence while the socket was down is the outage, not a stale feed on the new socket.
        if (state.tracked.staleSince === undefined) Watchdog.rebase(state.tracked, now)
        if (event.reconnect) signalAll(state, { _tag: "Reconnected", hub: "market", reconnects: stats.reconnects })
      }
    }
  })

  /** `Recovered`, after fetching the gap's 1-minute bars (a failed fetch is logged, not fatal). */
  const recovered = (state: ContractState, recovery: Watchdog.Recovery) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const bars = yield* marketData
        .bars({
          contractId: state.contractId,
          unit: "minute",
          start: new Date(recovery.staleSince - 60_000),
          end: new Date(now),
          includePartialBar: true
        })
        .pipe(
          Effect.timeoutOption("10 seconds"),
          Effect.map((found) => (found._tag === "Some" ? found.value : undefined)),
          Effect.catch((error) =>
            Effect.as(Effect.logInfo(`ProjectX market hub: gap bars unavailable: ${error.message}`), undefined)
          )
        )
      signalAll(state, {
        _tag: "Recovered",
        hub: "market",
        subscription: `market:${state.contractId}`,
        gapMs: recovery.gapMs,
        via: recovery.via,
        bars
      })
      yield* Effect.logInfo(
        `ProjectX market hub: ${state.contractId} recovered after ${recovery.gapMs} ms (${recovery.via})`
      )
    }).pipe(Effect.withSpan("Realtime.recovered", { attributes: { hub: "market", contractId: state.contractId } }))

  const flush = makeFlush("market", stats)
  yield* Effect.forkScoped(
    Watchdog.watch({
      thresholdMs: settings.staleMarketMs,
      entries: () => [...contracts.values()].map((s) => s.tracked),
      open: (now) => settings.marketOpen(new Date(now)),
      onStale: (tracked, silentMs) =>
        Effect.gen(function* () {
          const state = contracts.get(tracked.key)
          if (state === undefined) return
          stats.stale++
          signalAll(state, { _tag: "Stale", hub: "market", subscription: `market:${state.contractId}`, silentMs })
          yield* Effect.logWarning(`ProjectX market hub: ${state.contractId} silent for ${silentMs} ms; resubscribing`)
          for (const kind of ["quotes", "trades", "depth"] as const) {
            if (state.sinks[kind].size > 0) yield* hub.resubscribe(`${kind}:${state.contractId}`)
          }
        }).pipe(Effect.withSpan("Realtime.stale", { attributes: { hub: "market", contractId: tracked.key } })),
      // A socket that is already reconnecting needs no push.
      onReconnect: (reason) => (hub.state() === "connected" ? hub.reconnect(reason) : Effect.void),
      onTick: flush
    })
  )

  const contractIdOf = (symbol: string) =>
    symbol.startsWith("CON.") ? Effect.succeed(symbol) : Effect.map(instruments.resolve(symbol), (c) => c.id)

  const subscribe = <A>(kind: Kind, symbol: string, mailbox: (key: string) => Effect.Effect<Mailbox<A>>) =>
    Stream.unwrap(
      Effect.gen(function* () {
        const contractId = yield* contractIdOf(symbol)
        const key = `${kind}:${contractId}`
        const box = yield* mailbox(key)
        const now = yield* Clock.currentTimeMillis
        let state = contracts.get(contractId)
        if (state === undefined) {
          state = {
            contractId,
            tracked: Watchdog.track(contractId, now),
            sinks: { quotes: new Set(), trades: new Set(), depth: new Set() },
            holders: 0
          }
          contracts.set(contractId, state)
        }
        const held = state
        held.holders++
        held.sinks[kind].add(box.sink)
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            held.sinks[kind].delete(box.sink)
            if (--held.holders === 0) {
              contracts.delete(contractId)
              quotes.delete(contractId)
            }
          })
        )
        yield* hub.acquire({
          key,
          args: [contractId],
          ...methods[kind],
          refused: (reason) => {
            const error = new SubscriptionRefused({ hub: "market", method: methods[kind].subscribe, reason })
            for (const sink of held.sinks[kind]) sink.fail(error)
          }
        })
        // A late subscriber gets the current quote at once (the hub sends its snapshot only once per socket).
        const current = kind === "quotes" ? quotes.get(contractId) : undefined
        if (current !== undefined) (box.sink as Sink<Quote>).push(current)
        return box.stream
      })
    )

  const dropped = (type: string) => (count: number) => {
    stats.drops[type] = (stats.drops[type] ?? 0) + count
  }

  return MarketHub.of({
    quotes: (symbol) => subscribe("quotes", symbol, () => coalescing(coalesceQuote, dropped(MarketHubEvent.Quote))),
    depth: (symbol) => subscribe("depth", symbol, () => coalescing(coalesceDepth, dropped(MarketHubEvent.Depth))),
    trades: (symbol) =>
      subscribe("trades", symbol, (key) =>
        lossless<MarketTrades>(
          settings.buffer,
          () => new RealtimeOverflow({ hub: "market", subscription: key, capacity: settings.buffer })
        )
      ),
    lastQuote: (contractId) => Effect.sync(() => quotes.get(contractId)),
    health: Effect.sync(() =>
      channelHealth(
        "market",
        config.urls.marketHub,
        hub.state(),
        stats,
        settings.staleMarketMs,
        Array.from(contracts.values(), (s) => ({
          key: `market:${s.contractId}`,
          tracked: s.tracked,
          stale: s.tracked.staleSince !== undefined
        })),
        clock.currentTimeMillisUnsafe()
      )
    )
  })
})
