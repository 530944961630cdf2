/**
 * Minimal change-logging wrapper used by the test driver until the stores module's wrapper is wired in: reports
 * every put/delete (value serialized with the store's serde) to a `ChangeLogger`.
 */
import type { ChangeLogger, KeyValueStore, Serde } from './store.js';

export class ChangeLoggedStore<V> implements KeyValueStore<V> {
  constructor(
    private readonly inner: KeyValueStore<V>,
    private readonly serde: Serde<V>,
    private readonly logger: ChangeLogger,
  ) {}

  get name(): string {
    return this.inner.name;
  }
  get(key: string): Promise<V | undefined> {
    return this.inner.get(key);
  }
  async put(key: string, value: V): Promise<void> {
    await this.inner.put(key, value);
    this.logger.log(this.inner.name, key, this.serde.serialize(value));
  }
  async delete(key: string): Promise<void> {
    await this.inner.delete(key);
    this.logger.log(this.inner.name, key, null);
  }
  range(from: string, to: string): AsyncIterable<[string, V]> {
    return this.inner.range(from, to);
  }
  all(): AsyncIterable<[string, V]> {
    return this.inner.all();
  }
  approximateCount(): number {
    return this.inner.approximateCount();
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
