import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { subgraphsOf } from '../gateway/supergraph.ts';
import { loadConfig } from '../platform/config.ts';
import { SUBGRAPH_PORTS, type SubgraphName } from '../platform/runtime.ts';
import { ROOT } from './services.ts';

/**
 * docker-compose.yml's structure, checked against what the code expects (no Docker needed): real
 * MongoDB as a single-node replica set, Neo4j 5, Kafka in KRaft mode, every subgraph of rover.yaml
 * as its own service on its port (rover.yaml = platform/runtime.ts SUBGRAPH_PORTS = compose), the
 * gateway routing to them by service name, health checks everywhere, named volumes, and an
 * environment every service's own config loader accepts.
 */

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; retries?: number };
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

interface RoverFile {
  subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
}

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
const rover = parse(readFileSync(path.join(ROOT, 'rover.yaml'), 'utf8')) as RoverFile;
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const services = compose.services;
const roverNames = Object.keys(rover.subgraphs);
const ENGINES = ['mongo', 'neo4j', 'kafka'];
const PORT_BASE = 4101;

/** Compose's `${VAR:-default}` interpolation, with an empty shell environment. */
const interpolate = (value: string): string => value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_m, _name: string, fallback?: string) => fallback ?? '');
const envOf = (service: ComposeService): Record<string, string> =>
  Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
const healthText = (service: ComposeService): string => (service.healthcheck?.test ?? []).join(' ');
const portOfUrl = (url: string): number => Number(new URL(url).port);

