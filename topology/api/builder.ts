/**
 * Builds a `Topology`: a graph of sources, processors and sinks, state stores connected to processors, global
 * stores, and repartition steps that cut the graph into sub-topologies. One task runs per (sub-topology, input
 * partition). Node names are unique; parents must be added before their children.
 */
import { ConfigError } from './errors.js';
import type { ProcessorSupplier } from './processor.js';
import type { Deserializer, Partitioner, Serializer } from './record.js';
import type { StoreSpec } from './store.js';

export interface SourceOptions<K, V> {
  readonly name: string;
  readonly topics: readonly string[];
  readonly keyDeserializer: Deserializer<K>;
  readonly valueDeserializer: Deserializer<V>;
}

export interface ProcessorOptions<KIn, VIn, KOut, VOut> {
  readonly name: string;
  readonly supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>;
  /** May be empty for a processor that uses stores and acts only from punctuators (a timer wheel, say). */
  readonly parents: readonly string[];
  /** Names of the state stores this processor may `getStateStore` (global stores need no listing). */
  readonly stores?: readonly string[];
}

export interface SinkOptions<K, V> {
  readonly name: string;
  readonly topic: string;
  readonly parents: readonly string[];
  readonly keySerializer: Serializer<K>;
  readonly valueSerializer: Serializer<V>;
  readonly partitioner?: Partitioner<K, V>;
}

/**
 * A repartition step: records forwarded to `name` are written to the internal topic
 * `${applicationId}-${name}-repartition`, partitioned by murmur2 of the serialized key, and read back by a new
 * sub-topology; children list `name` as their parent. Set the new key first (in a parent processor or `selectKey`).
 */
export interface RepartitionOptions<K, V> {
  readonly name: string;
  readonly parents: readonly string[];
  readonly keySerializer: Serializer<K>;
  readonly valueSerializer: Serializer<V>;
  readonly keyDeserializer: Deserializer<K>;
  readonly valueDeserializer: Deserializer<V>;
  /** Partition count of the repartition topic; default: that of the co-partitioned topics downstream, else upstream's max. */
  readonly partitions?: number;
}

/**
 * A global store: the whole (compacted) `topic` materialized into `store` on every instance, read-only for the
 * processors of every task. `processor` receives each record of the topic and maintains the store (default: put,
 * or delete on a null value); use it to build derived in-memory views too. It must not forward.
 */
export interface GlobalStoreOptions<V> {
  readonly store: StoreSpec<V>;
  readonly topic: string;
  readonly keyDeserializer: Deserializer<string | null>;
  readonly valueDeserializer: Deserializer<V | null>;
  readonly processor?: ProcessorSupplier<string | null, V | null, never, never>;
}

export type SourceNode = SourceOptions<unknown, unknown> & { readonly kind: 'source'; readonly repartition?: string };
export type ProcessorNode = ProcessorOptions<unknown, unknown, unknown, unknown> & { readonly kind: 'processor' };
export type SinkNode = SinkOptions<unknown, unknown> & { readonly kind: 'sink'; readonly repartition?: string };
export type NodeDef = SourceNode | ProcessorNode | SinkNode;
export type GlobalStoreDef = GlobalStoreOptions<unknown>;

export interface RepartitionDef {
  readonly name: string;
  readonly partitions?: number;
  /** Sub-topology that writes it and the one that reads it. */
  readonly from: number;
  readonly to: number;
}

export interface SubTopology {
  readonly id: number;
  /** Node names in insertion order (parents before children). */
  readonly nodes: readonly string[];
  readonly sources: readonly SourceNode[];
  readonly stores: readonly StoreSpec[];
}

/** Internal topic names, as Kafka Streams names them. */
export const internalTopics = {
  repartition: (applicationId: string, name: string) => `${applicationId}-${name}-repartition`,
  changelog: (applicationId: string, store: string) => `${applicationId}-${store}-changelog`,
};

/** The topic a store's changes are logged to: its own `changelogTopic`, else the internal changelog. */
export function changelogTopicOf(applicationId: string, spec: Pick<StoreSpec, 'name' | 'changelogTopic'>): string {
  return spec.changelogTopic ?? internalTopics.changelog(applicationId, spec.name);
}

