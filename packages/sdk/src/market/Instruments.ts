/**
 * Contracts: text search, the tradable list, lookup by id, and symbol resolution. A root (`MNQ`, `NQ`,
 * `6E`) resolves to its FRONT month — the `activeContract` one, then the nearest expiry — never to the
 * alphabetically first name (project-x-py v3.3.0 picked `MNQH26` over `MNQU25` that way). CME tickers
 * are mapped to the Gateway's roots (NQ → ENQ, ES → EP, …). Lookups are cached with a TTL on `Clock`.
 */
import { type Contract, Endpoints } from "@projectx-effect/gateway"
import * as Cache from "effect/Cache"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { ConfigurationError, ContractNotFound, type GatewayError, ValidationError } from "../client/Errors.ts"
import { GatewayClient } from "../client/GatewayClient.ts"
import { MONTH_CODES } from "./internal/ticks.ts"
import { ProjectXConfig } from "../client/ProjectXConfig.ts"
import { readSpan } from "../observability/internal/readSpan.ts"

export type { Contract } from "@projectx-effect/gateway"

/** What a Gateway read can fail with. */
export type CallError = GatewayError | ValidationError

export interface LiveOption {
  /** `true` uses the live market-data subscription; defaults to the configured `live` (false). */
  readonly live?: boolean | undefined
}

export interface InstrumentsOptions {
  /** How long `resolve` and `available` results are kept (the front month rolls: minutes, not days). */
  readonly ttl?: Duration.Input
  /** How long a contract fetched by id is kept (tick size and value do not change). */
  readonly contractTtl?: Duration.Input
  readonly capacity?: number
}

/**
 * CME tickers whose Gateway root differs (gateway-api.md §6.1). Every other ticker is its own root
 * (MNQ, MES, MGC, YM, MYM, RTY, EMD, …).
 */
export const gatewayRoots: Readonly<Record<string, string>> = {
  NQ: "ENQ",
  ES: "EP",
  GC: "GCE",
  CL: "CLE",
  MCL: "MCLE",
  "6A": "DA6",
  "6B": "BP6",
  "6C": "CA6",
  "6E": "EU6",
  E7: "EEU",
  QG: "NQG",
  QM: "NQM"
}

/** The Gateway root for a ticker or root ("NQ" → "ENQ", "ENQ" → "ENQ", "MNQ" → "MNQ"). */
export const gatewayRootOf = (symbol: string): string => gatewayRoots[symbol.toUpperCase()] ?? symbol.toUpperCase()

const idPattern = /^CON\.[A-Z]+\.[A-Z]+\.([A-Z0-9]+)\.([FGHJKMNQUVXZ])(\d{2})$/i
const namePattern = /^(.+?)([FGHJKMNQUVXZ])(\d{1,2})$/i

/** Root, month (0–11) and full year of a contract id such as `CON.F.US.MNQ.Z25`. */
export const parseContractId = (
  id: string
): { readonly root: string; readonly month: number; readonly year: number } | undefined => {
  const m = idPattern.exec(id)
  if (m === null) return undefined
  return {
    root: (m[1] as string).toUpperCase(),
    month: MONTH_CODES.indexOf((m[2] as string).toUpperCase()),
    year: 2000 + Number(m[3])
  }
}

/** Ticker, month (0–11) and year digits of a contract name such as `MNQZ5`, `NQZ25` or `6EU5`. */
export const parseContractName = (
  name: string
): { readonly ticker: string; readonly month: number; readonly yearDigits: string } | undefined => {
  const m = namePattern.exec(name.trim())
  if (m === null) return undefined
  return {
    ticker: (m[1] as string).toUpperCase(),
    month: MONTH_CODES.indexOf((m[2] as string).toUpperCase()),
    yearDigits: m[3] as string
  }
}

/** The Gateway root of a contract: from `symbolId` (`F.US.<root>`), else its id, else its name. */
export const rootOf = (contract: Contract): string => {
  if (contract.symbolId !== undefined) {
    const last = contract.symbolId.split(".").pop()
    if (last !== undefined && last.length > 0) return last.toUpperCase()
  }
  const parsed = parseContractId(contract.id)
  if (parsed !== undefined) return parsed.root
  return tickerOf(contract)
}

/** The exchange ticker of a contract: its name without the month code and year (`NQZ5` → `NQ`). */
export const tickerOf = (contract: Contract): string =>
  parseContractName(contract.name)?.ticker ?? contract.name.toUpperCase()

/** A full year for a one- or two-digit contract year, relative to `nowYear` (expired years stay close). */
const fullYear = (digits: string, nowYear: number): number => {
  if (digits.length === 2) return 2000 + Number(digits)
  const decade = Math.floor(nowYear / 10) * 10
  const year = decade + Number(digits)
  return year < nowYear - 2 ? year + 10 : year
}

