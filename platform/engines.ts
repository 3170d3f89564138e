import { ConfigError, type MeshConfig } from './config.ts';
import { createKafkaBus } from './events/kafka-bus.ts';
import { createMemoryBus } from './events/memory-bus.ts';
import type { BusSubscription, EventBus } from './events/port.ts';
import type { Logger } from './logger.ts';
import { createEmbeddedStore } from './store/embedded.ts';
import { createMongoStore } from './store/mongo.ts';
import type { DocumentStore } from './store/port.ts';

/**
 * The DocumentStore of one subgraph, on the engine the config names:
 * - `embedded`: one NeDB file `<MESH_DATA_DIR>/<name>.db`, compacted every 10 minutes;
 * - `mongo`: one database `mesh_<name>` on MONGODB_URI (fails fast, naming MONGODB_URI, if unreachable).
 */
export const createDocumentStore = async (config: MeshConfig, name: string): Promise<DocumentStore> => {
  if (config.store === 'mongo') {
    if (!config.mongodbUri) throw new ConfigError('MONGODB_URI', 'MESH_STORE=mongo needs MONGODB_URI, e.g. mongodb://127.0.0.1:27017');
    return createMongoStore({ uri: config.mongodbUri, name });
  }
  return createEmbeddedStore({ dataDir: config.dataDir, name, autocompactMs: 600_000 });
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
    return createKafkaBus({ brokers: config.kafkaBrokers, clientId, logger });
  }
  return memoryHandle();
};
