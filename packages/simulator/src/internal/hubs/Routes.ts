// The hubs' HTTP side: `POST /hubs/{user,market}/negotiate`. The WebSocket upgrade itself is taken
// from the Node server before the Effect router sees it (Simulator.ts), so only negotiation lives here.
import { Effect } from "effect"
import { type HttpRouter, HttpServerResponse } from "effect/http"
import type { SimState } from "../State.ts"
import type { HubName } from "./Connection.ts"

export const registerHubs = (router: HttpRouter.HttpRouter, state: SimState) =>
  Effect.gen(function* () {
    for (const hub of ["user", "market"] as const satisfies ReadonlyArray<HubName>) {
      yield* router.add("POST", `/hubs/${hub}/negotiate`, (request) =>
        Effect.sync(() => {
          const url = new URL(request.url, "http://sim.local")
          const { status, body } = state.hubs.negotiate(hub, url, request.headers.authorization)
          return body === undefined
            ? HttpServerResponse.empty({ status })
            : HttpServerResponse.text(JSON.stringify(body), { status, contentType: "application/json; charset=utf-8" })
        })
      )
    }
  })