/** Months since year 0 of a contract's expiry month, from its id (else its name); undefined if unknown. */
export const expiryIndex = (contract: Contract, nowYear: number): number | undefined => {
  const fromId = parseContractId(contract.id)
  if (fromId !== undefined) return fromId.year * 12 + fromId.month
  const fromName = parseContractName(contract.name)
  if (fromName !== undefined) return fullYear(fromName.yearDigits, nowYear) * 12 + fromName.month
  return undefined
}

/**
 * The front month among contracts of one root: the `activeContract` one (the nearest expiry if several
 * claim it), else the nearest expiry not already past, else the latest. Listing order never matters.
 */
export const frontMonth = (contracts: ReadonlyArray<Contract>, nowMillis: number): Contract | undefined => {
  const now = new Date(nowMillis)
  const nowYear = now.getUTCFullYear()
  const nowIndex = nowYear * 12 + now.getUTCMonth()
  const byExpiry = (a: Contract, b: Contract) =>
    (expiryIndex(a, nowYear) ?? Number.MAX_SAFE_INTEGER) - (expiryIndex(b, nowYear) ?? Number.MAX_SAFE_INTEGER) ||
    a.id.localeCompare(b.id)
  const active = contracts.filter((c) => c.activeContract).sort(byExpiry)
  if (active[0] !== undefined) return active[0]
  const sorted = [...contracts].sort(byExpiry)
  return sorted.find((c) => (expiryIndex(c, nowYear) ?? Number.MAX_SAFE_INTEGER) >= nowIndex) ?? sorted.at(-1)
}

/** Edit distance with transpositions (optimal string alignment): "MQN" is one edit from "MNQ". */
export const editDistance = (a: string, b: string): number => {
  if (a === b) return 0
  const rows: Array<Array<number>> = []
  for (let i = 0; i <= a.length; i++) {
    const row: Array<number> = [i]
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row[j] = j
        continue
      }
      const up = rows[i - 1] as Array<number>
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((rows[i - 2] as Array<number>)[j - 2] as number) + 1)
      }
      row[j] = best
    }
    rows.push(row)
  }
  return (rows[a.length] as Array<number>)[b.length] as number
}

/** The closest names, tickers and roots to `symbol` among `contracts` (at most `limit`). */
export const suggest = (symbol: string, contracts: ReadonlyArray<Contract>, limit = 5): ReadonlyArray<string> => {
  const wanted = symbol.trim().toUpperCase()
  const candidates = new Set<string>()
  for (const c of contracts) {
    if (wanted.startsWith("CON.")) candidates.add(c.id.toUpperCase())
    candidates.add(c.name.toUpperCase())
    candidates.add(tickerOf(c))
    candidates.add(rootOf(c))
  }
  const threshold = Math.max(1, Math.floor(wanted.length / 2))
  return [...candidates]
    .map((candidate) => ({ candidate, distance: editDistance(wanted, candidate) }))
    .filter(
      ({ candidate, distance }) =>
        distance <= threshold ||
        (wanted.length >= 2 && (candidate.startsWith(wanted) || wanted.startsWith(candidate)) && candidate.length >= 2)
    )
    .sort(
      (a, b) =>
        a.distance - b.distance || a.candidate.length - b.candidate.length || a.candidate.localeCompare(b.candidate)
    )
    .slice(0, limit)
    .map(({ candidate }) => candidate)
}

/** Contracts matching `symbol` as a root or ticker ("MNQ", "NQ", "ENQ"). */
const matchRoot = (symbol: string, contracts: ReadonlyArray<Contract>): ReadonlyArray<Contract> => {
  const root = gatewayRootOf(symbol)
  return contracts.filter((c) => rootOf(c) === root || tickerOf(c) === symbol)
}

/** The contract `symbol` names as a contract name ("MNQZ5", "MNQZ25", "NQZ5"), if listed. */
const matchName = (symbol: string, contracts: ReadonlyArray<Contract>, nowYear: number): Contract | undefined => {
  const exact = contracts.find((c) => c.name.toUpperCase() === symbol)
  if (exact !== undefined) return exact
  const parsed = parseContractName(symbol)
  if (parsed === undefined) return undefined
  const year = fullYear(parsed.yearDigits, nowYear)
  const root = gatewayRootOf(parsed.ticker)
  return contracts.find((c) => {
    if (rootOf(c) !== root && tickerOf(c) !== parsed.ticker) return false
    const id = parseContractId(c.id)
    if (id !== undefined) return id.month === parsed.month && id.year === year
    const name = parseContractName(c.name)
    return name !== undefined && name.month === parsed.month && fullYear(name.yearDigits, nowYear) === year
  })
}

