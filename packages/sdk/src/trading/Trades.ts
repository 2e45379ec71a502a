/**
 * Fills (half-turns) from `POST Trade/search` — project-x-py v3.3.0 called a `GET /trades/search` that
 * does not exist — and a per-contract summary: realized P&L (closing fills carry it; opening fills have
 * `profitAndLoss: null`), fees and commissions, voided fills excluded.
 */
import { Endpoints, type HalfTrade } from "@projectx-effect/gateway"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Accounts } from "./Accounts.ts"
import type { AccountNotFound, GatewayError, ValidationError } from "../client/Errors.ts"
import { GatewayClient } from "../client/GatewayClient.ts"
import { searchWindow } from "./internal/ordersValidation.ts"
import { readSpan } from "../observability/internal/readSpan.ts"

export type { HalfTrade } from "@projectx-effect/gateway"

export type CallError = GatewayError | ValidationError

export interface SearchTradesOptions {
  readonly accountId?: number | undefined
  /** Window start; defaults to 24 hours before `end` (or before now). */
  readonly start?: Date | undefined
  /** Window end; defaults to now by the Gateway's clock (from its replies' `Date`), plus a minute of slack. */
  readonly end?: Date | undefined
}

/** One contract's fills in a window. */
export interface ContractSummary {
  readonly contractId: string
  /** Sum of `profitAndLoss` over closing fills (gross, before fees). */
  readonly realizedPnl: number
  readonly fees: number
  readonly commissions: number
  /** `realizedPnl − fees − commissions`. */
  readonly netPnl: number
  /** Fills counted (voided ones excluded). */
  readonly fills: number
  /** Fills that closed (part of) a position, i.e. carried a P&L. */
  readonly closingFills: number
  /** Contracts traded (sum of fill sizes). */
  readonly volume: number
}

export interface TradesSummary {
  readonly byContract: ReadonlyArray<ContractSummary>
  readonly realizedPnl: number
  readonly fees: number
  readonly commissions: number
  readonly netPnl: number
  readonly fills: number
  /** Voided fills, left out of every sum. */
  readonly voided: number
}

/** Rounds away float noise from sums of cents. */
const money = (n: number): number => Math.round(n * 1e8) / 1e8

/** Sums fills per contract (in first-seen order); voided fills are excluded and counted. */
export const summarize = (trades: ReadonlyArray<HalfTrade>): TradesSummary => {
  const map = new Map<
    string,
    { realizedPnl: number; fees: number; commissions: number; fills: number; closingFills: number; volume: number }
  >()
  let voided = 0
  for (const t of trades) {
    if (t.voided) {
      voided++
      continue
    }
    let entry = map.get(t.contractId)
    if (entry === undefined) {
      entry = { realizedPnl: 0, fees: 0, commissions: 0, fills: 0, closingFills: 0, volume: 0 }
      map.set(t.contractId, entry)
    }
    if (t.profitAndLoss !== undefined && t.profitAndLoss !== null) {
      entry.realizedPnl += t.profitAndLoss
      entry.closingFills++
    }
    entry.fees += t.fees
    entry.commissions += t.commissions ?? 0
    entry.fills++
    entry.volume += t.size
  }
  const byContract = [...map].map(([contractId, e]) => ({
    contractId,
    realizedPnl: money(e.realizedPnl),
    fees: money(e.fees),
    commissions: money(e.commissions),
    netPnl: money(e.realizedPnl - e.fees - e.commissions),
    fills: e.fills,
    closingFills: e.closingFills,
    volume: e.volume
  }))
  const total = (f: (c: ContractSummary) => number) => money(byContract.reduce((acc, c) => acc + f(c), 0))
  return {
    byContract,
    realizedPnl: total((c) => c.realizedPnl),
    fees: total((c) => c.fees),
    commissions: total((c) => c.commissions),
    netPnl: total((c) => c.netPnl),
    fills: byContract.reduce((acc, c) => acc + c.fills, 0),
    voided
  }
}

export interface TradesShape {
  /** `Trade/search` over a window (default: the last 24 hours); one row per fill (half-turn). */
  readonly search: (
    options?: SearchTradesOptions
  ) => Effect.Effect<ReadonlyArray<HalfTrade>, CallError | AccountNotFound>
  /** The window's fills summed per contract. */
  readonly summary: (options?: SearchTradesOptions) => Effect.Effect<TradesSummary, CallError | AccountNotFound>
}

const make = Effect.gen(function* () {
  const client = yield* GatewayClient
  const accounts = yield* Accounts

  const fetch = (op: string, options: SearchTradesOptions | undefined) =>
    Effect.gen(function* () {
      const { start, end } = yield* searchWindow(op, options, client.serverTime)
      const accountId = yield* accounts.idOr(options?.accountId)
      const response = yield* client.call(Endpoints.searchTrades, {
        accountId,
        startTimestamp: new Date(start),
        endTimestamp: new Date(end)
      })
      return response.trades
    })

  const search = Effect.fnUntraced(function* (options?: SearchTradesOptions) {
    return yield* fetch("Trades.search", options)
  }, readSpan("Trades.search"))

  const summary = Effect.fnUntraced(function* (options?: SearchTradesOptions) {
    return summarize(yield* fetch("Trades.summary", options))
  }, readSpan("Trades.summary"))

  return Trades.of({ search, summary })
})

export class Trades extends Context.Service<Trades, TradesShape>()("@projectx-effect/sdk/Trades") {
  static readonly make = make
  static readonly layer = Layer.effect(Trades, make)
}
