/**
 * The Gateway's realtime contract (gateway-api.md §9): hub paths, the methods a client invokes, the events a
 * server pushes and a Schema for each event's arguments. Lenient where the Gateway varies (quote deltas, unknown
 * fields, the `{action, data}` wrapper on user events, one trade print or an array) and strict where a wrong
 * value would mislead a trader: contract ids are non-empty strings, prices finite, sides and DOM types known.
 */
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"
import { DomTypeSchema, TradeLogTypeSchema } from "./Enums.ts"
import { HalfTrade, Order, Position, Price, TradingAccount } from "./Models.ts"
import { Timestamp } from "./Timestamp.ts"

/** The two hubs, as paths relative to the realtime host (e.g. `https://rtc.topstepx.com`). */
export const HubPath = { User: "/hubs/user", Market: "/hubs/market" } as const
export type HubPath = (typeof HubPath)[keyof typeof HubPath]

/** Methods a client invokes on the user hub; every method but `*Accounts` takes the account id (an int). */
export const UserHubMethod = {
  SubscribeAccounts: "SubscribeAccounts",
  UnsubscribeAccounts: "UnsubscribeAccounts",
  SubscribeOrders: "SubscribeOrders",
  UnsubscribeOrders: "UnsubscribeOrders",
  SubscribePositions: "SubscribePositions",
  UnsubscribePositions: "UnsubscribePositions",
  SubscribeTrades: "SubscribeTrades",
  UnsubscribeTrades: "UnsubscribeTrades"
} as const
export type UserHubMethod = (typeof UserHubMethod)[keyof typeof UserHubMethod]

/** Methods a client invokes on the market hub; each takes the contract id (a string). */
export const MarketHubMethod = {
  SubscribeContractQuotes: "SubscribeContractQuotes",
  UnsubscribeContractQuotes: "UnsubscribeContractQuotes",
  SubscribeContractTrades: "SubscribeContractTrades",
  UnsubscribeContractTrades: "UnsubscribeContractTrades",
  SubscribeContractMarketDepth: "SubscribeContractMarketDepth",
  UnsubscribeContractMarketDepth: "UnsubscribeContractMarketDepth"
} as const
export type MarketHubMethod = (typeof MarketHubMethod)[keyof typeof MarketHubMethod]

/** Events the user hub pushes (one argument each; `GatewayLogout` carries none we rely on, on both hubs). */
export const UserHubEvent = {
  Account: "GatewayUserAccount",
  Order: "GatewayUserOrder",
  Position: "GatewayUserPosition",
  Trade: "GatewayUserTrade",
  Logout: "GatewayLogout"
} as const
export type UserHubEvent = (typeof UserHubEvent)[keyof typeof UserHubEvent]

/** Events the market hub pushes (two arguments: the contract id, then the data). */
export const MarketHubEvent = {
  Quote: "GatewayQuote",
  Trade: "GatewayTrade",
  Depth: "GatewayDepth",
  Logout: "GatewayLogout"
} as const
export type MarketHubEvent = (typeof MarketHubEvent)[keyof typeof MarketHubEvent]

/** A hub's contract id argument: a non-empty string (a number here means a client bug, never coerce it). */
export const HubContractId = Schema.NonEmptyString.annotate({ identifier: "HubContractId" })

