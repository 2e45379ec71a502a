import { nameOf, OrderStatus, ProjectXClient } from "@projectx-effect/sdk/promise"

// dispose() in a finally (every supported Node, ≥ 22.19) closes the pool and flushes telemetry.
const client = await ProjectXClient.fromEnv()
try {
  const account = await client.accounts.selected()
  const contract = await client.instruments.resolve("MNQ")
  const bars = await client.marketData.bars({ contractId: contract.id, unit: "minute", unitNumber: 5, days: 5 })
  console.log(`${account.name}: ${bars.numRows} bars of ${contract.name}`)
  for await (const order of client.orders.queryStream({ statuses: [OrderStatus.Open] })) {
    console.log(order.id, nameOf(OrderStatus, order.status)) // "Open", not 1
  }
} finally {
  await client.dispose()
}
