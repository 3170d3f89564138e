/**
 * Federated subscriptions benchmark (loopback, stops by itself):
 *   ./node_modules/.bin/node --expose-gc bench/subscriptions.bench.ts
 * The GATEWAY process (this one) runs two test subgraphs + the real gateway + the subscription engine
 * on a memory bus. The CLIENTS run in separate process(es) (this same file, forked with
 * BENCH_ROLE=client): N raw `ws` sockets speaking graphql-transport-ws, split evenly, each parsing
 * every message with JSON.parse like a real client. R events/s for S seconds.
 * Latency = publish (wall clock, sub-ms: performance.timeOrigin + performance.now(), taken right
 * before `bus.publish`) → client `message` event; the publish time travels inside the event (its
 * `kind`), so both ends read the same machine clock and no IPC sits on the measured path.
 * Prints a markdown table and writes bench/results/subscriptions-<date>.md.
 * Env: BENCH_SUBSCRIBERS (1000), BENCH_RATE (100), BENCH_SECONDS (10), BENCH_CLIENT_PROCESSES (1),
 *      BENCH_CPU_PROF=1 (write .cpuprofile files of the gateway and client processes to BENCH_PROF_DIR, default /tmp/subperf-prof),
 *      BENCH_NO_WRITE=1 (print only, do not write bench/results), BENCH_PAUSE_RATIO (the engine's fanOutPauseRatio, default: the engine's default).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLIENT_PROCESSES = Math.max(1, Number(process.env.BENCH_CLIENT_PROCESSES ?? 1));
const PROFILE = process.env.BENCH_CPU_PROF === '1';
const PROF_DIR = process.env.BENCH_PROF_DIR ?? '/tmp/subperf-prof';
const QUERY = 'subscription { timeline { id kind summary accountName } }';
const KIND_PREFIX = 'bench.at.';

const wallNow = (): number => performance.timeOrigin + performance.now();
const gc = (globalThis as { gc?: () => void }).gc;

/** Parent → client. */
type ToClient = { type: 'start'; url: string; token: string; count: number } | { type: 'idle' } | { type: 'finish' };
/** Client → parent. */
type FromClient =
  | { type: 'subscribed'; count: number }
  | { type: 'idle'; rssDelta: number; heapDelta: number }
  | { type: 'progress'; received: number }
  | { type: 'done'; received: number; latencies: Float64Array; firstAt: number; lastAt: number; errors: number; closes: number; cpuUserMs: number; cpuSystemMs: number };

