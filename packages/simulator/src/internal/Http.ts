// The Gateway's HTTP surface, generated from the contract's endpoint table (no path is spelled here):
// the envelope (`success`, `errorCode`, `errorMessage`), 200 for business failures, 400 ASP.NET
// ProblemDetails for bodies that do not decode, 401 for missing/bad/expired tokens, 405 for a wrong
// method, 429 from the rate limiter, and the fault rules around it all.
import { NodeHttpServerRequest } from "@effect/platform-node"
import { type AnyEndpoint, type EndpointKey, Endpoints, maxUnitNumber, type RequestOf } from "@projectx-effect/gateway"
import { Effect, Option, Result, Schema, type SchemaIssue } from "effect"
import { type HttpRouter, type HttpServerRequest, HttpServerResponse } from "effect/http"
import { barsReply, maxBars } from "./Bars.ts"
import type { Outcome } from "./Engine.ts"
import type { FaultRule } from "./Faults.ts"
import type { Session } from "./Sessions.ts"
import type { SimState } from "./State.ts"

type Response = HttpServerResponse.HttpServerResponse

const jsonType = "application/json; charset=utf-8"

const json = (body: string): Response => HttpServerResponse.text(body, { contentType: jsonType })

/** The envelope after the payload, as the Gateway orders its fields. */
const envelope = (payload: Record<string, unknown>, outcome: Outcome): Response =>
  json(
    JSON.stringify({
      ...payload,
      success: outcome.errorCode === 0,
      errorCode: outcome.errorCode,
      errorMessage: outcome.errorMessage
    })
  )

const success: Outcome = { errorCode: 0, errorMessage: null }

// ---------------------------------------------------------------------------------------------------
// 400 ProblemDetails, shaped like ASP.NET Core's

let traceCounter = 0
const traceId = (): string => {
  traceCounter++
  const hex = traceCounter.toString(16).padStart(16, "0")
  return `00-${hex}${hex}-${hex}-00`
}

const problem = (errors: Record<string, Array<string>>): Response =>
  HttpServerResponse.text(
    JSON.stringify({
      type: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
      title: "One or more validation errors occurred.",
      status: 400,
      errors,
      traceId: traceId()
    }),
    { status: 400, contentType: "application/problem+json; charset=utf-8" }
  )

const jsonPath = (path: ReadonlyArray<PropertyKey>): string =>
  "$" + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")

const typeName = (endpoint: AnyEndpoint): string => {
  const id = (endpoint.request.ast as { annotations?: { identifier?: unknown } }).annotations?.identifier
  return `ProjectX.Gateway.Api.Models.${typeof id === "string" ? id : endpoint.name + "Request"}`
}

/** ASP.NET's wording: missing required properties per object, conversion errors per path. */
const problemFromIssue = (endpoint: AnyEndpoint, issue: SchemaIssue.Issue): Response => {
  const missing = new Map<string, Array<string>>()
  const errors: Record<string, Array<string>> = {}
  const walk = (i: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>): void => {
    switch (i._tag) {
      case "Pointer":
        walk(i.issue, [...path, ...i.path])
        return
      case "Composite":
        for (const x of i.issues) walk(x, path)
        return
      case "Filter":
      case "Encoding":
        walk(i.issue, path)
        return
      case "MissingKey": {
        const parent = jsonPath(path.slice(0, -1))
        const list = missing.get(parent) ?? []
        list.push(`'${String(path[path.length - 1])}'`)
        missing.set(parent, list)
        return
      }
      default: {
        const at = jsonPath(path)
        ;(errors[at] ??= []).push(
          `The JSON value could not be converted to the expected type. Path: ${at} | LineNumber: 0 | BytePositionInLine: 0.`
        )
      }
    }
  }
  walk(issue, [])
  for (const [parent, keys] of missing) {
    ;(errors[parent] ??= []).push(
      `JSON deserialization for type '${typeName(endpoint)}' was missing required properties including: ${keys.join(", ")}.`
    )
  }
  errors["request"] = ["The request field is required."]
  return problem(errors)
}

// ---------------------------------------------------------------------------------------------------

const bearer = (request: HttpServerRequest.HttpServerRequest): string | undefined => {
  const h = request.headers["authorization"]
  if (h === undefined) return undefined
  const m = /^Bearer\s+(.+)$/i.exec(h.trim())
  return m === null ? "" : m[1]!.trim()
}

