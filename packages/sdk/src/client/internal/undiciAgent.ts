/**
 * The keep-alive undici `Agent` behind `NodeHttpClient.Dispatcher`, loaded from undici's own `lib/` modules
 * instead of its index: the index (what `NodeHttpClient.layerDispatcherOptions` imports) is 110 modules —
 * mocks, caches, fetch, websockets, interceptors — costing +30.5 MB RSS and ~180 ms to import and make one
 * request; the agent and the request API alone cost +19.8 MB and ~106 ms. undici has no "exports" map, so
 * these paths resolve; should a later undici move them, the whole package is imported instead.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Undici from "undici"

type AgentClass = typeof Undici.Agent

/**
 * The Agent class with the request API (`request`, `stream`, `pipeline`, `upgrade`, `connect`) on every
 * dispatcher, which is what undici's index does; `NodeHttpClient`'s HttpClient calls `request`. Idempotent
 * next to a full `import "undici"`: CommonJS modules are cached by path, so both see one Dispatcher class.
 */
const loadLight = async (): Promise<AgentClass> => {
  const [agent, api, dispatcher] = await Promise.all([
    import("undici/lib/dispatcher/agent.js"),
    import("undici/lib/api/index.js"),
    import("undici/lib/dispatcher/dispatcher.js")
  ])
  const Agent = agent.default
  const Dispatcher = dispatcher.default
  if (
    typeof Agent !== "function" ||
    typeof Dispatcher !== "function" ||
    !(Agent.prototype instanceof Dispatcher) ||
    typeof api.default.request !== "function"
  ) {
    throw new Error("undici's lib/ layout is not the one this loader knows")
  }
  Object.assign(Dispatcher.prototype, api.default)
  return Agent as AgentClass
}

let loaded: Promise<AgentClass> | undefined

/** The Agent class, loaded once; the light modules when they are where this undici keeps them, else the index. */
const agentClass = (): Promise<AgentClass> =>
  (loaded ??= loadLight().catch(() => import("undici").then((undici) => undici.Agent)))

/** A scoped Agent with `options`, destroyed (its sockets closed) when the scope closes. */
export const makeAgent = (options: Undici.Agent.Options): Effect.Effect<Undici.Dispatcher, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.map(Effect.promise(agentClass), (Agent) => new Agent(options)),
    (agent) => Effect.promise(() => agent.destroy())
  )

/** `NodeHttpClient.Dispatcher` from `makeAgent`: what `NodeHttpClient.layerDispatcherOptions` provides. */
export const layerDispatcher = (options: Undici.Agent.Options): Layer.Layer<NodeHttpClient.Dispatcher> =>
  Layer.effect(NodeHttpClient.Dispatcher, makeAgent(options))
