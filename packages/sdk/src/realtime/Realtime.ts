/**
 * The realtime vocabulary in one namespace: what the hub Streams deliver (events and in-band signals), their
 * errors and the options. The services are `MarketHub` and `UserHub`; `ProjectX.layer` provides both.
 */
export * from "./Events.ts"
export * from "./Options.ts"