const unauthorized = (reason: string, exp?: number): Response => {
  const challenge =
    reason === "missing"
      ? "Bearer"
      : reason === "expired" && exp !== undefined
        ? `Bearer error="invalid_token", error_description="The token expired at '${new Date(exp * 1000).toUTCString()}'"`
        : 'Bearer error="invalid_token"'
  return HttpServerResponse.empty({ status: 401, headers: { "www-authenticate": challenge } })
}

/** Destroys the connection without a reply. */
const dropConnection = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<Response> =>
  Effect.suspend(() => {
    const incoming = NodeHttpServerRequest.toIncomingMessage(request) as { socket?: { destroy: () => void } }
    incoming.socket?.destroy()
    return Effect.interrupt
  })

interface Context<K extends EndpointKey> {
  readonly body: RequestOf<(typeof Endpoints)[K]>
  readonly session: Session
  readonly token: string
  readonly request: HttpServerRequest.HttpServerRequest
}

type Handler<K extends EndpointKey> = (ctx: Context<K>) => Response

const handlers = (state: SimState): { readonly [K in EndpointKey]: Handler<K> } => ({
  loginKey: ({ body }) => {
    state.stats.logins.attempts++
    const r = state.loginKey(body.userName, body.apiKey)
    if (r._tag === "Success") {
      state.stats.logins.succeeded++
      return envelope({ token: r.token }, success)
    }
    state.stats.logins.failed++
    return envelope({ token: null }, r)
  },
  loginApp: ({ body }) => {
    state.stats.logins.attempts++
    const r = state.loginApp(body)
    if (r._tag === "Success") {
      state.stats.logins.succeeded++
      return envelope({ token: r.token }, success)
    }
    state.stats.logins.failed++
    return envelope({ token: null }, r)
  },
  validate: ({ session }) => {
    state.stats.validations.attempts++
    state.stats.validations.succeeded++
    return envelope({ newToken: state.sessions.issue(session.userId, session.userName) }, success)
  },
  logout: ({ session }) => {
    state.stats.logouts++
    state.sessions.revoke(session.jti)
    return envelope({}, success)
  },
  searchAccounts: ({ body, session }) => {
    state.engine.now()
    return envelope({ accounts: state.engine.searchAccounts(session.userId, body.onlyActiveAccounts) }, success)
  },
  searchContracts: ({ body }) =>
    envelope({ contracts: state.searchContracts(body.searchText, state.engine.now()) }, success),
  searchContractById: ({ body }) => {
    const contract = state.contractById(body.contractId, state.engine.now())
    return contract === undefined
      ? envelope(
          { contract: null },
          { errorCode: Endpoints.searchContractById.errors.ContractNotFound, errorMessage: null }
        )
      : envelope({ contract }, success)
  },
  availableContracts: () => envelope({ contracts: state.availableContracts(state.engine.now()) }, success),
  retrieveBars: ({ body }) => {
    const C = Endpoints.retrieveBars.errors
    const nowMs = state.engine.now()
    const failure = (errorCode: number, errorMessage: string | null = null) =>
      envelope({ bars: null }, { errorCode, errorMessage })
    const contract = state.engine.contract(body.contractId)
    if (contract === undefined) return failure(C.ContractNotFound)
    const max = maxUnitNumber[body.unit]
    if (max === undefined) return failure(C.UnitInvalid)
    if (body.unitNumber < 1 || body.unitNumber > max) return failure(C.UnitNumberInvalid)
    const clamp = state.config.barsOverLimit === "clamp" && body.limit > maxBars
    if (body.limit < 1 || (body.limit > maxBars && !clamp)) {
      return failure(C.LimitInvalid, `Limit must be between 1 and ${maxBars} bars (got ${body.limit}).`)
    }
    const bytes = barsReply(
      state.market,
      {
        contract,
        unit: body.unit,
        unitNumber: body.unitNumber,
        startMs: body.startTime.getTime(),
        endMs: body.endTime.getTime(),
        limit: Math.min(body.limit, maxBars),
        includePartialBar: body.includePartialBar,
        nowMs
      },
      '{"bars":',
      ',"success":true,"errorCode":0,"errorMessage":null}'
    )
    return HttpServerResponse.uint8Array(bytes, { contentType: jsonType })
  },
  placeOrder: ({ body, session }) => {
    const r = state.engine.placeOrder(session.userId, body)
    return envelope({ orderId: r.orderId }, r)
  },
  modifyOrder: ({ body, session }) => envelope({}, state.engine.modifyOrder(session.userId, body)),
  cancelOrder: ({ body, session }) => envelope({}, state.engine.cancel(session.userId, body)),
  searchOrders: ({ body, session }) => {
    const r = state.engine.searchOrders(
      session.userId,
      body.accountId,
      body.startTimestamp.getTime(),
      body.endTimestamp?.getTime()
    )
    return envelope({ orders: r.errorCode === 0 ? r.orders : null }, r)
  },
  searchOpenOrders: ({ body, session }) => {
    const r = state.engine.searchOpen(session.userId, body.accountId)
    return envelope({ orders: r.errorCode === 0 ? r.orders : null }, r)
  },
  searchOrderById: ({ body, session }) => {
    const r = state.engine.searchById(session.userId, body.accountId, body.orderId)
    return envelope({ order: r.order }, r)
  },
  queryOrders: ({ body, session }) => {
    const r = state.engine.queryOrders(session.userId, body)
    const payload: Record<string, unknown> = { orders: r.errorCode === 0 ? r.orders : null }
    if (r.totalCount !== undefined) payload.totalCount = r.totalCount
    return envelope(payload, r)
  },
  searchOpenPositions: ({ body, session }) => {
    const r = state.engine.searchPositions(session.userId, body.accountId)
    return envelope({ positions: r.errorCode === 0 ? r.positions : null }, r)
  },
  closePosition: ({ body, session }) =>
    envelope({}, state.engine.closePosition(session.userId, body.accountId, body.contractId, undefined)),
  partialClosePosition: ({ body, session }) =>
    envelope({}, state.engine.closePosition(session.userId, body.accountId, body.contractId, body.size)),
  searchTrades: ({ body, session }) => {
    const r = state.engine.searchTrades(
      session.userId,
      body.accountId,
      body.startTimestamp.getTime(),
      body.endTimestamp?.getTime()
    )
    return envelope({ trades: r.errorCode === 0 ? r.trades : null }, r)
  },
  ping: ({ request }) => {
    // ASP.NET negotiates a string result: text/plain unless the client asks for JSON only.
    const accept = request.headers["accept"] ?? ""
    return accept.includes("application/json") && !accept.includes("text/plain")
      ? json('"pong"')
      : HttpServerResponse.text("pong", { contentType: "text/plain; charset=utf-8" })
  }
})

