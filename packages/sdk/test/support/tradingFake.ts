// A fake GatewayClient for the trading services' unit tests: an in-memory account, contract list and
// order book answering the endpoints by name, every call recorded, and per-endpoint overrides for faults.
import {
  type AnyEndpoint,
  type Contract,
  type HalfTrade,
  type Order,
  OrderStatus,
  type Position,
  type TradingAccount
} from "@projectx-effect/gateway"
import { Effect, Layer, References } from "effect"
import { Accounts } from "../../src/trading/Accounts.ts"
import {
  GatewayError,
  type Reason,
  Rejected,
  Timeout,
  Transport,
  type ValidationError
} from "../../src/client/Errors.ts"
import { GatewayClient } from "../../src/client/GatewayClient.ts"
import { Instruments, type InstrumentsOptions } from "../../src/market/Instruments.ts"
import { Orders, type OrdersOptions } from "../../src/trading/Orders.ts"
import { Positions } from "../../src/trading/Positions.ts"
import { ProjectXConfig } from "../../src/client/ProjectXConfig.ts"
import { Trades } from "../../src/trading/Trades.ts"

export interface Recorded {
  readonly endpoint: string
  readonly request: any
}

/** Answers one call: return `undefined` to fall through to the default behaviour. */
export type Override = (request: any, state: FakeState) => Effect.Effect<unknown, GatewayError> | undefined

export interface FakeState {
  accounts: Array<TradingAccount>
  contracts: Array<Contract>
  orders: Array<Order>
  positions: Array<Position>
  trades: Array<HalfTrade>
  nextOrderId: number
  readonly calls: Array<Recorded>
  readonly overrides: Map<string, Override>
}

export const contract = (id: string, name: string, active: boolean, tickSize = 0.25, tickValue = 0.5): Contract => {
  const parts = id.split(".")
  return {
    id,
    name,
    description: `${name} test contract`,
    tickSize,
    tickValue,
    activeContract: active,
    symbolId: parts.slice(1, 4).join(".")
  }
}

export const defaultContracts = (): Array<Contract> => [
  contract("CON.F.US.MNQ.H26", "MNQH6", false),
  contract("CON.F.US.EP.Z25", "ESZ5", true, 0.25, 12.5),
  contract("CON.F.US.MNQ.Z25", "MNQZ5", true),
  contract("CON.F.US.ENQ.Z25", "NQZ5", true, 0.25, 5),
  contract("CON.F.US.EU6.Z25", "6EZ5", true, 0.00005, 6.25),
  contract("CON.F.US.MNQ.M26", "MNQM6", false),
  contract("CON.F.US.YM.Z25", "YMZ5", true, 1, 5)
]

export const defaultAccounts = (): Array<TradingAccount> => [
  { id: 7, name: "PRAC-V2-LOCKED", balance: 50_000, canTrade: false, isVisible: true, simulated: true },
  { id: 11, name: "PRAC-V2-MAIN", balance: 50_000, canTrade: true, isVisible: true, simulated: true },
  { id: 12, name: "50KTC-V2-OTHER", balance: 48_000, canTrade: true, isVisible: true, simulated: true }
]

export const rejected = (operation: string, code: number, name: string, message: string | null = null) =>
  new GatewayError({ operation, reason: Rejected.make({ code, name, message }) })

export const failWith = (operation: string, reason: Reason) => Effect.fail(new GatewayError({ operation, reason }))
export const timeout = (operation: string) => failWith(operation, Timeout.make({ timeoutMs: 100 }))
export const dropped = (operation: string) =>
  failWith(operation, Transport.make({ message: "ECONNRESET: socket hang up", sent: true }))

const ok = <A extends object>(payload: A) =>
  Effect.succeed({ success: true, errorCode: 0, errorMessage: null, ...payload })

export const makeOrder = (state: FakeState, request: any, status: OrderStatus = OrderStatus.Open): Order => {
  const order: Order = {
    id: state.nextOrderId++,
    accountId: request.accountId,
    contractId: request.contractId,
    creationTimestamp: new Date(0),
    status,
    type: request.type,
    side: request.side,
    size: request.size,
    fillVolume: 0,
    ...(request.limitPrice === undefined ? {} : { limitPrice: request.limitPrice }),
    ...(request.stopPrice === undefined ? {} : { stopPrice: request.stopPrice }),
    ...(request.customTag === undefined ? {} : { customTag: request.customTag })
  }
  state.orders.push(order)
  return order
}

