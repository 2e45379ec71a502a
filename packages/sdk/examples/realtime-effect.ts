import { NodeRuntime } from "@effect/platform-node"
import { MarketHub, ProjectX, UserHub } from "@projectx-effect/sdk"
import { Effect, Stream } from "effect"

const program = Effect.gen(function* () {
  const user = yield* UserHub.UserHub
  // Order events of the configured account in the background: never dropped, backfilled from REST
  // after a reconnect (`source: "rest"`), with in-band signals (Reconnected, Stale, Recovered, Logout).
  yield* Effect.forkScoped(
    Stream.runForEach(user.orders(), (event) =>
      event._tag === "OrderUpdate"
        ? Effect.log(`order ${event.order.id}: status ${event.order.status}`)
        : Effect.log(event._tag)
    )
  )
  const market = yield* MarketHub.MarketHub
  // Full quotes (the Gateway's deltas merged per contract), latest-wins if we fall behind.
  yield* market.quotes("MNQ").pipe(
    Stream.filter((event) => event._tag === "Quote"),
    Stream.take(5),
    Stream.runForEach((q) => Effect.log(`${q.contractId} bid ${q.bestBid} ask ${q.bestAsk} last ${q.lastPrice}`))
  )
}).pipe(Effect.scoped) // closing the scope unsubscribes; the hubs close with the layer

program.pipe(Effect.provide(ProjectX.layerConfig()), NodeRuntime.runMain)
