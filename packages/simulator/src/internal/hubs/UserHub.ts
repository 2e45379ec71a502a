// The user hub: account, order, position and trade subscriptions per connection, and the events the
// matching engine reports as things change, each sent to the connections of the account's owner that
// subscribed to it (bare objects, or `{ action, data }` with the wrapUserEvents setting).
import { UserHubMethod } from "@projectx-effect/gateway"
import type { EngineEvent } from "../Engine.ts"
import type { SimState } from "../State.ts"
import type { HubConnection } from "./Connection.ts"
import type { HubSettings } from "./HubServer.ts"

export type UserChannel = "accounts" | "orders" | "positions" | "trades"

const events: Record<UserChannel, string> = {
  accounts: "GatewayUserAccount",
  orders: "GatewayUserOrder",
  positions: "GatewayUserPosition",
  trades: "GatewayUserTrade"
}

const methods: Record<string, readonly [UserChannel, boolean]> = {
  [UserHubMethod.SubscribeAccounts]: ["accounts", true],
  [UserHubMethod.UnsubscribeAccounts]: ["accounts", false],
  [UserHubMethod.SubscribeOrders]: ["orders", true],
  [UserHubMethod.UnsubscribeOrders]: ["orders", false],
  [UserHubMethod.SubscribePositions]: ["positions", true],
  [UserHubMethod.UnsubscribePositions]: ["positions", false],
  [UserHubMethod.SubscribeTrades]: ["trades", true],
  [UserHubMethod.UnsubscribeTrades]: ["trades", false]
}

/** What one connection listens to: whether it wants accounts, and the account ids per channel. */
interface Interest {
  accounts: boolean
  readonly orders: Set<number>
  readonly positions: Set<number>
  readonly trades: Set<number>
}

/** The `action` of a wrapped event (as the firm-admin hub documents it). */
export type UserAction = 0 | 1 | 2

export class UserHub {
  private readonly state: SimState
  private readonly settings: () => HubSettings
  private readonly interest = new Map<HubConnection, Interest>()

  constructor(state: SimState, settings: () => HubSettings) {
    this.state = state
    this.settings = settings
  }

  get hasSubscribers(): boolean {
    return this.interest.size > 0
  }

  invoke(connection: HubConnection, target: string, args: ReadonlyArray<unknown>): string | undefined {
    const method = methods[target]
    if (method === undefined) return `Unknown hub method '${target}'`
    const [channel, subscribe] = method
    const interest = this.interest.get(connection) ?? {
      accounts: false,
      orders: new Set<number>(),
      positions: new Set<number>(),
      trades: new Set<number>()
    }
    if (channel === "accounts") {
      interest.accounts = subscribe
    } else {
      const accountId = args[0]
      if (typeof accountId !== "number" || !Number.isInteger(accountId)) {
        return `Failed to invoke '${target}' due to an error on the server. InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked.`
      }
      if (subscribe) {
        // Another user's account id is accepted and stays silent, as the Gateway does not say otherwise.
        interest[channel].add(accountId)
      } else {
        interest[channel].delete(accountId)
      }
    }
    const idle = !interest.accounts && interest.orders.size + interest.positions.size + interest.trades.size === 0
    if (idle) this.interest.delete(connection)
    else this.interest.set(connection, interest)
    return undefined
  }

  closed(connection: HubConnection): void {
    this.interest.delete(connection)
  }

  subscriptionCounts(): Record<string, number> {
    let accounts = 0
    let orders = 0
    let positions = 0
    let trades = 0
    for (const i of this.interest.values()) {
      if (i.accounts) accounts++
      orders += i.orders.size
      positions += i.positions.size
      trades += i.trades.size
    }
    return { accounts, orders, positions, userTrades: trades }
  }

  /** An engine change: trades are creations, a flat position (size 0) a deletion, the rest updates. */
  onEngineEvent(event: EngineEvent): void {
    if (event.kind === "order") this.publish("orders", event.accountId, event.payload, 1)
    else if (event.kind === "position")
      this.publish("positions", event.accountId, event.payload, event.payload.size === 0 ? 2 : 1)
    else if (event.kind === "trade") this.publish("trades", event.accountId, event.payload, 0)
    else this.publish("accounts", event.accountId, event.payload, 1)
  }

  /** Sends one engine event to the owner's connections that subscribed to it. */
  publish(channel: UserChannel, accountId: number, payload: unknown, action: UserAction = 1): void {
    if (this.interest.size === 0 || this.settings().frozen) return
    const owner = this.state.engine.accounts.get(accountId)?.userId
    if (owner === undefined) return
    let json: string | undefined
    for (const [connection, interest] of this.interest) {
      if (connection.session.userId !== owner) continue
      const wanted = channel === "accounts" ? interest.accounts : interest[channel].has(accountId)
      if (!wanted) continue
      json ??= JSON.stringify([this.settings().wrapUserEvents ? { action, data: payload } : payload])
      connection.send(events[channel], json)
    }
  }
}
