/**
 * Arrow (apache-arrow, ~130 modules) and lz4 load with the first bars, not with the SDK: a session that
 * only trades or lists accounts never pays their start-up time or memory. Loaded once, then shared.
 */
import * as Effect from "effect/Effect"
import type * as BarsModule from "../Bars.ts"
import type { tableFromOwnedColumns } from "./arrowOwned.ts"
import type * as CodecModule from "./codecBlob.ts"

export interface BarsKit {
  readonly Bars: typeof BarsModule
  readonly Codec: typeof CodecModule
  readonly tableFromOwnedColumns: typeof tableFromOwnedColumns
}

let kit: BarsKit | undefined

const load = async (): Promise<BarsKit> => {
  const [Bars, Codec, Owned] = await Promise.all([
    import("../Bars.ts"),
    import("./codecBlob.ts"),
    import("./arrowOwned.ts")
  ])
  kit = { Bars, Codec, tableFromOwnedColumns: Owned.tableFromOwnedColumns }
  return kit
}

/** The bars modules, loaded on first use. */
export const barsKit: Effect.Effect<BarsKit> = Effect.suspend(() =>
  kit === undefined ? Effect.promise(load) : Effect.succeed(kit)
)
