/**
 * The naked-position guard, a policy the user turns on: a position that has no working protective stop (a
 * bracket child cancelled or rejected, a fill without a bracket) raises an alert once it has stayed naked
 * for `grace`, and, if asked, the guard places a stop N ticks away or flattens. It reads only
 * `TradingState`, so it sees what REST confirms too; every action is logged, traced and reported as an event.
 */
import { OrderSide, type Position, PositionType } from "@projectx-effect/gateway"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { Instruments } from "../market/Instruments.ts"
import { roundToTick } from "../market/internal/ticks.ts"
import { MarketHub } from "../realtime/MarketHub.ts"
import { Positions } from "../trading/Positions.ts"
import type { TradingSnapshot } from "./internal/tradingBook.ts"
import { isStopType, Phase } from "./OrderLifecycle.ts"
import { TradingState } from "./TradingState.ts"

/** What the guard does once a position has been naked for `grace`. */
export type GuardAction =
  | { readonly _tag: "Alert" }
  /** Places a stop `ticks` away from the entry (or from the last price, if that is worse), for the uncovered size. */
  | { readonly _tag: "Stop"; readonly ticks: number }
  /** Closes the position at market. */
  | { readonly _tag: "Flatten" }

export interface GuardPolicy {
  /** How long a position may stay without a working stop before the guard acts (default 2 seconds). */
  readonly grace?: Duration.Input | undefined
  /** Default: alert only. */
  readonly action?: GuardAction | undefined
  /** How often positions are checked (default a quarter of `grace`). */
  readonly checkEvery?: Duration.Input | undefined
}

/** A position and how much of it live stops cover. */
export interface Exposure {
  readonly position: Position
  readonly coveredSize: number
}

export type GuardEvent =
  | { readonly _tag: "Naked"; readonly contractId: string; readonly exposure: Exposure; readonly nakedForMs: number }
  | {
      readonly _tag: "StopPlaced"
      readonly contractId: string
      readonly orderId: number
      readonly stopPrice: number
      readonly size: number
    }
  | { readonly _tag: "Flattened"; readonly contractId: string }
  | {
      readonly _tag: "ActionFailed"
      readonly contractId: string
      readonly action: GuardAction["_tag"]
      readonly error: string
    }
  /** The position is covered again (by the guard's stop or anyone's), or flat. */
  | { readonly _tag: "Covered"; readonly contractId: string }

/**
 * The open positions not fully covered by live stops: stop-type orders (Stop, TrailingStop, StopLimit) on
 * the same contract, on the closing side, Working or PartiallyFilled (a Suspended bracket child protects
 * nothing until its entry fills). Pure: the guard's whole judgement.
 */
export const exposures = (s: TradingSnapshot): ReadonlyArray<Exposure> => {
  const out: Array<Exposure> = []
  for (const position of s.positions.values()) {
    const closing = position.type === PositionType.Long ? OrderSide.Ask : OrderSide.Bid
    let covered = 0
    for (const { order, phase } of s.orders.values()) {
      if (order.contractId !== position.contractId || order.side !== closing || !isStopType(order.type)) continue
      if (phase !== Phase.Working && phase !== Phase.PartiallyFilled) continue
      covered += order.size - (order.fillVolume ?? 0)
    }
    if (covered < position.size) out.push({ position, coveredSize: covered })
  }
  return out
}

export interface NakedPositionGuardShape {
  /**
   * Alerts and actions: the latest 256 since the guard started, then each as it happens. Alerts are rare
   * and must not be lost to a subscriber that starts after the first check (a position already naked
   * when the guard starts is alerted at once); a subscriber that starts late sees earlier ones again.
   */
  readonly events: Stream.Stream<GuardEvent>
  /** The positions naked right now (whatever the grace). */
  readonly naked: Effect.Effect<ReadonlyArray<Exposure>>
}

