// In-process micro-benchmarks: the SDK's rate limiter against bottleneck, the SDK's circuit breaker
// against cockatiel. Each side wraps the same trivially successful async operation
// (`() => Promise.resolve(1)`); the figure is the cost the wrapper adds per call, i.e. the wrapped
// loop minus the bare loop of the same operation measured in the same round (Effect's bare loop for
// the SDK, an `await` loop for the peers). Rounds alternate their order; medians over rounds.
import { CircuitBreaker, ProjectXConfig, RateLimiter } from "@projectx-effect/sdk"
import Bottleneck from "bottleneck"
import { ConsecutiveBreaker, circuitBreaker, handleAll } from "cockatiel"
import { Effect, Layer, ManagedRuntime } from "effect"
import { type Summary, summarize } from "./stats.ts"

export interface MicroSizes {
  readonly rounds: number
  /** Calls per round for the Effect-side loops and the cockatiel loop. */
  readonly calls: number
  /** Calls per round for bottleneck (much slower per call). */
  readonly bottleneckCalls: number
}

export interface Overhead {
  /** Added cost per call, ns (wrapped − bare, per round). */
  readonly overhead: Summary
  /** Wrapped call, ns. */
  readonly wrapped: Summary
  /** Bare call, ns. */
  readonly bare: Summary
}

export interface MicroFigures {
  readonly limiter: { readonly sdk: Overhead; readonly bottleneck: Overhead }
  readonly breaker: { readonly sdk: Overhead; readonly cockatiel: Overhead }
}

const op = () => Promise.resolve(1)
const opEffect = Effect.promise(op)

/** ns per call of `n` sequential awaits of `call`. */
const timeAsync = async (n: number, call: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await call()
  return ((performance.now() - t0) * 1e6) / n
}

/** ns per call of `n` sequential `yield*`s of `effect`, run once through `run`. */
const timeEffect = async (
  run: (effect: Effect.Effect<void, unknown>) => Promise<void>,
  n: number,
  make: () => Effect.Effect<unknown, unknown>
): Promise<number> => {
  const t0 = performance.now()
  await run(
    Effect.gen(function* () {
      for (let i = 0; i < n; i++) yield* make()
    })
  )
  return ((performance.now() - t0) * 1e6) / n
}

const overheadOf = (wrapped: Array<number>, bare: Array<number>): Overhead => ({
  overhead: summarize(wrapped.map((w, i) => w - bare[i]!)),
  wrapped: summarize(wrapped),
  bare: summarize(bare)
})

export const runMicro = async (sizes: MicroSizes, log: (line: string) => void): Promise<MicroFigures> => {
  const config = ProjectXConfig.ProjectXConfig.layer({
    apiUrl: "http://127.0.0.1:9",
    username: "bench",
    apiKey: "bench-api-key-0123456789"
  })
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      // A limit so large that nobody ever waits: only the bookkeeping of a grant is measured.
      RateLimiter.RateLimiter.layer({ buckets: { general: { limit: 1_000_000_000, window: "60 seconds" } } }),
      CircuitBreaker.CircuitBreaker.layer
    ).pipe(Layer.provide(config))
  )
  try {
    const limiter = await runtime.runPromise(Effect.service(RateLimiter.RateLimiter))
    const breaker = await runtime.runPromise(Effect.service(CircuitBreaker.CircuitBreaker))
    const run = (effect: Effect.Effect<void, unknown>) => runtime.runPromise(effect)

    // --- rate limiter ---------------------------------------------------------------------------------
    log("rate limiter vs bottleneck …")
    const bottleneck = new Bottleneck({ reservoir: 1_000_000_000, maxConcurrent: null, minTime: 0 })
    const limited = () => limiter.acquire("general").pipe(Effect.andThen(opEffect))
    const scheduled = () => bottleneck.schedule(op)
    const lim = {
      sdk: [] as Array<number>,
      sdkBare: [] as Array<number>,
      bn: [] as Array<number>,
      bnBare: [] as Array<number>
    }
    // Warm-up (JIT), then measured rounds in alternating order.
    await timeEffect(run, sizes.calls, limited)
    await timeEffect(run, sizes.calls, () => opEffect)
    await timeAsync(sizes.bottleneckCalls, scheduled)
    await timeAsync(sizes.bottleneckCalls, op)
    for (let r = 0; r < sizes.rounds; r++) {
      const sdkSide = async () => {
        lim.sdkBare.push(await timeEffect(run, sizes.calls, () => opEffect))
        lim.sdk.push(await timeEffect(run, sizes.calls, limited))
      }
      const bnSide = async () => {
        lim.bnBare.push(await timeAsync(sizes.bottleneckCalls, op))
        lim.bn.push(await timeAsync(sizes.bottleneckCalls, scheduled))
      }
      if (r % 2 === 0) {
        await sdkSide()
        await bnSide()
      } else {
        await bnSide()
        await sdkSide()
      }
    }
    await bottleneck.stop({ dropWaitingJobs: false })

    // --- circuit breaker ------------------------------------------------------------------------------
    log("circuit breaker vs cockatiel …")
    const policy = circuitBreaker(handleAll, { halfOpenAfter: 2_000, breaker: new ConsecutiveBreaker(5) })
    const protectedCall = () => breaker.protect("Account", "bench")(opEffect)
    const executed = () => policy.execute(op)
    const brk = {
      sdk: [] as Array<number>,
      sdkBare: [] as Array<number>,
      ck: [] as Array<number>,
      ckBare: [] as Array<number>
    }
    await timeEffect(run, sizes.calls, protectedCall)
    await timeEffect(run, sizes.calls, () => opEffect)
    await timeAsync(sizes.calls, executed)
    await timeAsync(sizes.calls, op)
    for (let r = 0; r < sizes.rounds; r++) {
      const sdkSide = async () => {
        brk.sdkBare.push(await timeEffect(run, sizes.calls, () => opEffect))
        brk.sdk.push(await timeEffect(run, sizes.calls, protectedCall))
      }
      const ckSide = async () => {
        brk.ckBare.push(await timeAsync(sizes.calls, op))
        brk.ck.push(await timeAsync(sizes.calls, executed))
      }
      if (r % 2 === 0) {
        await sdkSide()
        await ckSide()
      } else {
        await ckSide()
        await sdkSide()
      }
    }
    const state = await runtime.runPromise(breaker.state("Account"))
    if (state._tag !== "Closed") throw new Error(`the breaker should have stayed closed, it is ${state._tag}`)

    return {
      limiter: { sdk: overheadOf(lim.sdk, lim.sdkBare), bottleneck: overheadOf(lim.bn, lim.bnBare) },
      breaker: { sdk: overheadOf(brk.sdk, brk.sdkBare), cockatiel: overheadOf(brk.ck, brk.ckBare) }
    }
  } finally {
    await runtime.dispose()
  }
}