const noSession: Session = { jti: "", userId: 0, userName: "", exp: 0 }

const faultResponse = (
  rule: FaultRule,
  request: HttpServerRequest.HttpServerRequest,
  endpoint: AnyEndpoint
): Effect.Effect<Response> => {
  switch (rule.kind) {
    case "drop":
      return dropConnection(request)
    case "errorCode": {
      const code = rule.errorCode ?? 1
      return Effect.succeed(
        endpoint.enveloped
          ? envelope({}, { errorCode: code, errorMessage: rule.errorMessage ?? null })
          : HttpServerResponse.empty({ status: 500 })
      )
    }
    default: {
      const headers: Record<string, string> = {}
      if (rule.retryAfterSeconds !== undefined) headers["retry-after"] = String(rule.retryAfterSeconds)
      return Effect.succeed(HttpServerResponse.empty({ status: rule.status ?? 503, headers }))
    }
  }
}

/** Truncates a reply's JSON in the middle: what a broken proxy or a cut stream delivers. */
const malformed = (response: Response): Response => {
  const body = response.body
  const text =
    body._tag === "Uint8Array"
      ? new TextDecoder().decode(body.body)
      : body._tag === "Raw" && typeof body.body === "string"
        ? body.body
        : '{"success":true,"errorCode":0}'
  return HttpServerResponse.text(text.slice(0, Math.max(1, Math.floor(text.length / 2))), {
    status: response.status,
    contentType: jsonType
  })
}

const statusKey = (status: number): string => String(status)

