/**
 * The only public way to call the Gateway: `call(endpoint, request)` adds the session token to the
 * transport's pipeline and recovers from one 401 (invalidate the token, log in or refresh once, retry
 * once). `stats` and `ping` serve `Health` and the benches, so nobody needs the raw transport.
 */
import { type AnyEndpoint, Endpoints, type RequestOf, type ResponseOf } from "@projectx-effect/gateway"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Auth } from "./Auth.ts"
import { GatewayError, Unauthorized, type ValidationError } from "./Errors.ts"
import { type CallOptions, GatewayTransport, type TransportStats } from "./internal/GatewayTransport.ts"

export type { BodyDecoder, CallOptions, Decoder, TransportStats } from "./internal/GatewayTransport.ts"
export { decodeReason, parseRetryAfter } from "./internal/interpret.ts"

const isUnauthorized = (e: GatewayError | ValidationError): e is GatewayError =>
  e._tag === "GatewayError" && e.reason._tag === "Unauthorized"

export class GatewayClient extends Context.Service<
  GatewayClient,
  {
    /** Calls `endpoint` with the session token; a 401 refreshes the session and retries once. */
    readonly call: <E extends AnyEndpoint, A = ResponseOf<E>>(
      endpoint: E,
      request: RequestOf<E>,
      options?: CallOptions<A>
    ) => Effect.Effect<A, GatewayError | ValidationError>
    /** Counters since the layer was built: requests, attempts, retries, 429s, failures by reason. */
    readonly stats: Effect.Effect<TransportStats>
    /**
     * The Gateway's current time in epoch ms, estimated from the `Date` header of its last reply (this
     * machine's clock until a reply carried one): search windows around Gateway timestamps use it.
     */
    readonly serverTime: Effect.Effect<number>
    /** `GET Status/ping` (no session needed): the Gateway's liveness, through the same pipeline. */
    readonly ping: Effect.Effect<string, GatewayError | ValidationError>
  }
>()("@projectx-effect/sdk/GatewayClient") {
  static readonly make = Effect.gen(function* () {
    const transport = yield* GatewayTransport
    const auth = yield* Auth
    const call = <E extends AnyEndpoint, A = ResponseOf<E>>(
      endpoint: E,
      request: RequestOf<E>,
      options: CallOptions<A> = {}
    ): Effect.Effect<A, GatewayError | ValidationError> => {
      if (!endpoint.authenticated) return transport.send(endpoint, request, options)
      return Effect.flatMap(auth.token, (token) =>
        transport.send(endpoint, request, { ...options, token }).pipe(
          Effect.catchIf(isUnauthorized, () =>
            Effect.gen(function* () {
              yield* Effect.logDebug(`${endpoint.name}: 401, refreshing the session and retrying once`)
              yield* auth.invalidate(token)
              const fresh = yield* auth.token
              return yield* transport.send(endpoint, request, { ...options, token: fresh }).pipe(
                Effect.mapError((e) =>
                  isUnauthorized(e)
                    ? new GatewayError({
                        operation: endpoint.name,
                        reason: Unauthorized.make({
                          message:
                            "the Gateway refused a freshly issued token twice; the session may have been ended elsewhere (one session per device) — log in again"
                        })
                      })
                    : e
                )
              )
            })
          )
        )
      )
    }
    return GatewayClient.of({
      call,
      stats: transport.stats,
      serverTime: transport.serverTime,
      ping: transport.send(Endpoints.ping, {})
    })
  })

  /** Needs the transport; `ProjectX.layerServices` wires it. */
  static readonly layer = Layer.effect(GatewayClient, GatewayClient.make)
}
