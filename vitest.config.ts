import { defineConfig } from "vitest/config"
import projects from "./vitest.workspace.ts"

export default defineConfig({
  test: {
    projects,
    // 2 cores: more workers only thrash.
    maxWorkers: 2
  }
})
