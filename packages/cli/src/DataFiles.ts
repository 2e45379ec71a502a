/**
 * The files `projectx bars --out` writes, chosen by extension: Arrow IPC (Polars, pandas), Parquet
 * (DuckDB, pandas, Polars, Spark read it with no extension) and CSV. Parquet comes from parquet-wasm,
 * which writes straight from Arrow IPC, so all three carry the same rows from the same Arrow table.
 */
import { Bars } from "@projectx-effect/sdk"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Path from "effect/Path"
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from "parquet-wasm"
import { UsageError } from "./Failure.ts"

export type OutFormat = "arrow" | "parquet" | "csv"

export const formatNames: Record<OutFormat, string> = {
  arrow: "Arrow IPC file",
  parquet: "Parquet",
  csv: "CSV"
}

/** The format for a file name's extension, or undefined. */
export const formatOf = (path: string): OutFormat | undefined => {
  const lower = path.toLowerCase()
  if (/\.(arrow|feather|ipc)$/.test(lower)) return "arrow"
  if (/\.(parquet|pq)$/.test(lower)) return "parquet"
  if (lower.endsWith(".csv")) return "csv"
  return undefined
}

/**
 * The destination, checked before any download: a known extension, an existing directory we may write
 * to, and not a directory itself. A bad `--out` costs nothing but a message (exit 2).
 */
export const checkDestination = (path: string) =>
  Effect.gen(function* () {
    const format = formatOf(path)
    if (format === undefined) {
      return yield* new UsageError({
        message: `--out ${path}: unknown file type`,
        hint: "end the name in .parquet (DuckDB, pandas, Polars, Spark), .arrow (Arrow IPC file) or .csv"
      })
    }
    const fs = yield* FileSystem.FileSystem
    const dir = (yield* Path.Path).dirname(path)
    const dirInfo = yield* Effect.option(fs.stat(dir))
    if (dirInfo._tag === "None" || dirInfo.value.type !== "Directory") {
      return yield* new UsageError({
        message: `--out ${path}: the directory ${dir} does not exist`,
        hint: `create it first (mkdir -p ${dir}) or write somewhere else`
      })
    }
    const writable = yield* fs.access(dir, { writable: true }).pipe(
      Effect.as(true),
      Effect.orElseSucceed(() => false)
    )
    if (!writable) {
      return yield* new UsageError({
        message: `--out ${path}: the directory ${dir} is not writable`,
        hint: "write somewhere you have write permission, e.g. your home directory"
      })
    }
    const existing = yield* Effect.option(fs.stat(path))
    if (existing._tag === "Some" && existing.value.type === "Directory") {
      return yield* new UsageError({ message: `--out ${path} is a directory`, hint: "give a file name" })
    }
    return format
  })

/**
 * Parquet bytes of a bar table: zstd-compressed, the timestamp an INT64 TIMESTAMP(MILLIS,
 * isAdjustedToUTC=true) with the Arrow schema (and so the display zone) kept in the file's metadata.
 */
export const toParquet = (table: Bars.BarTable): Uint8Array =>
  // writeParquet takes ownership of the wasm table and frees it.
  writeParquet(
    WasmTable.fromIPCStream(Bars.toIPC(table, { format: "stream" })),
    new WriterPropertiesBuilder().setCompression(Compression.ZSTD).build()
  )

/** The file's bytes in `format`. */
export const encode = (table: Bars.BarTable, format: OutFormat): Uint8Array => {
  switch (format) {
    case "arrow":
      return Bars.toIPC(table, { format: "file" })
    case "parquet":
      return toParquet(table)
    case "csv":
      return new TextEncoder().encode(Bars.toCsv(table))
  }
}
