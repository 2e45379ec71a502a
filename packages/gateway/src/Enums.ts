/**
 * The Gateway's enumerations (gateway-api.md §6). Integers on the wire, names in code: every enum is a
 * const object (name → value), a Schema that accepts only its values, and a name lookup for messages.
 */
import * as Schema from "effect/Schema"

type EnumObject = { readonly [name: string]: number }

/** The name of `value` in `enumObject`, or `Unknown(<value>)` when the Gateway sends a value we do not know. */
export const nameOf = <E extends EnumObject>(enumObject: E, value: number): string => {
  for (const key in enumObject) if (enumObject[key] === value) return key
  return `Unknown(${value})`
}

export const OrderSide = { Bid: 0, Ask: 1 } as const
export type OrderSide = (typeof OrderSide)[keyof typeof OrderSide]
export const OrderSideSchema = Schema.Enum(OrderSide).annotate({ identifier: "OrderSide" })

export const OrderType = {
  Unknown: 0,
  Limit: 1,
  Market: 2,
  StopLimit: 3,
  Stop: 4,
  TrailingStop: 5,
  JoinBid: 6,
  JoinAsk: 7
} as const
export type OrderType = (typeof OrderType)[keyof typeof OrderType]
export const OrderTypeSchema = Schema.Enum(OrderType).annotate({ identifier: "OrderType" })

export const OrderStatus = {
  None: 0,
  Open: 1,
  Filled: 2,
  Cancelled: 3,
  Expired: 4,
  Rejected: 5,
  Pending: 6,
  PendingCancellation: 7,
  Suspended: 8
} as const
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus]
export const OrderStatusSchema = Schema.Enum(OrderStatus).annotate({ identifier: "OrderStatus" })

export const PositionType = { Undefined: 0, Long: 1, Short: 2 } as const
export type PositionType = (typeof PositionType)[keyof typeof PositionType]
export const PositionTypeSchema = Schema.Enum(PositionType).annotate({ identifier: "PositionType" })

export const AggregateBarUnit = {
  Unspecified: 0,
  Second: 1,
  Minute: 2,
  Hour: 3,
  Day: 4,
  Week: 5,
  Month: 6,
  Tick: 7
} as const
export type AggregateBarUnit = (typeof AggregateBarUnit)[keyof typeof AggregateBarUnit]
export const AggregateBarUnitSchema = Schema.Enum(AggregateBarUnit).annotate({ identifier: "AggregateBarUnit" })

/** The bar units by the names the SDK and the CLI take (`unit: "minute"`), in the Gateway's order. */
export const barUnitNames = ["second", "minute", "hour", "day", "week", "month"] as const
export type BarUnitName = (typeof barUnitNames)[number]

/** A bar unit's name → the Gateway's `AggregateBarUnit` integer. */
export const barUnitCode: Readonly<Record<BarUnitName, AggregateBarUnit>> = {
  second: AggregateBarUnit.Second,
  minute: AggregateBarUnit.Minute,
  hour: AggregateBarUnit.Hour,
  day: AggregateBarUnit.Day,
  week: AggregateBarUnit.Week,
  month: AggregateBarUnit.Month
}

export const DomType = {
  Unknown: 0,
  Ask: 1,
  Bid: 2,
  BestAsk: 3,
  BestBid: 4,
  Trade: 5,
  Reset: 6,
  Low: 7,
  High: 8,
  NewBestBid: 9,
  NewBestAsk: 10,
  Fill: 11
} as const
export type DomType = (typeof DomType)[keyof typeof DomType]
export const DomTypeSchema = Schema.Enum(DomType).annotate({ identifier: "DomType" })

export const TradeLogType = { Buy: 0, Sell: 1 } as const
export type TradeLogType = (typeof TradeLogType)[keyof typeof TradeLogType]
export const TradeLogTypeSchema = Schema.Enum(TradeLogType).annotate({ identifier: "TradeLogType" })

export const OrderSortField = { CreatedAt: 0, Id: 1 } as const
export type OrderSortField = (typeof OrderSortField)[keyof typeof OrderSortField]
export const OrderSortFieldSchema = Schema.Enum(OrderSortField).annotate({ identifier: "OrderSortField" })

export const SortDirection = { Asc: 0, Desc: 1 } as const
export type SortDirection = (typeof SortDirection)[keyof typeof SortDirection]
export const SortDirectionSchema = Schema.Enum(SortDirection).annotate({ identifier: "SortDirection" })
