import { NodeRuntime } from "@effect/platform-node"
import { Bars, MarketData, Orders, ProjectX } from "@projectx-effect/sdk"
import { Effect } from "effect"

const program = Effect.gen(function* () {
  const market = yield* MarketData.MarketData
  const bars = yield* market.bars({ symbol: "MNQ", unit: "minute", unitNumber: 5, days: 5 })
  const closes = Bars.toColumns(bars).close
  yield* Effect.log(`${bars.numRows} bars, last close ${closes[closes.length - 1]}`)

  const orders = yield* Orders.Orders
  const open = yield* orders.searchOpen()
  yield* Effect.log(`${open.length} working orders`)
})

// Reads PROJECT_X_USERNAME, PROJECT_X_API_KEY, PROJECT_X_ACCOUNT_NAME and PROJECTX_* from the environment.
program.pipe(Effect.provide(ProjectX.layerConfig()), NodeRuntime.runMain)
