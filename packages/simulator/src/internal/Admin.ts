// The admin API under /_sim (no authentication; documented in the package README). Inputs are
// decoded with the Schemas of SimulatorAdmin, so the typed client and the server agree.
import { parseTimestamp } from "@projectx-effect/gateway"
import { Effect, Result, Schema } from "effect"
import { type HttpRouter, type HttpServerRequest, HttpServerResponse } from "effect/http"
import * as Admin from "../SimulatorAdmin.ts"
import { priceOf, ticksOf } from "./Contracts.ts"
import type { SimState } from "./State.ts"

type Response = HttpServerResponse.HttpServerResponse

const reply = (value: unknown, status = 200): Response =>
  HttpServerResponse.text(value === undefined ? "" : JSON.stringify(value), {
    status,
    contentType: "application/json; charset=utf-8"
  })

const badRequest = (message: string): Response => reply({ error: message }, 400)

const instant = (input: string | number): number | undefined =>
  typeof input === "number" ? input : parseTimestamp(input)

const query = (request: HttpServerRequest.HttpServerRequest, name: string): string | undefined =>
  new URL(request.url, "http://sim.local").searchParams.get(name) ?? undefined

/** Reads and decodes a JSON body (an empty body counts as `{}`). */
const input = <S extends Schema.Codec<any, any>>(
  schema: S,
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<Result.Result<S["Type"], string>> =>
  Effect.map(
    Effect.orElseSucceed(request.text, () => ""),
    (text) => {
      let parsed: unknown = {}
      if (text.trim().length > 0) {
        try {
          parsed = JSON.parse(text)
        } catch {
          return Result.fail("body is not JSON")
        }
      }
      const decoded = Schema.decodeUnknownResult(schema as Schema.Codec<S["Type"], unknown>)(parsed)
      return Result.isFailure(decoded) ? Result.fail(decoded.failure.message) : Result.succeed(decoded.success)
    }
  )

export const registerAdmin = (router: HttpRouter.HttpRouter, state: SimState) =>
  Effect.gen(function* () {
    const P = Admin.paths
    const clockState = (): Admin.ClockState => {
      const nowMs = state.engine.now()
      return { mode: state.clock.state().mode, now: new Date(nowMs).toISOString(), nowMs }
    }
    const authState = (): Admin.AuthState => ({
      tokenLifetimeSeconds: state.sessions.lifetimeSeconds,
      sessions: state.sessions.count
    })
    const accountId = (request: HttpServerRequest.HttpServerRequest): number | undefined => {
      const raw = query(request, "accountId")
      const id = raw === undefined ? Number.NaN : Number(raw)
      return Number.isInteger(id) && state.engine.accounts.has(id) ? id : undefined
    }
    const marketState = (contractId: string): Admin.MarketState | undefined => {
      const c = state.engine.contract(contractId)
      if (c === undefined) return undefined
      const now = state.engine.now()
      const last = state.market.lastTicks(c, now)
      return {
        contractId: c.id,
        open: state.market.isOpen(now),
        lastPrice: last === undefined ? null : priceOf(c, last),
        bid: last === undefined ? null : priceOf(c, last),
        ask: last === undefined ? null : priceOf(c, last + 1),
        tickSize: c.spec.tickSize
      }
    }

    yield* router.add("GET", P.root, () =>
      Effect.sync(() =>
        reply({
          seed: state.config.seed,
          clock: clockState(),
          users: state.config.users.map((u) => ({
            userName: u.userName,
            apiKey: u.apiKey,
            loginErrorCode: u.loginError?.code ?? null,
            accounts: u.accounts.map((a) => ({ id: a.id, name: a.name }))
          })),
          admin: P
        })
      )
    )

    yield* router.add("GET", P.stats, () =>
      Effect.sync(() => reply({ ...state.stats.snapshot(), hubs: state.hubs.stats() } satisfies Admin.SimulatorStats))
    )
    yield* router.add("POST", P.statsReset, () =>
      Effect.sync(() => {
        state.stats.reset()
        state.hubs.resetStats()
        return reply(undefined)
      })
    )

    yield* router.add("POST", P.reset, (request) =>
      Effect.map(input(Admin.ResetInput, request), (r) => {
        if (Result.isFailure(r)) return badRequest(r.failure)
        state.reset({ sessions: r.success.sessions })
        return reply(undefined)
      })
    )

    yield* router.add("GET", P.clock, () => Effect.sync(() => reply(clockState())))
    yield* router.add("POST", P.clock, (request) =>
      Effect.map(input(Admin.ClockInput, request), (r) => {
        if (Result.isFailure(r)) return badRequest(r.failure)
        const { mode, now, advanceMs } = r.success
        const nowMs = now === undefined ? undefined : instant(now)
        if (now !== undefined && nowMs === undefined) return badRequest(`not an instant: ${String(now)}`)
        // Bring resting orders up to the old time first, so an advance evaluates the path in between.
        state.engine.now()
        state.clock.set({ mode, now: nowMs, advanceMs })
        return reply(clockState())
      })
    )

    yield* router.add("GET", P.rateLimits, () => Effect.sync(() => reply(state.limiter.settings)))
    yield* router.add("POST", P.rateLimits, (request) =>
      Effect.map(input(Admin.RateLimitInput, request), (r) => {
        if (Result.isFailure(r)) return badRequest(r.failure)
        const s = r.success
        const current = state.limiter.settings
        return reply(
          state.limiter.update({
            ...(s.enabled === undefined ? {} : { enabled: s.enabled }),
            ...(s.mode === undefined ? {} : { mode: s.mode }),
            ...(s.timeScale === undefined ? {} : { timeScale: s.timeScale }),
            history: { ...current.history, ...definedOnly(s.history) },
            general: { ...current.general, ...definedOnly(s.general) }
          })
        )
      })
    )

    yield* router.add("GET", P.auth, () => Effect.sync(() => reply(authState())))
    yield* router.add("POST", P.auth, (request) =>
      Effect.map(input(Admin.AuthInput, request), (r) => {
        if (Result.isFailure(r)) return badRequest(r.failure)
        if (r.success.tokenLifetimeSeconds !== undefined)
          state.sessions.lifetimeSeconds = r.success.tokenLifetimeSeconds
        if (r.success.revokeAll === true) state.sessions.revokeAll()
        return reply(authState())
      })
    )

    const faultsState = (): Admin.FaultsState => ({ seed: state.faults.seed, rules: state.faults.list() })
    yield* router.add("GET", P.faults, () => Effect.sync(() => reply(faultsState())))
    yield* router.add("POST", P.faults, (request) =>
      Effect.map(input(Admin.FaultsInput, request), (r) => {
        if (Result.isFailure(r)) return badRequest(r.failure)
        state.faults.set(r.success.rules, { seed: r.success.seed, append: r.success.append })
        return reply(faultsState())
      })
    )
    yield* router.add("DELETE", P.faults, () =>
      Effect.sync(() => {
        state.faults.clear()
        return reply(undefined)
      })
    )

    yield* router.add("GET", P.market, (request) =>
      Effect.sync(() => {
        const m = marketState(query(request, "contractId") ?? "")
        return m === undefined ? reply({ error: "contract not found" }, 404) : reply(m)
      })
    )
    yield* router.add("POST", P.market, (request) =>
      Effect.map(input(Admin.MarketInput, request), (r) => {
        if (Result.isFailure(r)) return badRequest(r.failure)
        const c = state.engine.contract(r.success.contractId)
        if (c === undefined) return reply({ error: "contract not found" }, 404)
        const now = state.engine.now()
        const last = state.market.lastTicks(c, now)
        if (last === undefined) return badRequest("no price before the history starts")
        let delta = r.success.nudgeTicks ?? 0
        if (r.success.price !== undefined) {
          const target = ticksOf(c, r.success.price)
          if (target === undefined) return badRequest("price is not aligned to the tick size")
          delta = target - last
        }
        state.market.nudge(c, Math.floor(now / 1000), delta)
        state.engine.evaluateJump(c, last, last + delta)
        return reply(marketState(c.id))
      })
    )

    yield* router.add("GET", P.accounts, () => Effect.sync(() => reply([...state.engine.accounts.values()])))
    yield* router.add("POST", P.accounts, (request) =>
      Effect.map(input(Admin.AccountInput, request), (r) => {
        if (Result.isFailure(r)) return badRequest(r.failure)
        const { id, ...settings } = r.success
        const updated = state.engine.updateAccount(id, definedOnly(settings))
        return updated === undefined ? reply({ error: "account not found" }, 404) : reply(updated)
      })
    )

    yield* router.add("GET", P.engine, () => Effect.sync(() => reply(state.engine.options)))
    yield* router.add("POST", P.engine, (request) =>
      Effect.map(input(Admin.EngineInput, request), (r) => {
        if (Result.isFailure(r)) return badRequest(r.failure)
        state.engine.options = { ...state.engine.options, ...definedOnly(r.success) }
        return reply(state.engine.options)
      })
    )

    yield* router.add("GET", P.hubs, () => Effect.sync(() => reply(state.hubs.settings)))
    yield* router.add("POST", P.hubs, (request) =>
      Effect.map(input(Admin.HubSettingsInput, request), (r) =>
        Result.isFailure(r) ? badRequest(r.failure) : reply(state.hubs.update(definedOnly(r.success)))
      )
    )
    yield* router.add("POST", P.hubsDrop, (request) =>
      Effect.map(input(Admin.HubDropInput, request), (r) =>
        Result.isFailure(r) ? badRequest(r.failure) : reply({ connections: state.hubs.drop(r.success.hub) })
      )
    )
    yield* router.add("POST", P.hubsClose, (request) =>
      Effect.map(input(Admin.HubCloseInput, request), (r) =>
        Result.isFailure(r) ? badRequest(r.failure) : reply({ connections: state.hubs.close(r.success) })
      )
    )
    yield* router.add("POST", P.hubsLogout, (request) =>
      Effect.map(input(Admin.HubLogoutInput, request), (r) => {
        if (Result.isFailure(r)) return badRequest(r.failure)
        const name = r.success.userName
        if (name === undefined) return reply({ connections: state.hubs.logout() })
        const user = state.config.users.find((u) => u.userName.toLowerCase() === name.toLowerCase())
        return user === undefined
          ? reply({ error: "user not found" }, 404)
          : reply({ connections: state.hubs.logout(user.id) })
      })
    )

    const perAccount = (f: (id: number) => unknown) => (request: HttpServerRequest.HttpServerRequest) =>
      Effect.sync(() => {
        const id = accountId(request)
        return id === undefined ? reply({ error: "unknown accountId" }, 404) : reply(f(id))
      })
    yield* router.add(
      "GET",
      P.orders,
      perAccount((id) => state.engine.allOrders(id))
    )
    yield* router.add(
      "GET",
      P.positions,
      perAccount((id) => state.engine.adminPositions(id))
    )
    yield* router.add(
      "GET",
      P.trades,
      perAccount((id) => state.engine.adminTrades(id))
    )
  })

/** Drops keys whose value is undefined (exactOptionalPropertyTypes). */
const definedOnly = <A extends object>(a: A | undefined): { [K in keyof A]?: Exclude<A[K], undefined> } => {
  const out: Record<string, unknown> = {}
  if (a !== undefined) for (const [k, v] of Object.entries(a)) if (v !== undefined) out[k] = v
  return out as { [K in keyof A]?: Exclude<A[K], undefined> }
}