/** Registers every endpoint of the contract's table on the router. */
export const registerApi = (router: HttpRouter.HttpRouter, state: SimState) =>
  Effect.gen(function* () {
    const table = handlers(state)
    for (const [key, endpoint] of Object.entries(Endpoints) as Array<[EndpointKey, AnyEndpoint]>) {
      const handle = table[key] as Handler<EndpointKey>
      const decode = Schema.decodeUnknownResult(endpoint.request as Schema.Codec<unknown, unknown>)
      const handler = Effect.fnUntraced(function* (request: HttpServerRequest.HttpServerRequest) {
        const stats = state.stats.request(key)
        const respond = (response: Response): Response => {
          const k = statusKey(response.status)
          stats.statuses[k] = (stats.statuses[k] ?? 0) + 1
          // `Date` from the market clock that stamps orders, as the real Gateway's matches its timestamps
          // (Node would otherwise send the wall time, which disagrees once a test moves the clock).
          return HttpServerResponse.setHeader(response, "date", new Date(state.clock.now()).toUTCString())
        }
        if (request.method !== endpoint.method) {
          return respond(HttpServerResponse.empty({ status: 405, headers: { allow: endpoint.method } }))
        }
        const fault = state.faults.decide(key, endpoint.name, endpoint.path)
        if (fault.latencyMs > 0) {
          stats.faults.latency = (stats.faults.latency ?? 0) + 1
          yield* Effect.sleep(fault.latencyMs)
        }
        const rule = fault.rule
        if (rule !== undefined) stats.faults[rule.kind] = (stats.faults[rule.kind] ?? 0) + 1
        if (rule !== undefined && (rule.kind === "status" || rule.kind === "drop" || rule.kind === "errorCode")) {
          if (rule.kind === "drop") stats.statuses.dropped = (stats.statuses.dropped ?? 0) + 1
          return rule.kind === "drop"
            ? yield* faultResponse(rule, request, endpoint)
            : respond(yield* faultResponse(rule, request, endpoint))
        }

        // Authentication, then the rate limit (per token; per client address without one).
        let session = noSession
        let token = ""
        if (endpoint.authenticated) {
          const t = bearer(request)
          const v = state.sessions.verify(t)
          if (v._tag === "Invalid") {
            let exp: number | undefined
            if (v.reason === "expired" && t !== undefined) {
              try {
                exp = JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString()).exp
              } catch {
                exp = undefined
              }
            }
            return respond(unauthorized(v.reason, exp))
          }
          session = v.session
          token = t!
        }
        const limiterKey = endpoint.authenticated
          ? `token:${session.jti}`
          : `ip:${Option.getOrElse(request.remoteAddress, () => "unknown")}`
        const admission = state.limiter.admit(limiterKey, endpoint.bucket, state.wallNow())
        if (!admission.ok) {
          stats.rateLimited++
          return respond(
            HttpServerResponse.empty({
              status: 429,
              headers: {
                "retry-after": String(Math.max(1, Math.ceil(admission.retryAfterMs / 1000))),
                "x-ratelimit-retry-after-ms": String(Math.ceil(admission.retryAfterMs))
              }
            })
          )
        }

        // The body: JSON that decodes with the endpoint's request Schema, else 400.
        let body: unknown = {}
        if (endpoint.hasBody) {
          const text = yield* Effect.orElseSucceed(request.text, () => "")
          if (text.trim().length === 0) {
            return respond(
              problem({ "": ["A non-empty request body is required."], request: ["The request field is required."] })
            )
          }
          let parsed: unknown
          try {
            parsed = JSON.parse(text)
          } catch {
            return respond(
              problem({
                $: ["The JSON value is not valid. Path: $ | LineNumber: 0 | BytePositionInLine: 0."],
                request: ["The request field is required."]
              })
            )
          }
          const decoded = decode(parsed, { errors: "all" })
          if (Result.isFailure(decoded)) return respond(problemFromIssue(endpoint, decoded.failure.issue))
          body = decoded.success
        }

        const response = handle({ body: body as never, session, token, request })
        if (rule?.kind === "dropAfterExecute") {
          stats.statuses.dropped = (stats.statuses.dropped ?? 0) + 1
          return yield* dropConnection(request)
        }
        return respond(rule?.kind === "malformed" ? malformed(response) : response)
      })
      yield* router.add("*", endpoint.path as `/${string}`, handler)
    }
    yield* router.add(
      "*",
      "/*",
      Effect.sync(() => {
        state.stats.notFound++
        return HttpServerResponse.empty({ status: 404 })
      })
    )
  })
