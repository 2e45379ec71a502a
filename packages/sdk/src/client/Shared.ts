/**
 * Sharing one account between processes: the Redis connection behind the shared rate budget, session
 * and bar cache, and the status that says whether they are shared right now. The connection never
 * fails the layer and never queues a command while Redis is away (each command fails at once), so
 * every user of it can fall back to local behaviour and come back when Redis does.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Redis from "effect/persistence/Redis"
import { ConfigurationError } from "./Errors.ts"

/** `ProjectX.layer({ shared })`: what turns sharing on. Without it nothing is shared. */
export interface SharedOptions {
  /** `redis://host:port/db` (a `Redacted` when it carries a password). */
  readonly redisUrl: string | Redacted.Redacted<string>
  /** Prefix of every key the SDK writes. Default `projectx:`. */
  readonly prefix?: string | undefined
  /**
   * Share of each rate limit a process keeps to while Redis is unreachable (the processes no longer
   * see each other). Default 0.25: four processes stay within the budget.
   */
  readonly fallbackShare?: number | undefined
  /** Share the session (one login for all processes). Default true. */
  readonly session?: boolean | undefined
  /** The shared bar-cache tier, or `false` to keep bars per process. */
  readonly cache?:
    | {
        /** How long a range stays in Redis. Default 1 hour (ranges ending near now: the cache's recent TTL). */
        readonly timeToLive?: Duration.Input | undefined
        /** Bound on the bytes of blobs in Redis. Default 256 MiB. */
        readonly maxBytes?: number | undefined
      }
    | false
    | undefined
  /** Longest one Redis command may take before it counts as a failure. Default 1 second. */
  readonly commandTimeout?: Duration.Input | undefined
}

const bad = (variable: string, expected: string, got: string) =>
  Effect.fail(new ConfigurationError({ variable: `options.shared.${variable}`, expected, got }))

/** Checks `shared` when the layer is built; the URL is never echoed (it may carry a password). */
export const validate = (options: SharedOptions): Effect.Effect<SharedOptions, ConfigurationError> => {
  const url = Redacted.isRedacted(options.redisUrl) ? Redacted.value(options.redisUrl) : options.redisUrl
  let protocol = ""
  try {
    protocol = new URL(url).protocol
  } catch {}
  if (protocol !== "redis:" && protocol !== "rediss:") {
    return bad("redisUrl", "a redis:// or rediss:// URL", protocol === "" ? "not a URL" : protocol)
  }
  const share = options.fallbackShare
  if (share !== undefined && !(share > 0 && share <= 1)) return bad("fallbackShare", "a share in (0, 1]", String(share))
  const maxBytes = options.cache === false ? undefined : options.cache?.maxBytes
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes > 0)) {
    return bad("cache.maxBytes", "a whole number of bytes > 0", String(maxBytes))
  }
  for (const [name, input] of [
    ["commandTimeout", options.commandTimeout],
    ["cache.timeToLive", options.cache === false ? undefined : options.cache?.timeToLive]
  ] as const) {
    if (input === undefined) continue
    const millis = Option.match(Duration.fromInput(input), { onNone: () => Number.NaN, onSome: Duration.toMillis })
    if (!(millis > 0 && Number.isFinite(millis))) return bad(name, "a positive, finite duration", String(input))
  }
  return Effect.succeed(options)
}

export type Component = "rateLimiter" | "session" | "barCache"

export interface SharedState {
  /** `off`: no `shared` option; `shared`: every component reaches Redis; `degraded`: one does not. */
  readonly mode: "off" | "shared" | "degraded"
  readonly degraded: ReadonlyArray<Component>
}

/** Whether the shared components reach Redis; `Health` reports it. */
export class SharedStatus extends Context.Service<
  SharedStatus,
  {
    readonly enabled: boolean
    /** A component lost (true) or regained (false) Redis. */
    readonly report: (component: Component, degraded: boolean) => void
    readonly state: Effect.Effect<SharedState>
  }
