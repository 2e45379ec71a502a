/**
 * The ProjectX Gateway wire contract: Schemas for every endpoint's request and response, the enums, the
 * per-endpoint error codes, the firm registry and the endpoint table. Shared by the SDK and the
 * simulator; no I/O.
 */
export * from "./BarsScan.ts"
export * from "./BarsWire.ts"
export * from "./Endpoints.ts"
export * from "./Enums.ts"
export * from "./ErrorCodes.ts"
export * from "./Firms.ts"
export * from "./Models.ts"
export * from "./Timestamp.ts"
export * from "./Realtime.ts"
