import { project } from "../../vitest.shared.ts"

// Every test here runs the bin as subprocesses (a Node with the SDK each), four at a time on a machine
// that may be busy: generous timeouts, no timing assertions.
export default project("@projectx-effect/cli", { testTimeout: 300_000, hookTimeout: 60_000 })
