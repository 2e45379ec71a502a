/**
 * The Gateway's object models (gateway-api.md §5). Lenient where the Gateway varies (unknown fields are
 * ignored; fields added by newer server builds are optional; nullable where examples show null) and strict
 * where a wrong value would be dangerous: ids are integers, sides and statuses are known enum values,
 * prices are finite numbers, sizes are non-negative integers.
 */
import * as Schema from "effect/Schema"
import { OrderSideSchema, OrderStatusSchema, OrderTypeSchema, PositionTypeSchema } from "./Enums.ts"
import { Timestamp } from "./Timestamp.ts"

/** An integer id (int32 accounts, int64 orders: both fit a JS number exactly below 2^53). */
export const Id = Schema.Int
/** A contract count: a non-negative integer. */
export const Size = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
/** A price: any finite decimal (never NaN or Infinity). */
export const Price = Schema.Finite

const nullable = <S extends Schema.Top>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))

export const TradingAccount = Schema.Struct({
  id: Id,
  name: Schema.String,
  balance: Schema.Finite,
  canTrade: Schema.Boolean,
  isVisible: Schema.Boolean,
  /** Required in the current Swagger, missing from the 2025 docs' examples. */
  simulated: Schema.optionalKey(Schema.Boolean)
}).annotate({ identifier: "TradingAccount" })
export type TradingAccount = typeof TradingAccount.Type

export const Contract = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  description: Schema.String,
  tickSize: Schema.Finite.check(Schema.isGreaterThan(0)),
  tickValue: Schema.Finite,
  activeContract: Schema.Boolean,
  /** `F.US.<root>`; required in the current Swagger, absent in the 2025 docs. */
  symbolId: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "Contract" })
export type Contract = typeof Contract.Type

export const Bar = Schema.Struct({
  /** Bar open time. */
  t: Timestamp,
  o: Price,
  h: Price,
  l: Price,
  c: Price,
  v: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)),
  /** Newer Swagger only; meaning unknown (trading date?). */
  d: nullable(Schema.String),
  /** Newer Swagger only; meaning unknown. */
  k: nullable(Schema.Finite)
}).annotate({ identifier: "Bar" })
export type Bar = typeof Bar.Type

export const Order = Schema.Struct({
  id: Id,
  accountId: Id,
  contractId: Schema.String,
  symbolId: nullable(Schema.String),
  creationTimestamp: Timestamp,
  updateTimestamp: nullable(Timestamp),
  status: OrderStatusSchema,
  type: OrderTypeSchema,
  side: OrderSideSchema,
  size: Size,
  limitPrice: nullable(Price),
  stopPrice: nullable(Price),
  fillVolume: Schema.optionalKey(Size),
  filledPrice: nullable(Price),
  customTag: nullable(Schema.String),
  trailDistance: nullable(Schema.Int),
  /** Read back as a distance in price units, not the level that was sent (§4.4.1). */
  trailPrice: nullable(Price),
  parentOrderId: nullable(Id),
  linkedOrderId: nullable(Id)
}).annotate({ identifier: "Order" })
export type Order = typeof Order.Type

export const Position = Schema.Struct({
  id: Id,
  accountId: Id,
  contractId: Schema.String,
  contractDisplayName: nullable(Schema.String),
  creationTimestamp: Timestamp,
  /** 1 Long, 2 Short: the direction is not the sign of `size`. */
  type: PositionTypeSchema,
  size: Size,
  averagePrice: Price
}).annotate({ identifier: "Position" })
export type Position = typeof Position.Type

export const HalfTrade = Schema.Struct({
  id: Id,
  accountId: Id,
  contractId: Schema.String,
  creationTimestamp: Timestamp,
  price: Price,
  /** `null` on an opening (half-turn) fill; the realized P&L on a closing fill. */
  profitAndLoss: Schema.optionalKey(Schema.NullOr(Schema.Finite)),
  fees: Schema.Finite,
  commissions: nullable(Schema.Finite),
  side: OrderSideSchema,
  size: Size,
  voided: Schema.Boolean,
  orderId: Id
}).annotate({ identifier: "HalfTrade" })
export type HalfTrade = typeof HalfTrade.Type

/** A bracket child's offset from the fill, in signed ticks (long: stop < 0 < target; short: the reverse). */
export const Bracket = Schema.Struct({
  ticks: Schema.Int,
  type: OrderTypeSchema
}).annotate({ identifier: "Bracket" })
export type Bracket = typeof Bracket.Type

export const OrderQueryFilter = Schema.Struct({
  accountId: Id,
  statuses: nullable(Schema.Array(OrderStatusSchema)),
  contractId: nullable(Schema.String),
  createdAfter: nullable(Timestamp),
  createdBefore: nullable(Timestamp)
}).annotate({ identifier: "OrderQueryFilter" })
export type OrderQueryFilter = typeof OrderQueryFilter.Type
