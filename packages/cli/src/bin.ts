#!/usr/bin/env node
// Placeholder until the CLI lands: `npm run demo` must exist from the first commit.
console.log("projectx: the demo is not built yet")