const optional = <S extends Schema.Top>(schema: S) => Schema.optionalKey(schema)
const nullableOptional = <S extends Schema.Top>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))
const Volume = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * A quote. The first one per subscription is a full snapshot; later ones are deltas that carry only the
 * fields that changed, so every field is optional and a consumer merges them per contract (the contract id is
 * the event's first argument and is what identifies the quote).
 */
export const GatewayQuote = Schema.Struct({
  /** The symbol id form (`F.US.EP`), not the contract id. */
  symbol: optional(Schema.String),
  /** Documented as currently unused. */
  symbolName: nullableOptional(Schema.String),
  lastPrice: optional(Price),
  bestBid: optional(Price),
  bestAsk: optional(Price),
  /** Versus the previous session's close. */
  change: optional(Schema.Finite),
  changePercent: optional(Schema.Finite),
  /** Session open, high and low. */
  open: optional(Price),
  high: optional(Price),
  low: optional(Price),
  /** Session volume. */
  volume: optional(Volume),
  lastUpdated: nullableOptional(Timestamp),
  timestamp: nullableOptional(Timestamp)
}).annotate({ identifier: "GatewayQuote" })
export type GatewayQuote = typeof GatewayQuote.Type

/** One market print. `type` is the aggressor side: 0 Buy, 1 Sell. */
export const GatewayTradePrint = Schema.Struct({
  symbolId: optional(Schema.String),
  price: Price,
  timestamp: Timestamp,
  type: TradeLogTypeSchema,
  volume: Volume
}).annotate({ identifier: "GatewayTradePrint" })
export type GatewayTradePrint = typeof GatewayTradePrint.Type

/** One DOM update. Types 1/2 set a level's size (volume 0 removes it), 6 Reset clears the book. */
export const GatewayDepthEntry = Schema.Struct({
  timestamp: Timestamp,
  type: DomTypeSchema,
  price: Price,
  /** "Total volume at this price". */
  volume: Volume,
  /** "Current volume at this price"; the difference from `volume` is undocumented. */
  currentVolume: nullableOptional(Volume)
}).annotate({ identifier: "GatewayDepthEntry" })
export type GatewayDepthEntry = typeof GatewayDepthEntry.Type

/** An array of `item`, also accepting a lone item (the docs show one object where live servers send arrays). */
const arrayOrOne = <S extends Schema.Top>(item: S) =>
  Schema.Union([Schema.Array(item), item.pipe(Schema.decodeTo(Schema.Array(Schema.toType(item)), single()))])

const single = <T>() =>
  SchemaTransformation.transform<ReadonlyArray<T>, T>({
    decode: (one) => [one],
    encode: (many) => many[0] as T
  })

/** `GatewayQuote(contractId, quote)` arguments. */
export const GatewayQuoteArgs = Schema.Tuple([HubContractId, GatewayQuote]).annotate({ identifier: "GatewayQuoteArgs" })
/** `GatewayTrade(contractId, trades[])` arguments. */
export const GatewayTradeArgs = Schema.Tuple([HubContractId, arrayOrOne(GatewayTradePrint)]).annotate({
  identifier: "GatewayTradeArgs"
})
/** `GatewayDepth(contractId, entries[])` arguments. */
export const GatewayDepthArgs = Schema.Tuple([HubContractId, arrayOrOne(GatewayDepthEntry)]).annotate({
  identifier: "GatewayDepthArgs"
})

/** The `action` of a wrapped user event, as the firm-admin hub documents it. */
export const UserEventAction = { Create: 0, Update: 1, Delete: 2 } as const
export type UserEventAction = (typeof UserEventAction)[keyof typeof UserEventAction]

/**
 * A user-hub payload: the bare model (as documented) or `{ action, data }` (as some live clients received),
 * both decoded to the model. The action is not kept: the model's own fields (status, size 0) say what happened.
 */
const userEvent = <S extends Schema.Top>(model: S) => {
  // Typed through Codec: TypeScript cannot resolve a generic Struct's view, the shape is plain.
  const wrapper = Schema.Struct({ action: Schema.optionalKey(Schema.Finite), data: model }) as unknown as Schema.Codec<
    { readonly action?: number; readonly data: S["Type"] },
    { readonly action?: number; readonly data: S["Encoded"] },
    S["DecodingServices"],
    S["EncodingServices"]
  >
  return Schema.Union([
    model,
    wrapper.pipe(
      Schema.decodeTo(
        Schema.toType(model),
        SchemaTransformation.transform<S["Type"], { readonly action?: number; readonly data: S["Type"] }>({
          decode: (wrapped) => wrapped.data,
          encode: (data) => ({ data })
        })
      )
    )
  ])
}

export const GatewayUserAccount = userEvent(TradingAccount).annotate({ identifier: "GatewayUserAccount" })
/** A position; `size: 0` announces that the position is flat (closed). */
export const GatewayUserPosition = userEvent(Position).annotate({ identifier: "GatewayUserPosition" })
export const GatewayUserOrder = userEvent(Order).annotate({ identifier: "GatewayUserOrder" })
export const GatewayUserTrade = userEvent(HalfTrade).annotate({ identifier: "GatewayUserTrade" })

/** `GatewayUserAccount(account)` and friends: one argument each. */
export const GatewayUserAccountArgs = Schema.Tuple([GatewayUserAccount])
export const GatewayUserOrderArgs = Schema.Tuple([GatewayUserOrder])
export const GatewayUserPositionArgs = Schema.Tuple([GatewayUserPosition])
export const GatewayUserTradeArgs = Schema.Tuple([GatewayUserTrade])

/** `GatewayLogout`: undocumented; whatever arguments it carries are ignored. */
export const GatewayLogoutArgs = Schema.Array(Schema.Unknown).annotate({ identifier: "GatewayLogoutArgs" })

/** The argument Schemas by event name, for a client that registers one handler per event. */
export const HubEventArgs = {
  GatewayQuote: GatewayQuoteArgs,
  GatewayTrade: GatewayTradeArgs,
  GatewayDepth: GatewayDepthArgs,
  GatewayUserAccount: GatewayUserAccountArgs,
  GatewayUserOrder: GatewayUserOrderArgs,
  GatewayUserPosition: GatewayUserPositionArgs,
  GatewayUserTrade: GatewayUserTradeArgs,
  GatewayLogout: GatewayLogoutArgs
} as const