/** The immutable result of `TopologyBuilder.build()`. */
export class Topology {
  constructor(
    readonly nodes: ReadonlyMap<string, NodeDef>,
    readonly children: ReadonlyMap<string, readonly string[]>,
    readonly subTopologies: readonly SubTopology[],
    readonly stores: ReadonlyMap<string, StoreSpec>,
    readonly globalStores: readonly GlobalStoreDef[],
    readonly repartitions: readonly RepartitionDef[],
  ) {}

  /** Topic a source reads or a sink writes, with internal names resolved. */
  topicsOf(node: SourceNode, applicationId: string): string[] {
    return node.repartition ? [internalTopics.repartition(applicationId, node.repartition)] : [...node.topics];
  }

  sinkTopic(node: SinkNode, applicationId: string): string {
    return node.repartition ? internalTopics.repartition(applicationId, node.repartition) : node.topic;
  }

  /** Every topic read by a sub-topology (not global stores). */
  sourceTopics(applicationId: string, subTopology?: number): string[] {
    const subs =
      subTopology === undefined ? this.subTopologies : this.subTopologies.filter((s) => s.id === subTopology);
    return subs.flatMap((s) => s.sources.flatMap((n) => this.topicsOf(n, applicationId)));
  }

  /** Human-readable outline, like Kafka Streams' `TopologyDescription`. */
  describe(): string {
    const lines: string[] = [];
    for (const s of this.subTopologies) {
      lines.push(`Sub-topology ${s.id}`);
      for (const n of s.nodes) {
        const d = this.nodes.get(n);
        const kids = this.children.get(n) ?? [];
        const what =
          d?.kind === 'source'
            ? `source (${d.repartition ? `repartition ${d.repartition}` : d.topics.join(', ')})`
            : d?.kind === 'sink'
              ? `sink (${d.repartition ? `repartition ${d.repartition}` : d.topic})`
              : `processor (stores: ${(d?.stores ?? []).join(', ') || 'none'})`;
        lines.push(`  ${n}: ${what}${kids.length ? ` --> ${kids.join(', ')}` : ''}`);
      }
    }
    for (const g of this.globalStores) lines.push(`Global store ${g.store.name} <-- ${g.topic}`);
    return lines.join('\n');
  }
}

export class TopologyBuilder {
  private readonly nodes = new Map<string, NodeDef>();
  private readonly stores = new Map<string, StoreSpec>();
  private readonly globals: GlobalStoreDef[] = [];
  private readonly repartitions = new Map<string, { partitions?: number }>();
  private readonly problems: string[] = [];

  private add(node: NodeDef): this {
    if (this.nodes.has(node.name)) this.problems.push(`duplicate node name "${node.name}"`);
    this.nodes.set(node.name, node);
    return this;
  }

  addSource<K, V>(opts: SourceOptions<K, V>): this {
    if (opts.topics.length === 0) this.problems.push(`source "${opts.name}" has no topic`);
    return this.add({ ...(opts as SourceOptions<unknown, unknown>), kind: 'source' });
  }

  addProcessor<KIn, VIn, KOut = KIn, VOut = VIn>(opts: ProcessorOptions<KIn, VIn, KOut, VOut>): this {
    return this.add({
      ...(opts as unknown as ProcessorOptions<unknown, unknown, unknown, unknown>),
      kind: 'processor',
    });
  }

  addSink<K, V>(opts: SinkOptions<K, V>): this {
    return this.add({ ...(opts as unknown as SinkOptions<unknown, unknown>), kind: 'sink' });
  }

  addRepartition<K, V>(opts: RepartitionOptions<K, V>): this {
    const o = opts as unknown as RepartitionOptions<unknown, unknown>;
    this.repartitions.set(o.name, o.partitions === undefined ? {} : { partitions: o.partitions });
    this.add({
      kind: 'sink',
      name: `${o.name}.sink`,
      topic: o.name,
      parents: o.parents,
      keySerializer: o.keySerializer,
      valueSerializer: o.valueSerializer,
      repartition: o.name,
    });
    return this.add({
      kind: 'source',
      name: o.name,
      topics: [o.name],
      keyDeserializer: o.keyDeserializer,
      valueDeserializer: o.valueDeserializer,
      repartition: o.name,
    });
  }