const defaults: Record<string, (request: any, state: FakeState) => Effect.Effect<unknown, GatewayError>> = {
  SearchAccount: (_, s) => ok({ accounts: s.accounts }),
  ListAvailableContract: (_, s) => ok({ contracts: s.contracts.filter((c) => c.activeContract || true) }),
  SearchContract: (r, s) =>
    ok({
      contracts: s.contracts.filter((c) => c.name.includes(r.searchText) || c.id.includes(r.searchText)).slice(0, 20)
    }),
  SearchContractById: (r, s) => {
    const found = s.contracts.find((c) => c.id === r.contractId)
    return found === undefined
      ? Effect.fail(rejected("SearchContractById", 1, "ContractNotFound"))
      : ok({ contract: found })
  },
  PlaceOrder: (r, s) => {
    if (r.customTag !== undefined && s.orders.some((o) => o.customTag === r.customTag && o.accountId === r.accountId)) {
      return Effect.fail(rejected("PlaceOrder", 2, "OrderRejected", "customTag must be unique"))
    }
    return ok({ orderId: makeOrder(s, r).id })
  },
  ModifyOrder: (r, s) => {
    const o = s.orders.find((x) => x.id === r.orderId)
    if (o === undefined) return Effect.fail(rejected("ModifyOrder", 2, "OrderNotFound"))
    return ok({})
  },
  CancelOrder: (r, s) => {
    const i = s.orders.findIndex((x) => x.id === r.orderId)
    const o = s.orders[i]
    if (o === undefined) return Effect.fail(rejected("CancelOrder", 2, "OrderNotFound"))
    s.orders[i] = { ...o, status: OrderStatus.Cancelled }
    return ok({})
  },
  SearchOrder: (r, s) => ok({ orders: s.orders.filter((o) => o.accountId === r.accountId) }),
  SearchOpenOrder: (r, s) =>
    ok({ orders: s.orders.filter((o) => o.accountId === r.accountId && o.status === OrderStatus.Open) }),
  SearchOrderById: (r, s) => {
    const o = s.orders.find((x) => x.id === r.orderId)
    return o === undefined ? Effect.fail(rejected("SearchOrderById", 1, "OrderNotFound")) : ok({ order: o })
  },
  QueryOrders: (r, s) => {
    const all = s.orders.filter((o) => o.accountId === r.filter.accountId)
    const size = Math.min(r.pageSize ?? 100, 100)
    const offset = r.pageOffset ?? 0
    return ok({ orders: all.slice(offset, offset + size), totalCount: all.length })
  },
  SearchPosition: (r, s) => ok({ positions: s.positions.filter((p) => p.accountId === r.accountId) }),
  ClosePosition: (r, s) => {
    const before = s.positions.length
    s.positions = s.positions.filter((p) => !(p.accountId === r.accountId && p.contractId === r.contractId))
    return before === s.positions.length ? Effect.fail(rejected("ClosePosition", 2, "PositionNotFound")) : ok({})
  },
  PartialClosePosition: (r, s) => {
    const p = s.positions.find((x) => x.accountId === r.accountId && x.contractId === r.contractId)
    if (p === undefined) return Effect.fail(rejected("PartialClosePosition", 2, "PositionNotFound"))
    s.positions = s.positions.map((x) => (x === p ? { ...p, size: p.size - r.size } : x))
    return ok({})
  },
  SearchTrade: (r, s) => ok({ trades: s.trades.filter((t) => t.accountId === r.accountId) })
}

export interface Fake {
  readonly state: FakeState
  readonly client: GatewayClient["Service"]
  /** Calls recorded for `endpoint` (its name, e.g. "PlaceOrder"). */
  readonly count: (endpoint?: string) => number
  readonly override: (endpoint: string, f: Override) => void
}

export const makeFake = (
  init: Partial<Pick<FakeState, "accounts" | "contracts" | "orders" | "positions" | "trades">> = {}
): Fake => {
  const state: FakeState = {
    accounts: init.accounts ?? defaultAccounts(),
    contracts: init.contracts ?? defaultContracts(),
    orders: init.orders ?? [],
    positions: init.positions ?? [],
    trades: init.trades ?? [],
    nextOrderId: 1000,
    calls: [],
    overrides: new Map()
  }
  const call = (endpoint: AnyEndpoint, request: unknown): Effect.Effect<any, GatewayError | ValidationError> =>
    Effect.suspend(() => {
      state.calls.push({ endpoint: endpoint.name, request })
      const custom = state.overrides.get(endpoint.name)?.(request, state)
      if (custom !== undefined) return custom
      const handler = defaults[endpoint.name]
      if (handler === undefined) return Effect.die(`fake gateway: no handler for ${endpoint.name}`)
      return handler(request, state)
    })
  return {
    state,
    client: GatewayClient.of({
      call: call as GatewayClient["Service"]["call"],
      stats: Effect.sync(() => ({
        requests: state.calls.length,
        attempts: state.calls.length,
        retries: 0,
        rateLimited: 0,
        failures: {}
      })),
      ping: Effect.succeed("pong")
    }),
    count: (endpoint) =>
      endpoint === undefined ? state.calls.length : state.calls.filter((c) => c.endpoint === endpoint).length,
    override: (endpoint, f) => {
      state.overrides.set(endpoint, f)
    }
  }
}

export interface TradingLayerOptions {
  readonly accountName?: string
  readonly instruments?: InstrumentsOptions
  readonly orders?: OrdersOptions
}

/** Every trading service over the fake client (and a config that never reaches the network). */
export const tradingLayer = (fake: Fake, options: TradingLayerOptions = {}) => {
  const base = Layer.mergeAll(
    Layer.succeed(GatewayClient, fake.client),
    ProjectXConfig.layer({
      apiUrl: "http://fake.invalid",
      username: "trader",
      apiKey: "0123456789abcdef",
      ...(options.accountName === undefined ? {} : { accountName: options.accountName })
    })
  )
  const core = Layer.mergeAll(Accounts.layer, Instruments.layer(options.instruments ?? {})).pipe(
    Layer.provideMerge(base)
  )
  return Layer.mergeAll(
    Orders.layer(options.orders ?? {}),
    Positions.layer,
    Trades.layer,
    // The reconciliation path logs every lost reply; keep test output readable.
    Layer.succeed(References.MinimumLogLevel, "Error")
  ).pipe(Layer.provideMerge(core))
}
