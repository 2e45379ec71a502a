/**
 * One HTTP exchange straight on the keep-alive undici pool: `dispatch` with a handler that collects the
 * body under the size cap, one deadline timer for headers and body, an abort on interruption. It is what
 * Effect's HttpClient does for us minus the per-request Request/Response/Readable/AbortController objects
 * and the racing fibers of a timeout, which cost more CPU than the rest of a Gateway call together.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { freeNow } from "../../internal/freeNow.ts"

/** The part of an undici `Dispatcher` used here (structural, so the SDK needs no direct undici dependency). */
export interface Dispatcher {
  readonly dispatch: (options: DispatchOptions, handler: DispatchHandler) => boolean
}

export interface DispatchOptions {
  readonly origin: string
  readonly path: string
  readonly method: string
  readonly headers: Record<string, string>
  readonly body: string | null
}

export interface DispatchController {
  readonly abort: (reason: Error) => void
}

export interface DispatchHandler {
  readonly onRequestStart: (controller: DispatchController, context: unknown) => void
  readonly onResponseStart: (
    controller: DispatchController,
    statusCode: number,
    headers: Record<string, string | Array<string> | undefined>
  ) => void
  readonly onResponseData: (controller: DispatchController, chunk: Uint8Array) => void
  readonly onResponseEnd: (controller: DispatchController, trailers: unknown) => void
  readonly onResponseError: (controller: DispatchController, error: Error) => void
}

/**
 * The pool `ProjectX.layerHttp` built. With it in context the transport speaks undici directly; without
 * (a caller's own `HttpClient`, the unit tests' fakes) it goes through `HttpClient`.
 */
export class UndiciPool extends Context.Service<UndiciPool, Dispatcher>()("@projectx-effect/sdk/UndiciPool") {}

/** How an exchange ended; never a failure, so the transport maps each case to its own reason. */
export type Outcome =
  | {
      readonly _tag: "Reply"
      readonly status: number
      readonly headers: Record<string, string | undefined>
      readonly body: Body
    }
  /** The body (declared or streamed) passed `maxBytes`; the connection was dropped. */
  | { readonly _tag: "TooLarge"; readonly status: number }
  | { readonly _tag: "Timeout" }
  | { readonly _tag: "Error"; readonly error: Error }

export interface Exchange {
  readonly origin: string
  readonly path: string
  readonly method: string
  readonly headers: Record<string, string>
  readonly body: string | undefined
  readonly timeoutMs: number
  readonly maxBytes: number
}

const utf8 = new TextDecoder()

const flatten = (headers: Record<string, string | Array<string> | undefined>): Record<string, string | undefined> => {
  const out: Record<string, string | undefined> = {}
  for (const name in headers) {
    const value = headers[name]
    out[name] = Array.isArray(value) ? value.join(", ") : value
  }
  return out
}

/**
 * A reply's body as bytes. `owned` says the buffer is the transport's own (several chunks joined into
 * it), so the transport detaches it once read: a 1.8 MB reply's bytes do not wait for a GC that a process
 * with a quiet heap may not run before its next misses. A single chunk is undici's, and is left alone.
 */
export interface Body {
  readonly bytes: Uint8Array
  readonly owned: boolean
}

/**
 * The body's chunks as one array: the chunk itself when there is one, else a buffer of their size.
 * @internal Shared with the HttpClient path of the transport.
 */
export const joinChunks = (chunks: ReadonlyArray<Uint8Array>, size: number): Body => {
  if (chunks.length === 1) return { bytes: chunks[0]!, owned: false }
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.length
  }
  return { bytes, owned: true }
}

/**
 * Frees an owned body's buffer now; after this its bytes read as empty. Nothing may view them any more: text is a copy, decoded columns are fresh arrays.
 */
export const releaseBody = (body: Body): void => {
  if (body.owned) freeNow(body.bytes)
}

/** The body as text, its owned buffer released. */
export const bodyText = (body: Body): string => {
  const text = utf8.decode(body.bytes)
  releaseBody(body)
  return text
}

class Stopped extends Error {}

/**
 * Sends one request and reads its reply's bytes, at most `maxBytes` (a larger declared length is refused
 * before reading; an undeclared one is counted while it streams). The deadline covers headers and body.
 * Interruption aborts the request, which destroys its connection rather than returning it half read.
 */
export const exchange = (dispatcher: Dispatcher, request: Exchange): Effect.Effect<Outcome> =>
  Effect.callback<Outcome>((resume) => {
    let controller: DispatchController | undefined
    let stopped = false
    let status = 0
    let headers: Record<string, string | undefined> = {}
    const chunks: Array<Uint8Array> = []
    let size = 0
    const stop = (outcome: Outcome | undefined) => {
      if (stopped) return
      stopped = true
      clearTimeout(timer)
      if (outcome !== undefined) resume(Effect.succeed(outcome))
    }
    const abort = (outcome: Outcome | undefined) => {
      const wasStopped = stopped
      stop(outcome)
      if (!wasStopped) controller?.abort(new Stopped("stopped by the SDK"))
    }
    // A socket's deadline is real time: no TestClock can move a byte over loopback.
    const timer = setTimeout(() => abort({ _tag: "Timeout" }), request.timeoutMs)
    try {
      dispatcher.dispatch(
        {
          origin: request.origin,
          path: request.path,
          method: request.method,
          headers: request.headers,
          body: request.body ?? null
        },
        {
          onRequestStart: (c) => {
            controller = c
            // Stopped (interrupted or timed out) before undici started it: it never goes out.
            if (stopped) c.abort(new Stopped("stopped by the SDK"))
          },
          onResponseStart: (c, statusCode, raw) => {
            if (stopped) return
            status = statusCode
            headers = flatten(raw)
            const declared = Number(headers["content-length"] ?? Number.NaN)
            if (Number.isFinite(declared) && declared > request.maxBytes) {
              stop({ _tag: "TooLarge", status })
              c.abort(new Stopped("response too large"))
            }
          },
          onResponseData: (c, chunk) => {
            if (stopped) return
            size += chunk.length
            if (size > request.maxBytes) {
              stop({ _tag: "TooLarge", status })
              c.abort(new Stopped("response too large"))
              return
            }
            chunks.push(chunk)
          },
          onResponseEnd: () => {
            const body = joinChunks(chunks, size)
            // The joined copy is the body now: undici's chunks need not live as long as this closure.
            chunks.length = 0
            stop({ _tag: "Reply", status, headers, body })
          },
          onResponseError: (_, error) => stop({ _tag: "Error", error })
        }
      )
    } catch (error) {
      stop({ _tag: "Error", error: error instanceof Error ? error : new Error(String(error)) })
    }
    return Effect.sync(() => abort(undefined))
  })