  /** Declares a state store; connect it through `ProcessorOptions.stores`. */
  addStateStore<V>(spec: StoreSpec<V>): this {
    if (this.stores.has(spec.name)) this.problems.push(`duplicate store name "${spec.name}"`);
    this.stores.set(spec.name, spec);
    return this;
  }

  addGlobalStore<V>(opts: GlobalStoreOptions<V>): this {
    if (this.stores.has(opts.store.name)) this.problems.push(`duplicate store name "${opts.store.name}"`);
    this.stores.set(opts.store.name, opts.store);
    this.globals.push(opts);
    return this;
  }

  /** Validates the graph (every problem reported at once, as a `ConfigError`) and cuts it into sub-topologies. */
  build(): Topology {
    const problems = [...this.problems];
    const children = new Map<string, string[]>([...this.nodes.keys()].map((n) => [n, []]));
    const globalNames = new Set(this.globals.map((g) => g.store.name));
    for (const n of this.nodes.values()) {
      if (n.kind === 'source') continue;
      // A processor without parents only acts from punctuators; its stores place it in a sub-topology.
      const punctuationOnly = n.kind === 'processor' && (n.stores?.length ?? 0) > 0;
      if (n.parents.length === 0 && !punctuationOnly)
        problems.push(`"${n.name}" has no parent${n.kind === 'processor' ? ' and no store' : ''}`);
      for (const p of n.parents) {
        const pd = this.nodes.get(p);
        if (!pd) problems.push(`"${n.name}" has unknown parent "${p}"`);
        else if (pd.kind === 'sink') problems.push(`"${n.name}" has a sink as parent ("${p}")`);
        else children.get(p)?.push(n.name);
      }
      if (n.kind === 'processor')
        for (const s of n.stores ?? []) {
          if (!this.stores.has(s)) problems.push(`processor "${n.name}" uses unknown store "${s}"`);
          else if (globalNames.has(s)) problems.push(`global store "${s}" needs no connection ("${n.name}")`);
        }
    }
    if (problems.length) throw new ConfigError(problems);
    return this.cut(children);
  }

  private cut(children: Map<string, string[]>): Topology {
    const names = [...this.nodes.keys()];
    const root = new Map<string, string>(names.map((n) => [n, n]));
    const find = (n: string): string => {
      let r = n;
      while (root.get(r) !== r) r = root.get(r) ?? r;
      root.set(n, r);
      return r;
    };
    const union = (a: string, b: string) => root.set(find(a), find(b));
    const storeOwner = new Map<string, string>();
    for (const n of this.nodes.values()) {
      if (n.kind !== 'source') for (const p of n.parents) union(n.name, p);
      if (n.kind === 'processor')
        for (const s of n.stores ?? []) {
          const o = storeOwner.get(s);
          if (o) union(n.name, o);
          else storeOwner.set(s, n.name);
        }
    }
    const groups = new Map<string, string[]>();
    for (const n of names) {
      const r = find(n);
      const g = groups.get(r) ?? [];
      g.push(n);
      groups.set(r, g);
    }
    const subs: SubTopology[] = [];
    const subOf = new Map<string, number>();
    for (const nodes of groups.values()) {
      const id = subs.length;
      for (const n of nodes) subOf.set(n, id);
      const defs = nodes.map((n) => this.nodes.get(n)).filter((d): d is NodeDef => d !== undefined);
      const storeNames = new Set(defs.flatMap((d) => (d.kind === 'processor' ? (d.stores ?? []) : [])));
      subs.push({
        id,
        nodes,
        sources: defs.filter((d): d is SourceNode => d.kind === 'source'),
        stores: [...storeNames].map((s) => this.stores.get(s)).filter((s): s is StoreSpec => s !== undefined),
      });
    }
    const reps: RepartitionDef[] = [...this.repartitions].map(([name, r]) => ({
      name,
      ...r,
      from: subOf.get(`${name}.sink`) ?? -1,
      to: subOf.get(name) ?? -1,
    }));
    return new Topology(this.nodes, children, subs, this.stores, [...this.globals], reps);
  }
}