>()("@projectx-effect/sdk/Shared/SharedStatus") {
  static readonly make = (enabled: boolean) => {
    const degraded = new Set<Component>()
    return SharedStatus.of({
      enabled,
      report: (component, isDegraded) => {
        if (isDegraded) degraded.add(component)
        else degraded.delete(component)
      },
      state: Effect.sync(() => ({
        mode: !enabled ? "off" : degraded.size > 0 ? "degraded" : "shared",
        degraded: [...degraded]
      }))
    })
  }

  /** Nothing is shared (the default). */
  static readonly layerOff: Layer.Layer<SharedStatus> = Layer.sync(SharedStatus, () => SharedStatus.make(false))
  static readonly layerOn: Layer.Layer<SharedStatus> = Layer.sync(SharedStatus, () => SharedStatus.make(true))
}

/**
 * @internal Binary-safe commands on the same connection: arguments may be bytes and bulk-string replies
 * come back as bytes. `Redis.send` speaks strings only, so a 450 kB blob would travel as base64 (a third
 * larger) and be decoded on every read; as bytes the shared tier's read is ≈ 2.5× faster.
 */
export class RedisBytes extends Context.Service<
  RedisBytes,
  {
    readonly send: (args: ReadonlyArray<string | Uint8Array>) => Effect.Effect<unknown, Redis.RedisError>
  }
>()("@projectx-effect/sdk/Shared/RedisBytes") {}

const redisError = (cause: unknown) => new Redis.RedisError({ cause })

/**
 * `Redis` over one node-redis client (`redis@6`, the client behind `@effect/platform-node/NodeRedis`).
 * Unlike `NodeRedis.layer` it does not wait for, or fail on, the first connection: it reconnects for
 * as long as the layer lives, and with the offline queue off a command sent while Redis is away fails
 * at once instead of waiting, so callers fall back without stalling a request.
 */
export const layerRedis = (options: {
  readonly url: string | Redacted.Redacted<string>
  readonly commandTimeout?: Duration.Input | undefined
}): Layer.Layer<Redis.Redis | RedisBytes> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const url = Redacted.isRedacted(options.url) ? Redacted.value(options.url) : options.url
      const timeout = Duration.fromInputUnsafe(options.commandTimeout ?? "1 second")
      // Loaded only when sharing is on: users without it never load node-redis.
      const { createClient, RESP_TYPES } = yield* Effect.promise(() => import("redis"))
      const client = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const c = createClient({
            url,
            disableOfflineQueue: true,
            socket: {
              connectTimeout: Duration.toMillis(timeout),
              reconnectStrategy: (retries: number) => Math.min(25 * 2 ** retries, 500)
            }
          })
          // Without a listener node-redis rethrows socket errors and would end the process; the users
          // of this connection log the outage once each.
          c.on("error", () => {})
          return c
        }),
        (c) => Effect.promise(() => (c.isOpen ? c.close().catch(() => undefined) : Promise.resolve(undefined)))
      )
      // Wait for the first connection a little (so a process that starts with Redis up starts shared),
      // but never fail: with Redis down the SDK starts on its fallbacks and reconnects in the background.
      const connected = client.connect().then(
        () => true,
        () => false
      )
      yield* Effect.timeoutOption(
        Effect.promise(() => connected),
        Duration.sum(timeout, timeout)
      )
      const command = <A>(run: () => Promise<unknown>): Effect.Effect<A, Redis.RedisError> =>
        Effect.suspend(() =>
          client.isReady
            ? Effect.tryPromise({ try: run as () => Promise<A>, catch: redisError })
            : Effect.fail(redisError(new Error("Redis is not connected")))
        ).pipe(
          Effect.timeoutOrElse({
            duration: timeout,
            orElse: () => Effect.fail(redisError(new Error("Redis timed out")))
          })
        )
      const send = <A = unknown>(name: string, ...args: ReadonlyArray<string>): Effect.Effect<A, Redis.RedisError> =>
        command(() => client.sendCommand([name, ...args]))
      const redis = yield* Redis.make({
        send,
        // Nothing in the SDK subscribes or reserves a connection.
        subscribe: () => Effect.fail(redisError(new Error("subscribe is not used by the SDK"))),
        connect: Effect.fail(redisError(new Error("reserved connections are not used by the SDK")))
      })
      const asBuffer = (arg: string | Uint8Array) =>
        typeof arg === "string" ? arg : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength)
      const bytes = RedisBytes.of({
        send: (args) =>
          command(() => client.sendCommand(args.map(asBuffer), { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } }))
      })
      return Context.make(Redis.Redis, redis).pipe(Context.add(RedisBytes, bytes))
    })
  )
