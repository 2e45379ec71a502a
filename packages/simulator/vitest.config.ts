import { project } from "../../vitest.shared.ts"

export default project("@projectx-effect/simulator")
