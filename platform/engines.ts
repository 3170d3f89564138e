import path from 'node:path';
import { ConfigError, type MeshConfig } from './config.ts';
import { createKafkaBus } from './events/kafka-bus.ts';
import { createMemoryBus } from './events/memory-bus.ts';
import type { BusSubscription, EventBus } from './events/port.ts';
import { createEmbeddedGraph } from './graph/embedded.ts';
import { createNeo4jGraph } from './graph/neo4j.ts';
import type { GraphStore } from './graph/port.ts';
import type { Logger } from './logger.ts';
import { createEmbeddedStore } from './store/embedded.ts';
import { createMongoStore } from './store/mongo.ts';
import type { DocumentStore } from './store/port.ts';

/** The MongoDB database of one subgraph: `mesh_<name>`, or `<MESH_NAMESPACE>_<name>` when a namespace is set. */
export const mongoDatabaseName = (config: Pick<MeshConfig, 'namespace'>, name: string): string => `${config.namespace ?? 'mesh'}_${name}`;

/** The Neo4j namespace of one subgraph's graph: `<name>`, or `<MESH_NAMESPACE>/<name>`. */
export const graphNamespace = (config: Pick<MeshConfig, 'namespace'>, name: string): string => (config.namespace ? `${config.namespace}/${name}` : name);

/** The prefix of Kafka topics and consumer groups: none, or `<MESH_NAMESPACE>.`. */
export const kafkaPrefix = (config: Pick<MeshConfig, 'namespace'>): string => (config.namespace ? `${config.namespace}.` : '');

/**
 * The DocumentStore of one subgraph, on the engine the config names:
 * - `embedded`: one NeDB file `<MESH_DATA_DIR>/<name>.db`, compacted every 10 minutes;
 * - `mongo`: one database per subgraph (see mongoDatabaseName) on MONGODB_URI (fails fast, naming
 *   MONGODB_URI, if unreachable).
 */
export const createDocumentStore = async (config: MeshConfig, name: string): Promise<DocumentStore> => {
  if (config.store === 'mongo') {
    if (!config.mongodbUri) throw new ConfigError('MONGODB_URI', 'MESH_STORE=mongo needs MONGODB_URI, e.g. mongodb://127.0.0.1:27017');
    return createMongoStore({ uri: config.mongodbUri, name, dbName: mongoDatabaseName(config, name) });
  }
  return createEmbeddedStore({ dataDir: config.dataDir, name, autocompactMs: 600_000 });
};

/**
 * The GraphStore of one subgraph: `embedded` (graphology, snapshots under `<MESH_DATA_DIR>/graph/<name>`)
 * or `neo4j` on NEO4J_URI, in the subgraph's own namespace of the shared database (see graphNamespace;
 * fails fast, naming NEO4J_URI, if unreachable).
 */
export const createGraphStore = async (config: MeshConfig, name: string): Promise<GraphStore> => {
  if (config.graph === 'neo4j') {
    if (!config.neo4jUri) throw new ConfigError('NEO4J_URI', 'MESH_GRAPH=neo4j needs NEO4J_URI, e.g. bolt://127.0.0.1:7687');
    return createNeo4jGraph({ uri: config.neo4jUri, user: config.neo4jUser, password: config.neo4jPassword, namespace: graphNamespace(config, name) });
  }
  return createEmbeddedGraph({ dataDir: path.join(config.dataDir, 'graph', name) });
};

/**
 * The process-wide in-process bus. In all-in-one mode the seven subgraphs and the gateway run in one
 * process; an event one subgraph's relay publishes must reach the consumers and subscriptions of the
 * others, so they must all hold the SAME memory bus: two instances would be two disconnected buses.
 * Each caller gets a handle; closing a handle drops that handle's subscriptions, and the shared bus
 * closes when the last handle does (so the next createEventBus starts a fresh one).
 */
let shared: { bus: EventBus; handles: number } | null = null;

const memoryHandle = (): EventBus => {
  shared ??= { bus: createMemoryBus(), handles: 0 };
  const owner = shared;
  owner.handles += 1;
  const subscriptions = new Set<BusSubscription>();
  let closed = false;
  return {
    engine: owner.bus.engine,
    publish: (events) => {
      if (closed) return Promise.reject(new Error('bus closed'));
      return owner.bus.publish(events);
    },
    async subscribe(options, handler) {
      if (closed) throw new Error('bus closed');
      const subscription = await owner.bus.subscribe(options, handler);
      subscriptions.add(subscription);
      return {
        async close() {
          subscriptions.delete(subscription);
          await subscription.close();
        },
      };
    },
    health: () => (closed ? Promise.resolve({ ok: false, detail: 'memory bus handle closed' }) : owner.bus.health()),
    async close() {
      if (closed) return;
      closed = true;
      for (const subscription of subscriptions) await subscription.close();
      subscriptions.clear();
      owner.handles -= 1;
      if (owner.handles === 0) {
        if (shared === owner) shared = null;
        await owner.bus.close();
      }
    },
  };
};

/**
 * The EventBus on the engine the config names: `memory` (the process-wide in-process bus, see above)
 * or `kafka` on KAFKA_BROKERS (fails fast, naming KAFKA_BROKERS, if unreachable). `logger` receives the
 * Kafka adapter's warnings (handler retries, failed commits, reconnects); without it they are dropped.
 */
export const createEventBus = async (config: MeshConfig, clientId: string, logger?: Logger): Promise<EventBus> => {
  if (config.bus === 'kafka') {
    if (!config.kafkaBrokers?.length) throw new ConfigError('KAFKA_BROKERS', 'MESH_BUS=kafka needs KAFKA_BROKERS, e.g. 127.0.0.1:9092');
    return createKafkaBus({ brokers: config.kafkaBrokers, clientId, logger, namespacePrefix: kafkaPrefix(config) });
  }
  return memoryHandle();
};
