// The figures that talk to the simulator: the SDK against raw undici + JSON.parse on the same URL, body
// and Authorization header, and the bar cache's hit against its miss.
import { skipReason, startRedis } from "../../packages/sdk/test/support/redis.ts"
import { NodeHttpClient } from "@effect/platform-node"
import { Endpoints } from "@projectx-effect/gateway"
import { Accounts, BarCache, Instruments, MarketData, ProjectX } from "@projectx-effect/sdk"
import { Simulator } from "@projectx-effect/simulator"
import { Effect, ManagedRuntime, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { Agent } from "undici"
import { interleave, type Summary, settle, summarize } from "./stats.ts"

export interface Sizes {
  /** Rounds of the sequential Accounts.search comparison, and requests per round per side. */
  readonly seqRounds: number
  readonly seqPerRound: number
  /** Rounds of the concurrent comparison, and requests per worker per round (32 workers). */
  readonly concRounds: number
  readonly concPerWorker: number
  /** Single 20,000-bar requests per side. */
  readonly barsRuns: number
  readonly missRuns: number
  readonly hitRuns: number
  readonly warmup: number
}

export interface Pair {
  readonly sdk: Summary
  readonly raw: Summary
}

export interface GatewayFigures {
  readonly accountsSequential: Pair
  /** Context: Effect's HttpClient alone (same pool options, execute + text + JSON.parse), sequential. */
  readonly accountsSequentialEffectHttp: Summary
  readonly accountsConcurrent: Pair
  readonly bars: Pair
  readonly barsRows: number
  readonly cacheHit: Summary
  readonly cacheMiss: Summary
  /** The first hit right after each miss (the miss's table is already decoded). */
  readonly cacheFirstHit: Summary
  /**
   * A later hit right after the CPU caches were flushed (64 MB touched, no miss): a miss leaves them as
   * cold, so this is what any hit costs in the first hit's position.
   */
  readonly cacheColdHit: Summary
  /** The same hit after only 8 MB were touched (fits the last-level cache here): what a smaller miss leaves. */
  readonly cacheHitAfter8MB: Summary
  /** An empty spanned Effect through the same runtime right after the same flush: the floor of any call. */
  readonly coldEmptySpan: Summary
  /** A hit served by the shared Redis tier to a process whose own cache is empty; undefined without redis-server. */
  readonly sharedHit: Summary | undefined
  readonly sharedSkipped: string | undefined
  readonly jsonBytes: number
  readonly storedBytes: number
  readonly uncompressedBytes: number
}

const CONCURRENCY = 32
const BARS = 20_000

/** A window of exactly 20,000 one-minute bars, ending two days ago on a whole hour (stable for the run). */
const barsWindow = () => {
  const end = Math.floor((Date.now() - 2 * 86_400_000) / 3_600_000) * 3_600_000
  return { start: new Date(end - BARS * 60_000), end: new Date(end) }
}

/**
 * Evicts this core's CPU caches and TLB by writing one byte per cache line of 64 MB (beyond any L2 + L3
 * slice here), as a 20,000-bar miss does with its megabytes of JSON, columns and IPC bytes. Allocated per
 * use, so the buffer does not stay in the process's RSS for the later figures.
 */
const cpuCacheFlusher = () => {
  const buffer = new Uint8Array(64 * 1024 * 1024)
  let salt = 0
  return (bytes = buffer.length) => {
    salt = (salt + 1) & 0xff
    for (let i = 0; i < bytes; i += 64) buffer[i] = salt
  }
}

const makeRaw = (url: string) => {
  // The same pool shape as ProjectX.layerHttp (an undici Agent, 64 connections, keep-alive).
  const agent = new Agent({ connections: 64, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 })
  const origin = new URL(url).origin
  const post = async (path: string, body: string, token?: string): Promise<{ json: unknown; bytes: number }> => {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" }
    if (token !== undefined) headers.authorization = `Bearer ${token}`
    const res = await agent.request({ origin, path, method: "POST", headers, body })
    const text = await res.body.text()
    if (res.statusCode !== 200) throw new Error(`raw ${path}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`)
    return { json: JSON.parse(text), bytes: Buffer.byteLength(text) }
  }
  return { agent, post }
}

export const runGateway = async (url: string, sizes: Sizes, log: (line: string) => void): Promise<GatewayFigures> => {
  const raw = makeRaw(url)
  // The simulator runs without rate limits, so the SDK's own limiter gets budgets it never reaches:
  // it still runs on every call (its cost is part of the figure) but never makes a call wait.
  const unlimited = { limit: 1_000_000, window: "60 seconds" } as const
  const options = {
    apiUrl: url,
    username: Simulator.credentials.userName,
    apiKey: Simulator.credentials.apiKey,
    rateLimits: { general: unlimited, history: unlimited }
  }
  const sdk = ManagedRuntime.make(ProjectX.layer({ ...options, cache: false }))
  // Context for the Accounts figure: Effect's own HttpClient over an identical undici Agent, no SDK.
  const effectHttp = ManagedRuntime.make(
    NodeHttpClient.layerUndiciOptions({ connections: 64, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 })
  )
  const cached = ManagedRuntime.make(ProjectX.layer({ ...options, cache: { maxBytes: 256 * 1024 * 1024 } }))
  try {
    // --- setup: a token for the raw client, the front-month contract, the same request bodies ----------
    const login = await raw.post(Endpoints.loginKey.path, JSON.stringify(Simulator.credentials))
    const token = (login.json as { token: string }).token
    const accounts = await sdk.runPromise(Effect.service(Accounts.Accounts))
    const market = await sdk.runPromise(Effect.service(MarketData.MarketData))
    const instruments = await sdk.runPromise(Effect.service(Instruments.Instruments))
    const contract = await sdk.runPromise(instruments.resolve("MNQ"))
    const window = barsWindow()
    const barsRequest = {
      contractId: contract.id,
      unit: "minute",
      start: window.start,
      end: window.end,
      limit: BARS
    } as const
    const accountsBody = JSON.stringify(
      Schema.encodeSync(Endpoints.searchAccounts.request)({ onlyActiveAccounts: true })
    )
    const barsBody = JSON.stringify(
      Schema.encodeSync(Endpoints.retrieveBars.request)({
        contractId: contract.id,
        live: false,
        startTime: window.start,
        endTime: window.end,
        unit: 2,
        unitNumber: 1,
        limit: BARS,
        includePartialBar: false
      })
    )
    const rawAccounts = () => raw.post(Endpoints.searchAccounts.path, accountsBody, token)
    const http = await effectHttp.runPromise(Effect.service(HttpClient.HttpClient))
    const effectAccounts = http
      .execute(
        HttpClientRequest.post(`${new URL(url).origin}${Endpoints.searchAccounts.path}`).pipe(
          HttpClientRequest.acceptJson,
          HttpClientRequest.bodyText(accountsBody, "application/json"),
          HttpClientRequest.bearerToken(token)
        )
      )
      .pipe(
        Effect.flatMap((response) => response.text),
        Effect.map((text) => JSON.parse(text) as unknown)
      )
    const rawBars = () => raw.post(Endpoints.retrieveBars.path, barsBody, token)

    // Sanity: both clients see the same data.
    const sdkList = await sdk.runPromise(accounts.search())
    const rawList = ((await rawAccounts()).json as { accounts: Array<unknown> }).accounts
    if (sdkList.length !== rawList.length)
      throw new Error(`accounts differ: sdk ${sdkList.length}, raw ${rawList.length}`)
    const sdkTable = await sdk.runPromise(market.bars(barsRequest))
    const rawBarsReply = await rawBars()
    const rawRows = (rawBarsReply.json as { bars: Array<unknown> }).bars.length
    if (sdkTable.numRows !== BARS || rawRows !== BARS) {
      throw new Error(`expected ${BARS} bars, got sdk ${sdkTable.numRows}, raw ${rawRows}`)
    }
    const jsonBytes = rawBarsReply.bytes

    // --- Accounts.search, sequential: every request's latency -----------------------------------------
    log("Accounts.search sequential …")
    const sdkSequential = (n: number, into: Array<number>) =>
      sdk.runPromise(
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) {
            const t0 = performance.now()
            yield* accounts.search()
            into.push(performance.now() - t0)
          }
        })
      )
    const rawSequential = async (n: number, into: Array<number>) => {
      for (let i = 0; i < n; i++) {
        const t0 = performance.now()
        await rawAccounts()
        into.push(performance.now() - t0)
      }
    }
    const effectSequential = (n: number, into: Array<number>) =>
      effectHttp.runPromise(
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) {
            const t0 = performance.now()
            yield* effectAccounts
            into.push(performance.now() - t0)
          }
        })
      )
    await sdkSequential(sizes.warmup, [])
    await rawSequential(sizes.warmup, [])
    await effectSequential(sizes.warmup, [])
    const seq = { sdk: [] as Array<number>, raw: [] as Array<number>, effect: [] as Array<number> }
    await interleave(
      sizes.seqRounds,
      () => sdkSequential(sizes.seqPerRound, seq.sdk),
      async () => {
        await rawSequential(sizes.seqPerRound, seq.raw)
        await effectSequential(sizes.seqPerRound, seq.effect)
      }
    )

    // --- Accounts.search, 32 concurrent: wall time per request while 32 are in flight -----------------
    log("Accounts.search 32 concurrent …")
    const workers = Array.from({ length: CONCURRENCY }, (_, i) => i)
    const perRound = CONCURRENCY * sizes.concPerWorker
    const sdkConcurrent = async (into: Array<number>) => {
      const t0 = performance.now()
      await sdk.runPromise(
        Effect.forEach(
          workers,
          () =>
            Effect.gen(function* () {
              for (let i = 0; i < sizes.concPerWorker; i++) yield* accounts.search()
            }),
          { concurrency: CONCURRENCY, discard: true }
        )
      )
      into.push((performance.now() - t0) / perRound)
    }
    const rawConcurrent = async (into: Array<number>) => {
      const t0 = performance.now()
      await Promise.all(
        workers.map(async () => {
          for (let i = 0; i < sizes.concPerWorker; i++) await rawAccounts()
        })
      )
      into.push((performance.now() - t0) / perRound)
    }
    await sdkConcurrent([])
    await rawConcurrent([])
    const conc = { sdk: [] as Array<number>, raw: [] as Array<number> }
    await interleave(
      sizes.concRounds,
      () => sdkConcurrent(conc.sdk),
      () => rawConcurrent(conc.raw)
    )

    // --- bars: 20,000 bars → Arrow table (cache off) vs raw undici + JSON.parse ------------------------
    log("bars (20,000) …")
    await settle()
    const sdkBars = async (into: Array<number>) => {
      const t0 = performance.now()
      const table = await sdk.runPromise(market.bars(barsRequest))
      into.push(performance.now() - t0)
      if (table.numRows !== BARS) throw new Error(`sdk bars: ${table.numRows} rows`)
    }
    const rawBarsTimed = async (into: Array<number>) => {
      const t0 = performance.now()
      const reply = await rawBars()
      into.push(performance.now() - t0)
      if ((reply.json as { bars: Array<unknown> }).bars.length !== BARS) throw new Error("raw bars: wrong row count")
    }
    for (let i = 0; i < Math.max(2, sizes.warmup / 50); i++) {
      await sdkBars([])
      await rawBarsTimed([])
    }
    const bars = { sdk: [] as Array<number>, raw: [] as Array<number> }
    await interleave(
      sizes.barsRuns,
      () => sdkBars(bars.sdk),
      () => rawBarsTimed(bars.raw)
    )

    // --- the cache: miss (clear, fetch, encode, store) vs hit (decode) ---------------------------------
    log("bar cache hit/miss …")
    await settle()
    const cache = await cached.runPromise(Effect.service(BarCache.BarCache))
    const cachedMarket = await cached.runPromise(Effect.service(MarketData.MarketData))
    const miss: Array<number> = []
    const firstHit: Array<number> = []
    const coldHit: Array<number> = []
    const coldSpan: Array<number> = []
    const after8MB: Array<number> = []
    const hit: Array<number> = []
    const emptySpan = Effect.void.pipe(Effect.withSpan("bench.empty"))
    const flushCpuCaches = cpuCacheFlusher()
    // Later hits first (100 unmeasured, then the measured ones). They also bring a hit's code to V8's
    // optimizing tier, so the rounds below compare the first hit after a miss with later hits at the same
    // JIT state: measured before them, first hits ran partly unoptimized (~0.28 vs ~0.09 ms here).
    await cached.runPromise(cachedMarket.bars(barsRequest))
    for (let i = 0; i < sizes.hitRuns + 100; i++) {
      const t0 = performance.now()
      const table = await cached.runPromise(cachedMarket.bars(barsRequest))
      if (i >= 100) hit.push(performance.now() - t0)
      if (table.numRows !== BARS) throw new Error(`cache hit: ${table.numRows} rows`)
    }
    for (let i = 0; i < sizes.hitRuns + 100; i++) await cached.runPromise(emptySpan)
    const before = await cached.runPromise(cache.stats)
    if (before.hits < sizes.hitRuns) throw new Error(`expected ≥ ${sizes.hitRuns} hits, stats say ${before.hits}`)
    const rounds = sizes.missRuns + 2
    for (let i = 0; i < rounds; i++) {
      await cached.runPromise(cache.clear)
      const t0 = performance.now()
      await cached.runPromise(cachedMarket.bars(barsRequest))
      const t1 = performance.now()
      await cached.runPromise(cachedMarket.bars(barsRequest))
      const t2 = performance.now()
      // The same hit after 8 MB were touched (no miss), then the hit and an empty span, each right after the
      // CPU caches are flushed (64 MB).
      flushCpuCaches(8 * 1024 * 1024)
      const t7 = performance.now()
      await cached.runPromise(cachedMarket.bars(barsRequest))
      const t8 = performance.now()
      flushCpuCaches()
      const t3 = performance.now()
      await cached.runPromise(cachedMarket.bars(barsRequest))
      const t4 = performance.now()
      flushCpuCaches()
      const t5 = performance.now()
      await cached.runPromise(emptySpan)
      const t6 = performance.now()
      if (i >= 2) {
        miss.push(t1 - t0)
        firstHit.push(t2 - t1)
        coldHit.push(t4 - t3)
        coldSpan.push(t6 - t5)
        after8MB.push(t8 - t7)
      }
    }
    const stats = await cached.runPromise(cache.stats)
    if (stats.entries !== 1) throw new Error(`expected one cache entry, found ${stats.entries}`)
    // Every hit in the rounds, the first after each miss included, came from the hot tier (no decode).
    const hits = stats.hits - before.hits
    if (stats.misses - before.misses !== rounds || hits !== 3 * rounds || stats.hotHits - before.hotHits !== hits) {
      throw new Error(`expected ${rounds} misses and ${3 * rounds} hot hits, stats say ${JSON.stringify(stats)}`)
    }

    // --- the shared tier: another process's cache is empty, Redis has the blob --------------------------
    let sharedHit: Summary | undefined
    let sharedSkipped: string | undefined = skipReason
    if (skipReason === undefined) {
      log("shared (Redis) cache hit …")
      const redis = await startRedis()
      const shared = { ...options, shared: { redisUrl: redis.url } }
      const writer = ManagedRuntime.make(ProjectX.layer(shared))
      const reader = ManagedRuntime.make(ProjectX.layer(shared))
      try {
        await writer.runPromise(MarketData.MarketData.use((m) => m.bars(barsRequest)))
        const readerCache = await reader.runPromise(Effect.service(BarCache.BarCache))
        const readerMarket = await reader.runPromise(Effect.service(MarketData.MarketData))
        const times: Array<number> = []
        const runs = Math.max(10, Math.floor(sizes.hitRuns / 20))
        for (let i = 0; i < runs + 5; i++) {
          // Empty in-process tiers: every get goes to Redis, as in a process that never fetched the range.
          await reader.runPromise(readerCache.clear)
          const t0 = performance.now()
          const table = await reader.runPromise(readerMarket.bars(barsRequest))
          if (i >= 5) times.push(performance.now() - t0)
          if (table.numRows !== BARS) throw new Error(`shared hit: ${table.numRows} rows`)
        }
        const readerStats = await reader.runPromise(readerCache.stats)
        if (readerStats.sharedHits !== runs + 5 || readerStats.lookups !== 0) {
          throw new Error(`expected ${runs + 5} shared hits and no lookup, stats say ${JSON.stringify(readerStats)}`)
        }
        sharedHit = summarize(times)
        sharedSkipped = undefined
      } finally {
        await writer.dispose()
        await reader.dispose()
        await redis.stop()
      }
    }

    return {
      accountsSequential: { sdk: summarize(seq.sdk), raw: summarize(seq.raw) },
      accountsSequentialEffectHttp: summarize(seq.effect),
      accountsConcurrent: { sdk: summarize(conc.sdk), raw: summarize(conc.raw) },
      bars: { sdk: summarize(bars.sdk), raw: summarize(bars.raw) },
      barsRows: BARS,
      cacheHit: summarize(hit),
      cacheMiss: summarize(miss),
      cacheFirstHit: summarize(firstHit),
      cacheColdHit: summarize(coldHit),
      coldEmptySpan: summarize(coldSpan),
      cacheHitAfter8MB: summarize(after8MB),
      sharedHit,
      sharedSkipped,
      jsonBytes,
      storedBytes: stats.bytesStored,
      uncompressedBytes: stats.bytesUncompressed
    }
  } finally {
    await sdk.dispose()
    await effectHttp.dispose()
    await cached.dispose()
    await raw.agent.close()
  }
}
