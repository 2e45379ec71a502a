import { ProjectXClient } from "@projectx-effect/sdk/promise"

// dispose() in a finally (every supported Node, ≥ 22.19) closes the pool and flushes telemetry.
const client = await ProjectXClient.fromEnv()
try {
  // Callbacks until stop() (or an AbortSignal): order events of the configured account.
  const stop = client.realtime.on("orders", undefined, (event) => {
    if (event._tag === "OrderUpdate") console.log(`order ${event.order.id}: status ${event.order.status}`)
  })
  // An AsyncIterable of full quotes and signals; aborting ends the loop and unsubscribes.
  const abort = new AbortController()
  let seen = 0
  for await (const event of client.realtime.quotes("MNQ", { signal: abort.signal })) {
    if (event._tag !== "Quote") continue // Stale, Recovered, Reconnected, Logout
    console.log(`${event.contractId} bid ${event.bestBid} ask ${event.bestAsk} last ${event.lastPrice}`)
    if (++seen === 5) abort.abort()
  }
  stop()
} finally {
  await client.dispose()
}
