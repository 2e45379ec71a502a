/**
 * `@projectx-effect/simulator`: a local ProjectX Gateway for tests, demos, benchmarks and offline bot
 * development. See the package README for the seeded users, the market and the admin API.
 */
export * as Seed from "./Seed.ts"
export * as Simulator from "./Simulator.ts"
export * as SimulatorAdmin from "./SimulatorAdmin.ts"
