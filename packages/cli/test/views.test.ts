// What the CLI prints for the cases a subprocess test would be slow to reach: contract order, the
// off-grid price message, JSON enum names, and argument errors as one failure.
import type { Contract, Order } from "@projectx-effect/gateway"
import { CliError } from "effect/cli"
import { describe, expect, it } from "vitest"
import { usageFailure } from "../src/Cli.ts"
import { offGrid } from "../src/commands/Orders.ts"
import { progressBar, waitText } from "../src/Output.ts"
import { orderJson, positionJson, sortContracts } from "../src/Views.ts"

const contract = (id: string, name: string): Contract => ({
  id,
  name,
  description: name,
  tickSize: 0.25,
  tickValue: 0.5,
  activeContract: false
})

describe("sortContracts", () => {
  it("lists by root, then expiry (nearest first), whatever order the Gateway used", () => {
    const scrambled = [
      contract("CON.F.US.MNQ.H26", "MNQH6"),
      contract("CON.F.US.MES.Z25", "MESZ5"),
      contract("CON.F.US.MNQ.Z25", "MNQZ5"),
      contract("CON.F.US.MNQ.U26", "MNQU6"),
      contract("CON.F.US.MES.H26", "MESH6"),
      contract("CON.F.US.MNQ.M26", "MNQM6")
    ]
    expect(sortContracts(scrambled).map((c) => c.name)).toEqual(["MESZ5", "MESH6", "MNQZ5", "MNQH6", "MNQM6", "MNQU6"])
  })
})

describe("offGrid", () => {
  const mnq = { name: "MNQZ5", tickSize: 0.25 }

  it("names the two nearest valid prices", () => {
    const error = offGrid("limit-price", 100.1, mnq)
    expect(error?.message).toBe("--limit-price 100.1 is not on MNQZ5's price grid (tick size 0.25)")
    expect(error?.hint).toBe("the nearest valid prices are 100.00 and 100.25")
    expect(`${error?.message} ${error?.hint}`).not.toContain("roundToTick")
    expect(offGrid("stop-price", 1.16243, { name: "6EZ5", tickSize: 0.00005 })?.hint).toBe(
      "the nearest valid prices are 1.16240 and 1.16245"
    )
  })

  it("accepts a price on the grid", () => {
    expect(offGrid("limit-price", 100.25, mnq)).toBeUndefined()
    expect(offGrid("limit-price", 21345, mnq)).toBeUndefined()
  })
})

describe("JSON enums", () => {
  it("gives orders and positions their names, with the Gateway's code beside them", () => {
    const order = {
      id: 7,
      accountId: 1,
      contractId: "CON.F.US.MNQ.Z25",
      creationTimestamp: new Date(0),
      updateTimestamp: null,
      status: 3,
      type: 1,
      side: 0,
      size: 1
    } as unknown as Order
    expect(orderJson(order)).toMatchObject({
      status: "Cancelled",
      statusCode: 3,
      type: "Limit",
      typeCode: 1,
      side: "buy",
      sideCode: 0
    })
    const position = { id: 1, type: 2, size: 1, contractId: "x" } as unknown as Parameters<typeof positionJson>[0]
    expect(positionJson(position)).toMatchObject({ type: "short", typeCode: 2 })
  })
})

describe("usageFailure", () => {
  it("turns effect/cli's parse errors into one failure with exit code 2", () => {
    const failure = new CliError.ShowHelp({
      commandPath: ["projectx", "orders", "place"],
      errors: [new CliError.MissingOption({ option: "side" })]
    })
    expect(usageFailure(failure)).toEqual({
      code: 2,
      tag: "MissingOption",
      message: "Missing required flag: --side",
      hint: "`projectx orders place --help` shows the usage"
    })
  })
})

describe("progress while the rate limiter waits", () => {
  it("says what it is waiting for and how long, and clears it when requests move again", () => {
    expect(waitText(17_200, "history", 50, 30_000)).toBe("waiting 18 s for the history rate budget (50 per 30 s)")
    const written: Array<string> = []
    const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "")
    const stream = { isTTY: true, write: (s: string) => written.push(plain(s)) } as unknown as NodeJS.WriteStream
    const bar = progressBar("bars", stream)
    bar.update(3, 8, 60_000)
    bar.waiting(waitText(18_000, "history", 50, 30_000))
    expect(written.at(-1)).toMatch(/3\/8 requests · 60,000 bars · 5 left · waiting 18 s for the history rate budget/)
    bar.waiting(undefined)
    bar.update(4, 8, 80_000)
    expect(written.at(-1)).toMatch(/4\/8 requests · 80,000 bars · 4 left$/)
  })
})
