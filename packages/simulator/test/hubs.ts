// Helpers for the hub tests: the official @microsoft/signalr client against the simulator, and a
// polling wait (no fixed sleeps: the machine may be slow).
import {
  type HubConnection,
  HubConnectionBuilder,
  HttpClient,
  HttpError,
  type HttpRequest,
  HttpResponse,
  HttpTransportType,
  LogLevel
} from "@microsoft/signalr"

/**
 * The client's default HTTP client and socket are loaded with a dynamic `require`; under Vitest's
 * "import" condition fetch-cookie resolves to its ESM build, a namespace where the client expects a
 * function. Handing it fetch directly avoids that; the protocol code under test is the client's own.
 */
export class FetchHttpClient extends HttpClient {
  override async send(request: HttpRequest): Promise<HttpResponse> {
    const res = await fetch(request.url ?? "", {
      method: request.method ?? "GET",
      headers: request.headers ?? {},
      ...(request.content === undefined || request.content === "" ? {} : { body: request.content as string })
    })
    const text = await res.text()
    if (!res.ok) throw new HttpError(res.statusText, res.status)
    return new HttpResponse(res.status, res.statusText, text)
  }
}

export const connect = async (
  url: string,
  hub: "user" | "market",
  token: () => string | undefined,
  options: {
    readonly skipNegotiation?: boolean
    readonly reconnect?: boolean
    readonly build?: (c: HubConnection) => void
  } = {}
): Promise<HubConnection> => {
  let builder = new HubConnectionBuilder()
    .withUrl(`${url}/hubs/${hub}`, {
      accessTokenFactory: () => token() ?? "",
      skipNegotiation: options.skipNegotiation ?? true,
      transport: HttpTransportType.WebSockets,
      httpClient: new FetchHttpClient()
    })
    .configureLogging(LogLevel.None)
  if (options.reconnect === true) builder = builder.withAutomaticReconnect([0, 100, 200, 500, 1000, 1000, 1000])
  const connection = builder.build()
  options.build?.(connection)
  await connection.start()
  return connection
}

/** Polls `check` until it returns a value (not undefined), or fails after `timeoutMs`. */
export const eventually = async <A>(
  what: string,
  check: () => A | undefined | Promise<A | undefined>,
  timeoutMs = 20_000
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
