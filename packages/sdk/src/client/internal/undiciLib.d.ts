// undici's lib/ modules ship no declarations; undiciAgent.ts checks their shape before it casts them.
declare module "undici/lib/dispatcher/agent.js" {
  const Agent: unknown
  export default Agent
}
declare module "undici/lib/dispatcher/dispatcher.js" {
  const Dispatcher: unknown
  export default Dispatcher
}
declare module "undici/lib/api/index.js" {
  const api: Readonly<Record<string, unknown>>
  export default api
}
