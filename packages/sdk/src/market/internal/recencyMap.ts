// A Map kept in recency order (least recently used first), for the bar cache's two LRU tiers. A Map
// iterates in insertion order, so re-inserting a key on use moves it to the back. A cache hit on the
// entry that is already the newest (a bot asking for the same bars again) skips that delete + set, which
// took about a tenth of a warm hot-tier hit's CPU (twice: hot tier and blob store). Effect's own caches (`Cache`, `ScopedCache`) are
// Effects with capacities counted in entries; these tiers are bounded by bytes and read synchronously
// inside one step, so they keep this plain structure.
export class RecencyMap<V> {
  private readonly map = new Map<string, V>()
  /**
   * The key last set or moved to the back. After that key is deleted it names no entry, which is harmless:
   * `use` of an absent key returns before comparing, and only `set` puts a key back (and updates this).
   */
  private newest: string | undefined

  get size(): number {
    return this.map.size
  }

  /** The value without changing its recency. */
  peek(id: string): V | undefined {
    return this.map.get(id)
  }

  /** The value, marked most recently used. */
  use(id: string): V | undefined {
    const value = this.map.get(id)
    if (value !== undefined && id !== this.newest) {
      this.map.delete(id)
      this.map.set(id, value)
      this.newest = id
    }
    return value
  }

  /** Stores (or replaces) the value as the most recently used. */
  set(id: string, value: V): void {
    this.map.delete(id)
    this.map.set(id, value)
    this.newest = id
  }

  /** Removes the entry; its value, if there was one. */
  delete(id: string): V | undefined {
    const value = this.map.get(id)
    if (value === undefined) return undefined
    this.map.delete(id)
    return value
  }

  /** The least recently used key. */
  oldest(): string | undefined {
    const first = this.map.keys().next()
    return first.done === true ? undefined : first.value
  }

  /** Least recently used first. */
  entries(): IterableIterator<[string, V]> {
    return this.map.entries()
  }

  keys(): IterableIterator<string> {
    return this.map.keys()
  }

  clear(): void {
    this.map.clear()
  }
}