describe('docker-compose.yml', () => {
  it('has exactly the three engines, one service per subgraph of rover.yaml, and the gateway', () => {
    expect(Object.keys(services).sort()).toEqual([...ENGINES, ...roverNames, 'gateway'].sort());
    expect(roverNames).toEqual(Object.keys(SUBGRAPH_PORTS));
  });

  it('runs real MongoDB as a single-node replica set, initiated by its health check', () => {
    const mongo = services.mongo;
    expect(mongo.image).toMatch(/^mongo:\d/);
    const replSet = mongo.command?.[mongo.command.indexOf('--replSet') + 1];
    expect(replSet).toMatch(/\w+/);
    expect(healthText(mongo)).toContain('rs.initiate');
    expect(healthText(mongo)).toContain(`_id: '${replSet}'`);
    expect(healthText(mongo)).toContain("host: 'mongo:27017'");
    // Every mesh service connects to that replica set by service name.
    for (const name of [...roverNames, 'gateway']) {
      const uri = new URL(envOf(services[name]).MONGODB_URI);
      expect(uri.host).toBe('mongo:27017');
      expect(uri.searchParams.get('replicaSet')).toBe(replSet);
    }
  });

  it('runs Neo4j 5 with the credentials the services use', () => {
    const neo4j = services.neo4j;
    expect(neo4j.image).toMatch(/^neo4j:5(\.|$)/);
    const auth = envOf(neo4j).NEO4J_AUTH;
    expect(healthText(neo4j)).toContain('cypher-shell');
    for (const name of [...roverNames, 'gateway']) {
      const env = envOf(services[name]);
      expect(env.NEO4J_URI).toBe('bolt://neo4j:7687');
      expect(`${env.NEO4J_USER}/${env.NEO4J_PASSWORD}`).toBe(auth);
    }
  });

  it('runs Kafka 4 in KRaft mode (no ZooKeeper) and the services reach its internal listener', () => {
    const kafka = services.kafka;
    expect(kafka.image).toMatch(/^apache\/kafka:4\./);
    const env = envOf(kafka);
    expect(env.KAFKA_PROCESS_ROLES.split(',').sort()).toEqual(['broker', 'controller']);
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toMatch(new RegExp(`^${env.KAFKA_NODE_ID}@kafka:\\d+$`));
    expect(Object.keys(env).some((k) => /ZOOKEEPER/.test(k))).toBe(false);
    expect(Object.keys(services).some((k) => /zookeeper/i.test(k))).toBe(false);
    expect(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe('1');
    const advertised = env.KAFKA_ADVERTISED_LISTENERS.split(',');
    expect(healthText(kafka)).toContain('kafka-broker-api-versions');
    for (const name of [...roverNames, 'gateway']) {
      const brokers = envOf(services[name]).KAFKA_BROKERS.split(',');
      for (const broker of brokers) expect(advertised.some((l) => l.endsWith(`//${broker}`))).toBe(true);
    }
  });

  it.each(roverNames)('runs subgraph %s in services mode on the port rover.yaml and SUBGRAPH_PORTS give it', (name) => {
    const service = services[name];
    const expected = PORT_BASE + SUBGRAPH_PORTS[name as SubgraphName];
    expect(portOfUrl(rover.subgraphs[name].routing_url)).toBe(expected);
    expect(service.command).toEqual(['node', `subgraphs/${name}/main.ts`]);
    expect(existsSync(path.join(ROOT, 'subgraphs', name, 'main.ts'))).toBe(true);
    const env = envOf(service);
    expect(env.PORT).toBe(String(expected));
    expect(service.expose).toContain(String(expected));
    expect(healthText(service)).toContain(`http://127.0.0.1:${expected}/health`);
    for (const engine of ENGINES) expect(service.depends_on?.[engine]).toEqual({ condition: 'service_healthy' });
    // The environment is one the process's own config loader accepts, on the distributed engines.
    const config = loadConfig(env);
    expect([config.store, config.graph, config.bus]).toEqual(['mongo', 'neo4j', 'kafka']);
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(expected);
  });

  it('runs the gateway over the committed supergraph, routing to every subgraph by service name', () => {
    const gateway = services.gateway;
    const command = gateway.command ?? [];
    expect(command.slice(0, 2)).toEqual(['node', 'gateway/main.ts']);
    const supergraph = command[command.indexOf('--supergraph') + 1];
    const port = Number(command[command.indexOf('--port') + 1]);
    expect(existsSync(path.join(ROOT, supergraph))).toBe(true);
    expect(gateway.ports).toEqual([`${port}:${port}`]);
    expect(healthText(gateway)).toContain(`http://127.0.0.1:${port}/health`);
    const env = envOf(gateway);
    const declared = subgraphsOf(readFileSync(path.join(ROOT, supergraph), 'utf8'));
    expect(declared.map((s) => s.name).sort()).toEqual([...roverNames].sort());
    for (const { name, url } of declared) {
      // The supergraph's URL is rover.yaml's; compose overrides only the host, never the port or path.
      expect(url).toBe(rover.subgraphs[name].routing_url);
      const override = new URL(env[`MESH_SUBGRAPH_URL_${name.toUpperCase()}`]);
      expect(override.hostname).toBe(name);
      expect(Number(override.port)).toBe(portOfUrl(url));
      expect(override.pathname).toBe('/graphql');
      expect(gateway.depends_on?.[name]).toEqual({ condition: 'service_healthy' });
    }
    const config = loadConfig(env);
    expect(config.bus).toBe('kafka');
  });

  it('gives every service a health check and keeps state in named volumes only', () => {
    for (const [name, service] of Object.entries(services)) {
      expect([name, (service.healthcheck?.test?.length ?? 0) > 1]).toEqual([name, true]);
    }
    const used = new Set<string>();
    for (const service of Object.values(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0];
        expect(source).not.toMatch(/^[./~]/); // no bind mounts
        used.add(source);
      }
    }
    expect([...used].sort()).toEqual(Object.keys(compose.volumes).sort());
    expect(services.mongo.volumes).toContain('mongo-data:/data/db');
    expect(services.neo4j.volumes).toContain('neo4j-data:/data');
    expect(services.kafka.volumes?.some((v) => v.startsWith('kafka-data:'))).toBe(true);
  });

  it('shares one key directory between identity (which signs) and every other service (which verify and sign provenance)', () => {
    const keyMounts = [...roverNames].map((name) => {
      const env = envOf(services[name]);
      const mount = (services[name].volumes ?? []).find((v) => v.endsWith(':/data/keys'));
      return { name, dataDir: env.MESH_DATA_DIR, mount };
    });
    for (const entry of keyMounts) expect(entry).toEqual({ name: entry.name, dataDir: '/data', mount: 'mesh-keys:/data/keys' });
    // The image creates that directory for its runtime user, so a fresh named volume is writable.
    const user = dockerfile.indexOf('USER node');
    const chown = dockerfile.search(/mkdir -p \/data\/keys && chown -R node:node \/data/);
    expect(chown).toBeGreaterThan(-1);
    expect(chown).toBeLessThan(user);
  });
});
