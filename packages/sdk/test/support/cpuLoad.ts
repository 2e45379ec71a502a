/** Busy-looping worker threads, so a test can show that its guarantee holds on a loaded machine. */
import { availableParallelism } from "node:os"
import { Worker } from "node:worker_threads"
import { Effect } from "effect"

/** One spinning thread per core (or `threads`) for the lifetime of the scope. */
export const cpuLoad = (threads: number = availableParallelism()) =>
  Effect.acquireRelease(
    Effect.sync(() =>
      Array.from({ length: threads }, () => {
        const worker = new Worker("for (;;) {}", { eval: true })
        worker.unref()
        return worker
      })
    ),
    (workers) => Effect.promise(() => Promise.all(workers.map((w) => w.terminate())))
  )