const make = (
  policy: GuardPolicy = {}
): Effect.Effect<NakedPositionGuardShape, never, TradingState | Positions | Instruments | MarketHub | Scope.Scope> =>
  Effect.gen(function* () {
    const state = yield* TradingState
    const positions = yield* Positions
    const instruments = yield* Instruments
    const market = yield* MarketHub
    const graceMs = Duration.toMillis(Duration.fromInputUnsafe(policy.grace ?? "2 seconds"))
    const every = policy.checkEvery ?? Duration.millis(Math.max(10, Math.floor(graceMs / 4)))
    const action = policy.action ?? { _tag: "Alert" }
    const hub = yield* PubSub.unbounded<GuardEvent>({ replay: 256 })
    const publish = (event: GuardEvent) => PubSub.publish(hub, event).pipe(Effect.asVoid)
    /** Since when each contract has been naked, and whether the guard already acted on this episode. */
    const since = new Map<string, { readonly at: number; acted: boolean }>()

    const placeStop = Effect.fn("NakedPositionGuard.placeStop")(function* (exposure: Exposure, ticks: number) {
      const { position } = exposure
      const contract = yield* instruments.resolve(position.contractId)
      const long = position.type === PositionType.Long
      const last = (yield* market.lastQuote(position.contractId))?.lastPrice
      // From the entry, or from the last price when the market has already moved past the entry.
      const base =
        last === undefined
          ? position.averagePrice
          : long
            ? Math.min(last, position.averagePrice)
            : Math.max(last, position.averagePrice)
      const stopPrice = roundToTick(base + (long ? -ticks : ticks) * contract.tickSize, contract.tickSize)
      const size = position.size - exposure.coveredSize
      yield* Effect.annotateCurrentSpan({
        "projectx.contract_id": position.contractId,
        "projectx.stop_price": stopPrice
      })
      const handle = yield* state.placeTracked({
        type: "stop",
        accountId: state.accountId,
        contractId: position.contractId,
        side: long ? "sell" : "buy",
        size,
        stopPrice
      })
      const orderId = (yield* handle.orderId) ?? -1
      yield* Effect.logWarning(
        `NakedPositionGuard: ${position.contractId} protected by stop ${orderId} at ${stopPrice} for ${size}`
      )
      yield* publish({ _tag: "StopPlaced", contractId: position.contractId, orderId, stopPrice, size })
    })

    const flatten = Effect.fn("NakedPositionGuard.flatten")(function* (exposure: Exposure) {
      const contractId = exposure.position.contractId
      yield* Effect.annotateCurrentSpan({ "projectx.contract_id": contractId })
      yield* positions.close(contractId, { accountId: state.accountId })
      yield* Effect.logWarning(`NakedPositionGuard: ${contractId} flattened`)
      yield* publish({ _tag: "Flattened", contractId })
    })

    const act = (exposure: Exposure) => {
      const contractId = exposure.position.contractId
      const run: Effect.Effect<void, unknown> =
        action._tag === "Stop"
          ? placeStop(exposure, action.ticks)
          : action._tag === "Flatten"
            ? flatten(exposure)
            : Effect.void
      return run.pipe(
        Effect.catchCause((cause) =>
          Effect.logError(`NakedPositionGuard: ${action._tag} on ${contractId} failed`, cause).pipe(
            Effect.andThen(publish({ _tag: "ActionFailed", contractId, action: action._tag, error: String(cause) }))
          )
        )
      )
    }

    const check = Effect.fn("NakedPositionGuard.check")(function* () {
      const now = yield* Clock.currentTimeMillis
      const naked = exposures(yield* state.snapshot)
      const current = new Set(naked.map((e) => e.position.contractId))
      for (const [contractId, episode] of since) {
        if (current.has(contractId)) continue
        since.delete(contractId)
        if (episode.acted) yield* publish({ _tag: "Covered", contractId })
      }
      for (const exposure of naked) {
        const contractId = exposure.position.contractId
        const episode = since.get(contractId) ?? { at: now, acted: false }
        since.set(contractId, episode)
        if (episode.acted || now - episode.at < graceMs) continue
        episode.acted = true
        yield* Effect.logWarning(
          `NakedPositionGuard: ${contractId} ${exposure.position.size} open with ${exposure.coveredSize} covered by stops for ${now - episode.at} ms`
        )
        yield* publish({ _tag: "Naked", contractId, exposure, nakedForMs: now - episode.at })
        yield* act(exposure)
      }
    })

    yield* check().pipe(Effect.andThen(Effect.sleep(every)), Effect.forever, Effect.forkScoped)
    return {
      events: Stream.fromPubSub(hub),
      naked: Effect.map(state.snapshot, exposures)
    } satisfies NakedPositionGuardShape
  })

export class NakedPositionGuard extends Context.Service<NakedPositionGuard, NakedPositionGuardShape>()(
  "@projectx-effect/sdk/NakedPositionGuard"
) {
  static readonly make = make
  /** Turns the guard on for the `TradingState` account. */
  static readonly layer = (
    policy?: GuardPolicy
  ): Layer.Layer<NakedPositionGuard, never, TradingState | Positions | Instruments | MarketHub> =>
    Layer.effect(NakedPositionGuard, make(policy))
}
