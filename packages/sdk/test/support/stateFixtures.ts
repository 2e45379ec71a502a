// Gateway records for the state tests: an order, a position and an account with sensible defaults.
import { type Order, OrderStatus, type Position, type TradingAccount } from "@projectx-effect/gateway"

export const T0 = Date.UTC(2025, 10, 19, 15, 30)
export const ACCOUNT = 1001
export const MNQ = "CON.F.US.MNQ.Z25"

export const at = (minute: number): Date => new Date(T0 + minute * 60_000)

export const order = (over: Partial<Order> & { readonly id: number }): Order => ({
  accountId: ACCOUNT,
  contractId: MNQ,
  creationTimestamp: new Date(T0),
  updateTimestamp: new Date(T0),
  status: OrderStatus.Open,
  type: 1,
  side: 0,
  size: 2,
  fillVolume: 0,
  limitPrice: 21000,
  ...over
})

export const position = (over: Partial<Position> & { readonly id: number }): Position => ({
  accountId: ACCOUNT,
  contractId: MNQ,
  creationTimestamp: new Date(T0),
  type: 1,
  size: 1,
  averagePrice: 21000,
  ...over
})

export const account = (balance: number): TradingAccount => ({
  id: ACCOUNT,
  name: "PRAC-V2-DEMO-1",
  balance,
  canTrade: true,
  isVisible: true,
  simulated: true
})