export interface InstrumentsShape {
  /** `Contract/search`: the Gateway's loose text match, at most 20 contracts, in its order. */
  readonly search: (text: string, options?: LiveOption) => Effect.Effect<ReadonlyArray<Contract>, CallError>
  /** `Contract/available`: every contract this login can trade (cached). */
  readonly available: (options?: LiveOption) => Effect.Effect<ReadonlyArray<Contract>, CallError>
  /** `Contract/searchById` (cached); expired contracts resolve too. */
  readonly byId: (contractId: string) => Effect.Effect<Contract, ContractNotFound | CallError>
  /**
   * A root (`MNQ`, `NQ`, `6E`: the front month), a contract name (`MNQZ5`, `MNQZ25`) or a contract id
   * (`CON.F.US.MNQ.Z25`) as a contract (cached). Unknown symbols fail with suggestions.
   */
  readonly resolve: (symbol: string, options?: LiveOption) => Effect.Effect<Contract, ContractNotFound | CallError>
  /** Forgets every cached contract and resolution. */
  readonly invalidate: Effect.Effect<void>
}

/** A cache lifetime option: a duration from 0 to 7 days, or a `ConfigurationError` naming it. */
const ttlOption = (variable: string, input: Duration.Input | undefined, fallback: Duration.Input) => {
  const parsed = Option.getOrUndefined(Duration.fromInput(input ?? fallback))
  const ms = parsed === undefined ? Number.NaN : Duration.toMillis(parsed)
  return parsed !== undefined && ms >= 0 && ms <= 7 * 86_400_000
    ? Effect.succeed(parsed)
    : Effect.fail(new ConfigurationError({ variable, expected: "a duration from 0 to 7 days", got: String(input) }))
}