// ---------------------------------------------------------------------------------------------------
// Client process: opens its share of the sockets, records the latency of every `next` message.
// ---------------------------------------------------------------------------------------------------
const runClient = (): void => {
  const send = (message: FromClient): void => void process.send?.(message);
  let latencies = new Float64Array(1 << 16);
  let received = 0;
  let firstAt = 0;
  let lastAt = 0;
  let errors = 0;
  let closes = 0;
  let subscribed = 0;
  let rssBase = 0;
  let heapBase = 0;
  let cpuBase = process.cpuUsage();
  const sockets: WebSocket[] = [];
  const progress = setInterval(() => send({ type: 'progress', received }), 200);
  progress.unref();

  const onNext = (data: WebSocket.RawData): void => {
    const now = wallNow();
    const message = JSON.parse(String(data)) as { type: string; id?: string; payload?: { data?: { timeline?: { id: string; kind: string } } } };
    if (message.type === 'next') {
      const kind = message.payload?.data?.timeline?.kind ?? '';
      if (kind.startsWith(KIND_PREFIX)) {
        if (received === latencies.length) {
          const grown = new Float64Array(latencies.length * 2);
          grown.set(latencies);
          latencies = grown;
        }
        latencies[received] = now - Number(kind.slice(KIND_PREFIX.length));
        received += 1;
        if (firstAt === 0) firstAt = now;
        lastAt = now;
      }
    } else if (message.type === 'connection_ack') {
      return;
    } else if (message.type === 'error') {
      errors += 1;
      console.error('subscription error', JSON.stringify(message.payload));
    }
  };

  process.on('message', (raw) => {
    const message = raw as ToClient;
    if (message.type === 'start') {
      gc?.();
      rssBase = process.memoryUsage().rss;
      heapBase = process.memoryUsage().heapUsed;
      for (let i = 0; i < message.count; i++) {
        const ws = new WebSocket(message.url, 'graphql-transport-ws', { perMessageDeflate: false });
        ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${message.token}` } })));
        ws.once('message', (data) => {
          if ((JSON.parse(String(data)) as { type: string }).type !== 'connection_ack') return void console.error('bench client: no connection_ack', String(data));
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: QUERY } }));
          ws.on('message', onNext);
          subscribed += 1;
          if (subscribed === message.count) send({ type: 'subscribed', count: subscribed });
        });
        ws.on('close', () => {
          closes += 1;
        });
        ws.on('error', (error) => console.error('bench client socket error', error.message));
        sockets.push(ws);
      }
    } else if (message.type === 'idle') {
      gc?.();
      send({ type: 'idle', rssDelta: process.memoryUsage().rss - rssBase, heapDelta: process.memoryUsage().heapUsed - heapBase });
      cpuBase = process.cpuUsage();
    } else if (message.type === 'finish') {
      const cpu = process.cpuUsage(cpuBase);
      const closesBefore = closes;
      for (const ws of sockets) ws.terminate();
      const done: FromClient = { type: 'done', received, latencies: latencies.slice(0, received), firstAt, lastAt, errors, closes: closesBefore, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000 };
      // Exit only once the (megabytes of) latencies are through the IPC pipe.
      process.send?.(done, undefined, {}, () => process.exit(0));
    }
  });
};

// ---------------------------------------------------------------------------------------------------
// Gateway process: federation + engine, forks the clients, publishes, prints the table.
// ---------------------------------------------------------------------------------------------------
const runGateway = async (): Promise<void> => {
  const { createMemoryBus } = await import('../platform/events/memory-bus.ts');
  const { serveEngine, waitUntil } = await import('../gateway/subscriptions/client.ts');
  const { createSubscriptionEngine } = await import('../gateway/subscriptions/engine.ts');
  const { startTestFederation } = await import('../gateway/subscriptions/fixture.ts');

  const hardStop = setTimeout(() => {
    console.error('bench: hard time limit reached, exiting');
    process.exit(3);
  }, (SECONDS + 180) * 1000);
  hardStop.unref();

  const percentile = (sorted: Float64Array, p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

  const fed = await startTestFederation();
  const bus = createMemoryBus();
  /** Gateway side: publish → the event's frames handed to every socket (ms). */
  const publishedAt = new Map<string, number>();
  const handedOff: number[] = [];
  /** Duration of each refetch through the gateway (planner + both subgraphs), ms. */
  const refetches: number[] = [];
  const gateway: Parameters<typeof createSubscriptionEngine>[0]['gateway'] = {
    async execute(query, variables, context) {
      const began = wallNow();
      const result = await fed.gateway.execute(query, variables, context);
      refetches.push(wallNow() - began);
      return result;
    },
    get apiSchema() {
      return fed.gateway.apiSchema;
    },
    supergraphSdl: fed.gateway.supergraphSdl,
    verifier: fed.gateway.verifier,
  };
  const engine = await createSubscriptionEngine({
    gateway,
    bus,
    queueLimit: 1024,
    ...(process.env.BENCH_PAUSE_RATIO ? { fanOutPauseRatio: Number(process.env.BENCH_PAUSE_RATIO) } : {}),
    onDelivered: (event) => {
      const at = publishedAt.get(event.id);
      if (at !== undefined) handedOff.push(wallNow() - at);
    },
  });
  const served = await serveEngine(fed.gateway, engine);
  const token = await fed.token('bench-tenant');

  if (PROFILE) mkdirSync(PROF_DIR, { recursive: true });
  const execArgv = ['--expose-gc', ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`, '--cpu-prof-name=client-${pid}.cpuprofile'] : [])];
  const clients: Array<{ child: ChildProcess; count: number; received: number; inbox: FromClient[] }> = [];
  for (let i = 0; i < CLIENT_PROCESSES; i++) {
    const count = Math.floor(SUBSCRIBERS / CLIENT_PROCESSES) + (i < SUBSCRIBERS % CLIENT_PROCESSES ? 1 : 0);
    const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, BENCH_ROLE: 'client' }, execArgv, serialization: 'advanced' });
    const entry = { child, count, received: 0, inbox: [] as FromClient[] };
    child.on('message', (raw) => {
      const message = raw as FromClient;
      if (message.type === 'progress' || message.type === 'done') entry.received = message.received;
      entry.inbox.push(message);
    });
    clients.push(entry);
  }
  const reply = async <T extends FromClient['type']>(type: T, timeoutMs = 60_000): Promise<Array<Extract<FromClient, { type: T }>>> => {
    await waitUntil(() => clients.every((c) => c.inbox.some((m) => m.type === type)), `clients: ${type}`, timeoutMs);
    return clients.map((c) => c.inbox.find((m) => m.type === type) as Extract<FromClient, { type: T }>);
  };
  const tell = (message: ToClient): void => {
    for (const c of clients) c.child.send(message);
  };

  gc?.();
  const before = process.memoryUsage();
  for (const c of clients) c.child.send({ type: 'start', url: served.url, token, count: c.count } satisfies ToClient);
  await reply('subscribed');
  await waitUntil(() => engine.stats.subscriptions === SUBSCRIBERS, `${SUBSCRIBERS} subscriptions`, 60_000);
  await new Promise((r) => setTimeout(r, 1000));
  gc?.();
  const idle = process.memoryUsage();
  tell({ type: 'idle' });
  const clientIdle = await reply('idle');

  const resolutionsBefore = engine.stats.resolutions;
  const total = RATE * SECONDS;
  const probe = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, BENCH_ROLE: 'probe' }, serialization: 'advanced' });
  const probeResult = new Promise<number[]>((resolve) => probe.once('message', (m) => resolve((m as { lateness: number[] }).lateness)));
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const startWall = wallNow();
  for (let n = 0; n < total; n++) {
    const due = start + (n * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const at = wallNow();
    const event = fed.event('bench-tenant', { kind: `${KIND_PREFIX}${at.toFixed(3)}` });
    publishedAt.set(event.id, at);
    await bus.publish([event]);
  }
  const publishSeconds = (performance.now() - start) / 1000;
  const expected = total * SUBSCRIBERS;
  const delivered = (): number => clients.reduce((sum, c) => sum + c.received, 0);
  const progress = setInterval(() => console.error(`bench: ${delivered()} of ${expected} delivered`), 5000);
  await waitUntil(() => delivered() >= expected, 'all deliveries', 60_000).catch(() => console.error('bench: not everything was delivered within 60 s'));
  clearInterval(progress);
  const cpu = process.cpuUsage(cpuBefore);
  const resolutions = engine.stats.resolutions - resolutionsBefore;
  probe.send('stop');
  const lateness = Float64Array.from(await probeResult).sort();
  tell({ type: 'finish' });
  const done = await reply('done', 120_000);

  const received = done.reduce((sum, d) => sum + d.received, 0);
  const all = new Float64Array(received);
  let offset = 0;
  for (const d of done) {
    all.set(d.latencies, offset);
    offset += d.latencies.length;
  }
  all.sort();
  const lastAt = Math.max(...done.map((d) => d.lastAt));
  const deliverySeconds = (lastAt - startWall) / 1000;
  const ms = (v: number): string => `${v.toFixed(1)} ms`;
  const gatewaySide = Float64Array.from(handedOff).sort();
  const refetchMs = Float64Array.from(refetches).sort();
  const gatewayCpuMs = (cpu.user + cpu.system) / 1000;
  const kb = (bytes: number): string => `${(bytes / SUBSCRIBERS / 1024).toFixed(1)} KB`;
  const clientRss = clientIdle.reduce((sum, c) => sum + c.rssDelta, 0);
  const clientCpuMs = done.reduce((sum, d) => sum + d.cpuUserMs + d.cpuSystemMs, 0);
  const date = new Date().toISOString().slice(0, 10);
  const table = [
    `### Federated subscriptions, ${date}`,
    '',
    `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), load average at start ${os.loadavg()[0].toFixed(2)}, Node ${process.version}; 1 gateway process (2 test subgraphs + @apollo/gateway + engine, memory bus) and ${CLIENT_PROCESSES} separate client process${CLIENT_PROCESSES === 1 ? '' : 'es'} (raw \`ws\`, graphql-transport-ws, JSON.parse per message), loopback.`,
    '',
    '| metric | value |',
    '| --- | --- |',
    `| subscribers (graphql-ws, identical selection, one tenant) | ${SUBSCRIBERS} in ${CLIENT_PROCESSES} client process${CLIENT_PROCESSES === 1 ? '' : 'es'} |`,
    `| events published | ${total} at ${RATE}/s target |`,
    `| events/s achieved (publisher) | ${(total / publishSeconds).toFixed(1)} (${publishSeconds.toFixed(2)} s) |`,
    `| messages delivered | ${received} of ${expected} |`,
    `| messages/s delivered (first publish → last delivery, ${deliverySeconds.toFixed(2)} s) | ${Math.round(received / deliverySeconds)} |`,
    `| delivery latency publish→client p50 | ${ms(percentile(all, 50))} |`,
    `| delivery latency p95 | ${ms(percentile(all, 95))} |`,
    `| delivery latency p99 | ${ms(percentile(all, 99))} |`,
    `| delivery latency max | ${ms(all[all.length - 1] ?? NaN)} |`,
    `| gateway side: publish → frames handed to all sockets p50 / p99 / max | ${ms(percentile(gatewaySide, 50))} / ${ms(percentile(gatewaySide, 99))} / ${ms(gatewaySide[gatewaySide.length - 1] ?? NaN)} |`,
    `| of which the refetch through the gateway (planner + 2 subgraphs) p50 / p99 | ${ms(percentile(refetchMs, 50))} / ${ms(percentile(refetchMs, 99))} |`,
    `| machine noise: wake-up lateness of an idle 5 ms timer in a separate process, p50 / p99 / max | ${ms(percentile(lateness, 50))} / ${ms(percentile(lateness, 99))} / ${ms(lateness[lateness.length - 1] ?? NaN)} |`,
    `| engine fanOutPauseRatio | ${process.env.BENCH_PAUSE_RATIO ?? 'default (1)'} |`,
    `| gateway resolutions per event (${SUBSCRIBERS} identical subscribers) | ${(resolutions / total).toFixed(2)} |`,
    `| memory per idle subscriber, gateway process (RSS delta / heap delta, after GC) | ${kb(idle.rss - before.rss)} / ${kb(idle.heapUsed - before.heapUsed)} |`,
    `| memory per idle subscriber, client process(es) (RSS delta) | ${kb(clientRss)} |`,
    `| CPU during the run: gateway / clients (user+system, % of one core) | ${((gatewayCpuMs / (deliverySeconds * 1000)) * 100).toFixed(0)} % / ${((clientCpuMs / (deliverySeconds * 1000)) * 100).toFixed(0)} % |`,
    `| CPU per delivered message: gateway / clients | ${((gatewayCpuMs * 1000) / Math.max(1, received)).toFixed(1)} µs / ${((clientCpuMs * 1000) / Math.max(1, received)).toFixed(1)} µs |`,
    `| slow-consumer closes / client-side closes / error messages | ${engine.stats.slowConsumerCloses} / ${done.reduce((s, d) => s + d.closes, 0)} / ${done.reduce((s, d) => s + d.errors, 0)} |`,
    '',
  ].join('\n');
  console.log(table);
  if (process.env.BENCH_NO_WRITE !== '1') {
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(new URL(`./results/subscriptions-${date}.md`, import.meta.url), table);
  }

  await Promise.all(clients.map((c) => new Promise((resolve) => (c.child.exitCode !== null ? resolve(null) : c.child.once('exit', resolve)))));
  await served.stop();
  await engine.close();
  await fed.stop();
  process.exit(0);
};

// ---------------------------------------------------------------------------------------------------
// Probe process: how late does an idle process wake up on this machine right now? (5 ms timer;
// the overshoot is scheduling delay that no engine code can avoid). Near-zero CPU.
// ---------------------------------------------------------------------------------------------------
const runProbe = (): void => {
  const lateness: number[] = [];
  let due = performance.now() + 5;
  const tick = (): void => {
    const now = performance.now();
    lateness.push(now - due);
    due = now + 5;
    setTimeout(tick, 5);
  };
  setTimeout(tick, 5);
  process.on('message', () => {
    process.send?.({ lateness }, undefined, {}, () => process.exit(0));
  });
};

if (process.env.BENCH_ROLE === 'client') runClient();
else if (process.env.BENCH_ROLE === 'probe') runProbe();
else await runGateway();
