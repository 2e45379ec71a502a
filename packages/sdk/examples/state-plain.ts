import { ProjectXClient } from "@projectx-effect/sdk/promise"

// dispose() in a finally (every supported Node, ≥ 22.19) also ends the guard, its state and their streams.
const client = await ProjectXClient.fromEnv()
try {
  // The guard alerts when a position has had no working stop for 2 s (its policy can also place a stop or
  // flatten); `guard.state` is the account's orders, positions and balance, live and reconciled with REST.
  const guard = await client.state.guard(undefined, { grace: "2 seconds" })
  guard.on((event) => console.log(`guard: ${event._tag} ${event.contractId}`))
  const state = guard.state
  const contract = await client.instruments.resolve("MNQ")
  const entry = await state.placeTracked({
    type: "market",
    contractId: contract.id,
    side: "buy",
    size: 1,
    stopLoss: { ticks: -40 },
    takeProfit: { ticks: 80 }
  })
  // Rejects with OrderTimeout (not filled in time) or OrderNotFilled (cancelled, rejected, expired).
  const fill = await entry.filled({ timeoutMs: 10_000 })
  console.log(`order ${fill.order.id} filled ${fill.order.fillVolume} at ${fill.order.filledPrice}`)
  // The state now, then after every change: the position event may come just after the fill's.
  for await (const snapshot of state.changes()) {
    const position = snapshot.positions.get(contract.id)
    if (position === undefined) continue
    console.log(`position ${position.size} @ ${position.averagePrice}; ${state.divergences().total} repaired`)
    break // ends this subscription
  }
  // Closing the position cancels the bracket's stop and target too.
  await client.positions.close(contract.id)
} finally {
  await client.dispose()
}
