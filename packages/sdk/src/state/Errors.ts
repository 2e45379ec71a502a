/**
 * The errors an order handle ends with. Kept apart from `TradingState` so the entry points can export the
 * classes without loading the state machinery (and the hub client behind it).
 */
import * as Schema from "effect/Schema"

export class OrderTimeout extends Schema.TaggedError<OrderTimeout>()("OrderTimeout", {
  customTag: Schema.String,
  orderId: Schema.optionalKey(Schema.Number),
  phase: Schema.String,
  waitedMs: Schema.Number
}) {
  override get message(): string {
    return `order ${this.orderId ?? `tagged "${this.customTag}"`} was still ${this.phase} after ${this.waitedMs} ms`
  }
}

export class OrderNotFilled extends Schema.TaggedError<OrderNotFilled>()("OrderNotFilled", {
  orderId: Schema.Number,
  phase: Schema.String,
  fillVolume: Schema.Number
}) {
  override get message(): string {
    return `order ${this.orderId} ended ${this.phase} with ${this.fillVolume} filled`
  }
}