const make = (options: InstrumentsOptions = {}) =>
  Effect.gen(function* () {
    const client = yield* GatewayClient
    const config = yield* ProjectXConfig
    const ttl = yield* ttlOption("instruments.ttl", options.ttl, "10 minutes")
    const contractTtl = yield* ttlOption("instruments.contractTtl", options.contractTtl, "1 hour")
    const capacity = options.capacity ?? 1024
    if (typeof capacity !== "number" || !Number.isInteger(capacity) || capacity < 1 || capacity > 1_000_000) {
      return yield* new ConfigurationError({
        variable: "instruments.capacity",
        expected: "a whole number from 1 to 1000000",
        got: String(capacity)
      })
    }
    const liveOf = (o: LiveOption | undefined) => o?.live ?? config.live

    const onlySuccess =
      (duration: Duration.Duration) =>
      <A, E>(exit: Exit.Exit<A, E>): Duration.Duration =>
        Exit.isSuccess(exit) ? duration : Duration.zero

    const fetchById = (contractId: string) =>
      client.call(Endpoints.searchContractById, { contractId }).pipe(
        Effect.map((r) => r.contract),
        Effect.catchIf(
          (e): e is GatewayError =>
            e._tag === "GatewayError" && e.reason._tag === "Rejected" && e.reason.name === "ContractNotFound",
          () => notFound(contractId, [])
        )
      )

    const byIdCache = yield* Cache.makeWith(fetchById, { capacity, timeToLive: onlySuccess(contractTtl) })

    const remember = (contracts: ReadonlyArray<Contract>) =>
      Effect.forEach(contracts, (c) => Cache.set(byIdCache, c.id, c), { discard: true })

    const fetchAvailable = (live: boolean) =>
      client.call(Endpoints.availableContracts, { live }).pipe(
        Effect.map((r) => r.contracts),
        Effect.tap(remember)
      )
    const availableCache: Cache.Cache<boolean, ReadonlyArray<Contract>, CallError> = yield* Cache.makeWith(
      fetchAvailable,
      { capacity: 2, timeToLive: onlySuccess(ttl) }
    )

    const searchRaw = (searchText: string, live: boolean) =>
      client.call(Endpoints.searchContracts, { searchText, live }).pipe(
        Effect.map((r) => r.contracts),
        Effect.tap(remember)
      )

    /** Close names from the tradable list; best effort (a failing lookup suggests nothing). */
    const notFound = (
      symbol: string,
      extra: ReadonlyArray<Contract>,
      live = config.live
    ): Effect.Effect<never, ContractNotFound> =>
      Cache.get(availableCache, live).pipe(
        Effect.orElseSucceed((): ReadonlyArray<Contract> => []),
        Effect.flatMap((listed) =>
          Effect.fail(new ContractNotFound({ symbol, suggestions: [...suggest(symbol, [...listed, ...extra])] }))
        )
      )

    const resolveUncached = (key: string) =>
      Effect.gen(function* () {
        const separator = key.indexOf(":")
        const live = key.slice(0, separator) === "live"
        const symbol = key.slice(separator + 1)
        if (symbol.startsWith("CON.")) return yield* Cache.get(byIdCache, symbol)
        const now = yield* Clock.currentTimeMillis
        const nowYear = new Date(now).getUTCFullYear()

        const pick = (contracts: ReadonlyArray<Contract>): Contract | undefined => {
          const exactName = contracts.filter((c) => c.name.toUpperCase() === symbol)
          if (exactName.length > 0) return frontMonth(exactName, now)
          const roots = matchRoot(symbol, contracts)
          if (roots.length > 0) return frontMonth(roots, now)
          return matchName(symbol, contracts, nowYear)
        }

        const listed = yield* Cache.get(availableCache, live)
        const fromList = pick(listed)
        if (fromList !== undefined) return fromList

        // Not tradable-listed: a named month may still exist (an expired or far contract) by its id.
        const parsed = parseContractName(symbol)
        if (parsed !== undefined) {
          const yy = String(fullYear(parsed.yearDigits, nowYear) % 100).padStart(2, "0")
          const id = `CON.F.US.${gatewayRootOf(parsed.ticker)}.${MONTH_CODES[parsed.month]}${yy}`
          const byId = yield* Cache.get(byIdCache, id).pipe(
            Effect.catchTag("ContractNotFound", () => Effect.succeed(undefined))
          )
          if (byId !== undefined) return byId
        }

        const texts = [...new Set([symbol, gatewayRootOf(symbol)])]
        const found = (yield* Effect.forEach(texts, (text) => searchRaw(text, live))).flat()
        const fromSearch = pick(found)
        if (fromSearch !== undefined) return fromSearch
        return yield* notFound(symbol, found, live)
      })

    const resolveCache = yield* Cache.makeWith(resolveUncached, { capacity, timeToLive: onlySuccess(ttl) })

    const search = Effect.fnUntraced(function* (text: string, options?: LiveOption) {
      if (typeof text !== "string" || text.length > 200) {
        return yield* new ValidationError({
          operation: "Instruments.search",
          field: "text",
          allowed: "a search text of at most 200 characters",
          got: typeof text === "string" ? `${text.length} characters` : String(text)
        })
      }
      return yield* searchRaw(text, liveOf(options))
    }, readSpan("Instruments.search"))

    const available = Effect.fnUntraced(function* (options?: LiveOption) {
      return yield* Cache.get(availableCache, liveOf(options))
    }, readSpan("Instruments.available"))

    const byId = Effect.fnUntraced(function* (contractId: string) {
      const id = typeof contractId === "string" ? contractId.trim() : ""
      if (id.length === 0 || id.length > 200) {
        return yield* new ValidationError({
          operation: "Instruments.byId",
          field: "contractId",
          allowed: "a contract id such as CON.F.US.MNQ.Z25",
          got: String(JSON.stringify(contractId)).slice(0, 80)
        })
      }
      return yield* Cache.get(byIdCache, id)
    }, readSpan("Instruments.byId"))

    const resolve = Effect.fnUntraced(function* (symbol: string, options?: LiveOption) {
      const normalized = typeof symbol === "string" ? symbol.trim().toUpperCase() : ""
      if (normalized.length === 0 || normalized.length > 200) {
        return yield* new ValidationError({
          operation: "Instruments.resolve",
          field: "symbol",
          allowed: "a root (MNQ, NQ, ES), a contract name (MNQZ5) or a contract id (CON.F.US.MNQ.Z25)",
          got: String(JSON.stringify(symbol)).slice(0, 80)
        })
      }
      const contract = yield* Cache.get(resolveCache, `${liveOf(options) ? "live" : "sim"}:${normalized}`)
      yield* Effect.annotateCurrentSpan({ "projectx.symbol": normalized, "projectx.contract_id": contract.id })
      return contract
    }, readSpan("Instruments.resolve"))

    const invalidate = Effect.all([
      Cache.invalidateAll(byIdCache),
      Cache.invalidateAll(availableCache),
      Cache.invalidateAll(resolveCache)
    ]).pipe(Effect.asVoid)

    return Instruments.of({ search, available, byId, resolve, invalidate })
  })

export class Instruments extends Context.Service<Instruments, InstrumentsShape>()("@projectx-effect/sdk/Instruments") {
  /** The service with the default TTLs (10 minutes for resolutions, 1 hour for contracts by id). */
  static readonly make = (options?: InstrumentsOptions) => make(options)
  static readonly layer = (options?: InstrumentsOptions) => Layer.effect(Instruments, make(options))
}
