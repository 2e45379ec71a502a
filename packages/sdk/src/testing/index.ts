/**
 * `@projectx-effect/sdk/testing`: what tests and tools use to look at the SDK from outside — an in-memory
 * span recorder and a local OTLP/HTTP receiver. Not needed by applications.
 */
export * as OtlpReceiver from "./OtlpReceiver.ts"
export * as SpanRecorder from "./SpanRecorder.ts"
