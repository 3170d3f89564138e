import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket } from 'node:net';
import { ulid } from 'ulid';
import { MessageType, stringifyMessage } from 'graphql-ws';
import WebSocket from 'ws';
import { createMemoryBus } from '../../platform/events/memory-bus.ts';
import type { EventBus } from '../../platform/events/port.ts';
import { record, serveEngine, waitUntil, type Recording } from './client.ts';
import { createSubscriptionEngine, type SubscriptionEngine } from './engine.ts';
import { startTestFederation, type TestFederation } from './fixture.ts';
import { liveSpecsOf } from './live.ts';

const TIMELINE = `subscription Timeline($kinds: [String!], $after: ID) { timeline(kinds: $kinds, after: $after) { id kind summary accountName } }`;

let fed: TestFederation;
let bus: EventBus;
let engine: SubscriptionEngine;
let served: Awaited<ReturnType<typeof serveEngine>>;
const open: Recording[] = [];

const sub = async (token: string | null, query = TIMELINE, variables: Record<string, unknown> = {}, url = served.url, on = engine): Promise<Recording> => {
  const before = on.stats.opened;
  const recording = await record(url, token, query, variables);
  open.push(recording);
  if (!recording.closed && !recording.failure) await waitUntil(() => on.stats.opened > before || recording.failure !== null, 'subscription registered');
  return recording;
};
const ids = (r: Recording, key = 'timeline'): string[] => r.messages.map((m) => (m.data?.[key] as { id: string }).id);

beforeAll(async () => {
  fed = await startTestFederation();
  bus = createMemoryBus();
  engine = await createSubscriptionEngine({ gateway: fed.gateway, bus });
  fed.gateway.setUpgradeHandler(engine);
  served = await serveEngine(fed.gateway, engine);
});

afterAll(async () => {
  for (const r of open) await r.dispose().catch(() => undefined);
  await served.stop();
  await engine.close();
  await fed.stop();
});

describe('@live in the supergraph', () => {
  it('composes onto the Subscription fields with its arguments, and the gateway serves Subscription', () => {
    expect(fed.supergraphSdl).toContain('@link(url: "https://cognitive-mesh.dev/live/v1.0", import: ["@live"])');
    const specs = liveSpecsOf(fed.supergraphSdl);
    expect(specs.get('timeline')).toEqual({ field: 'timeline', topics: ['org_events', 'support_events'], types: null, refetch: 'timelineEvent' });
    expect(specs.get('alerts')).toEqual({ field: 'alerts', topics: ['impact_events'], types: ['impact.alert.raised'], refetch: 'alert' });
    expect(fed.gateway.apiSchema?.getSubscriptionType()?.getFields().timeline).toBeDefined();
  });
});

describe('authentication on connection_init', () => {
  it('closes 4401 without a token and 4403 with a forged one', async () => {
    const missing = await record(served.url, null, TIMELINE);
    await waitUntil(() => missing.closed !== null, 'close');
    expect(missing.closed?.code).toBe(4401);
    expect(missing.closed?.reason).toMatch(/^Unauthorized: /);
    const forged = await record(served.url, await fed.forgedToken('t1'), TIMELINE);
    await waitUntil(() => forged.closed !== null, 'close');
    expect(forged.closed?.code).toBe(4403);
    expect(forged.closed?.reason).toMatch(/^Forbidden: .+/);
    await missing.dispose();
    await forged.dispose();
  });

  it('closes 4401 "Token expired" when the token expires mid-connection', async () => {
    const r = await sub(await fed.token('t1', ['ADMIN'], 2));
    expect(r.closed).toBeNull();
    await waitUntil(() => r.closed !== null, 'expiry close', 10_000);
    expect(r.closed).toEqual({ code: 4401, reason: 'Token expired' });
  });

  it('rejects unknown fields with a validation error', async () => {
    const r = await record(served.url, await fed.token('t1'), 'subscription { nope { id } }');
    open.push(r);
    await waitUntil(() => r.failure !== null, 'error');
    const errors = r.failure as Array<{ message: string; extensions: { code: string } }>;
    expect(errors[0].message).toMatch(/Cannot query field "nope" on type "Subscription"/);
    expect(errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('delivery', () => {
  it('delivers fields from two subgraphs, and never another tenant’s event', async () => {
    const a = await sub(await fed.token('t1'));
    const b = await sub(await fed.token('t2'));
    const e1 = fed.event('t1', { kind: 'org.created' });
    await bus.publish([e1]);
    const e2 = fed.event('t2', { kind: 'org.created' });
    await bus.publish([e2]);
    await waitUntil(() => a.messages.length >= 1 && b.messages.length >= 1, 'both deliveries');
    expect(a.messages[0].data).toEqual({ timeline: { id: e1.id, kind: 'org.created', summary: `org.created ${e1.id}`, accountName: 'Account of t1' } });
    expect(ids(b)).toEqual([e2.id]);
    expect(b.messages[0].data?.timeline).toMatchObject({ accountName: 'Account of t2' });
    await a.dispose();
    await b.dispose();
  });

  it('filters by kinds (event type) and applies the generic argument filter rule', async () => {
    const token = await fed.token('t1');
    const r = await sub(token, TIMELINE, { kinds: ['support.ticket.opened'] });
    const alerts = await sub(token, 'subscription { alerts(teamId: "T1", severities: ["HIGH", "CRITICAL"]) { id severity } }');
    const events = [
      fed.event('t1', { kind: 'org.created' }),
      fed.event('t1', { kind: 'support.ticket.opened', topic: 'support_events' }),
      fed.event('t1', { kind: 'org.updated' }),
      fed.event('t1', { kind: 'support.ticket.opened', topic: 'support_events' }),
    ];
    const alertEvents = [
      fed.event('t1', { kind: 'a1', type: 'impact.alert.raised', topic: 'impact_events', typename: 'Alert', teamId: 'T1', severity: 'LOW' }),
      fed.event('t1', { kind: 'a2', type: 'impact.alert.raised', topic: 'impact_events', typename: 'Alert', teamId: 'T2', severity: 'HIGH' }),
      fed.event('t1', { kind: 'a3', type: 'impact.alert.resolved', topic: 'impact_events', typename: 'Alert', teamId: 'T1', severity: 'HIGH' }),
      fed.event('t1', { kind: 'a4', type: 'impact.alert.raised', topic: 'impact_events', typename: 'Alert', teamId: 'T1', severity: 'CRITICAL' }),
    ];
    await bus.publish([...events, ...alertEvents]);
    await waitUntil(() => r.messages.length >= 2 && alerts.messages.length >= 1, 'filtered deliveries');
    expect(ids(r)).toEqual([events[1].id, events[3].id]);
    expect(alerts.messages.map((m) => m.data)).toEqual([{ alerts: { id: alertEvents[3].id, severity: 'CRITICAL' } }]);
    await r.dispose();
    await alerts.dispose();
  });

  it('shares one resolution among identical subscribers, and applies the owning subgraph’s privacy rule per scope', async () => {
    const admins = await Promise.all(Array.from({ length: 10 }, async () => sub(await fed.token('t1', ['ADMIN']))));
    const member = await sub(await fed.token('t1', ['MEMBER']));
    const before = engine.stats.resolutions;
    const e = fed.event('t1', { kind: 'org.updated' });
    await bus.publish([e]);
    await waitUntil(() => admins.every((a) => a.messages.length === 1) && member.messages.length === 1, 'ten deliveries');
    // 10 identical admins: 1 resolution; the member has another authorization scope: 1 more.
    expect(engine.stats.resolutions - before).toBe(2);
    const restricted = fed.event('t1', { kind: 'org.audit', restricted: true });
    const marker = fed.event('t1', { kind: 'org.marker' });
    await bus.publish([restricted, marker]);
    await waitUntil(() => member.messages.length === 2 && admins.every((a) => a.messages.length === 3), 'deliveries');
    expect(ids(member)).toEqual([e.id, marker.id]);
    expect(ids(admins[0])).toEqual([e.id, restricted.id, marker.id]);
    await Promise.all([...admins, member].map((r) => r.dispose()));
  });
});

describe('resume with after', () => {
  it('replays exactly the missed events, then continues live', async () => {
    const token = await fed.token('t3');
    const first = await sub(token);
    const [e1, e2] = [fed.event('t3', { kind: 'k' }), fed.event('t3', { kind: 'k' })];
    await bus.publish([e1, e2]);
    await waitUntil(() => first.messages.length === 2, 'first two');
    await first.dispose();
    await waitUntil(() => engine.stats.subscriptions === 0, 'unsubscribed');
    const missed = [fed.event('t3', { kind: 'k' }), fed.event('t3', { kind: 'k' }), fed.event('t3', { kind: 'k' })];
    await bus.publish(missed);
    await bus.publish([missed[1]]); // a redelivery (at least once) is not replayed twice
    const again = await sub(token, TIMELINE, { after: e2.id });
    const live = fed.event('t3', { kind: 'k' });
    await bus.publish([live]);
    await waitUntil(() => again.messages.length >= 4, 'replay and live');
    expect(ids(again)).toEqual([...missed.map((m) => m.id), live.id]);
    await again.dispose();
  });

  it('refuses an after older than the replay window with REPLAY_WINDOW_EXCEEDED', async () => {
    const r = await record(served.url, await fed.token('t3'), TIMELINE, { after: ulid(Date.now() - 86_400_000) });
    open.push(r);
    await waitUntil(() => r.failure !== null, 'error');
    const errors = r.failure as Array<{ message: string; extensions: { code: string; hint: string } }>;
    expect(errors[0].extensions.code).toBe('REPLAY_WINDOW_EXCEEDED');
    expect(errors[0].extensions.hint).toMatch(/query/);
  });
});

describe('slow consumers', () => {
  it('closes a client that never reads with 4429, while a normal client keeps receiving', async () => {
    const slowBus = createMemoryBus();
    const small = await createSubscriptionEngine({ gateway: fed.gateway, bus: slowBus, queueLimit: 16, maxBufferedBytes: 256 * 1024, closeGraceMs: 60_000 });
    const server = await serveEngine(fed.gateway, small);
    try {
      const normal = await sub(await fed.token('t4'), TIMELINE, {}, server.url, small);
      const token = await fed.token('t4');
      const raw = new WebSocket(server.url, 'graphql-transport-ws');
      let closed: { code: number; reason: string } | null = null;
      raw.on('close', (code, reason) => {
        closed = { code, reason: reason.toString() };
      });
      let acked = false;
      raw.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'connection_ack') acked = true;
      });
      await new Promise((resolve) => raw.once('open', resolve));
      raw.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      await waitUntil(() => acked, 'raw ack');
      raw.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { timeline { id blob(bytes: 262144) } }' } }));
      await waitUntil(() => small.stats.opened === 2, 'raw subscribed');
      // Stop reading: from now on the server's writes pile up in the kernel, then in its buffer.
      (raw as unknown as { _socket: Socket })._socket.pause();
      const events = Array.from({ length: 120 }, () => fed.event('t4', { kind: 'k' }));
      // One event at a time, each fully delivered to the normal client: only the raw client falls behind.
      for (const [i, event] of events.entries()) {
        await slowBus.publish([event]);
        await waitUntil(() => normal.messages.length === i + 1, `normal delivery ${i}`);
      }
      await waitUntil(() => small.stats.slowConsumerCloses === 1, 'slow consumer cut off', 20_000);
      await waitUntil(() => normal.messages.length === events.length, 'normal client got everything', 20_000);
      expect(ids(normal)).toEqual(events.map((e) => e.id));
      expect(normal.closed).toBeNull();
      // Read again: after the data already sent, the close frame says why.
      (raw as unknown as { _socket: Socket })._socket.resume();
      await waitUntil(() => closed !== null, 'raw close frame', 20_000);
      expect(closed).toEqual({ code: 4429, reason: 'Slow consumer: buffer limit exceeded' });
      await normal.dispose();
      raw.terminate();
    } finally {
      await server.stop();
      await small.close();
    }
  }, 60_000);
});

describe('several gateway instances on one bus', () => {
  it('each engine has its own consumer group and delivers to its own sockets', async () => {
    const second = await createSubscriptionEngine({ gateway: fed.gateway, bus });
    const server2 = await serveEngine(fed.gateway, second);
    try {
      expect(second.group).not.toBe(engine.group);
      const token = await fed.token('t5');
      const one = await sub(token);
      const two = await sub(token, TIMELINE, {}, server2.url, second);
      const e = fed.event('t5', { kind: 'k' });
      await bus.publish([e]);
      await waitUntil(() => one.messages.length === 1 && two.messages.length === 1, 'both instances deliver');
      expect(ids(one)).toEqual([e.id]);
      expect(ids(two)).toEqual([e.id]);
      await one.dispose();
      await two.dispose();
    } finally {
      await server2.stop();
      await second.close();
    }
  });
});

/** A raw graphql-transport-ws client that keeps every text frame exactly as received. */
const rawClient = async (url: string, token: string): Promise<{ ws: WebSocket; frames: string[] }> => {
  const ws = new WebSocket(url, 'graphql-transport-ws');
  const frames: string[] = [];
  let acked = false;
  ws.on('message', (data) => {
    const text = String(data);
    if (JSON.parse(text).type === 'connection_ack') acked = true;
    else frames.push(text);
  });
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await waitUntil(() => acked, 'raw ack');
  return { ws, frames };
};

describe('pre-serialized fan-out', () => {
  it('sends each subscription byte-identical graphql-ws next frames under its own id, and stops after complete', async () => {
    const token = await fed.token('t7');
    const raw = await rawClient(served.url, token);
    const before = engine.stats.opened;
    raw.ws.send(JSON.stringify({ id: 'a "quoted" id', type: 'subscribe', payload: { query: 'subscription { timeline { id kind accountName } }' } }));
    raw.ws.send(JSON.stringify({ id: 'b', type: 'subscribe', payload: { query: 'subscription { mine: timeline { kind id } }' } }));
    await waitUntil(() => engine.stats.opened === before + 2, 'two raw subscriptions');
    const viaClient = await sub(token, 'subscription { timeline { id kind accountName } }');
    const e1 = fed.event('t7', { kind: 'org.created' });
    await bus.publish([e1]);
    await waitUntil(() => raw.frames.length === 2 && viaClient.messages.length === 1, 'first deliveries');
    expect([...raw.frames].sort()).toEqual(
      [
        stringifyMessage({ id: 'a "quoted" id', type: MessageType.Next, payload: { data: { timeline: { id: e1.id, kind: 'org.created', accountName: 'Account of t7' } } } }),
        stringifyMessage({ id: 'b', type: MessageType.Next, payload: { data: { mine: { kind: 'org.created', id: e1.id } } } }),
      ].sort(),
    );
    // The graphql-ws client (same delivery group as "a") accepted the same bytes.
    expect(viaClient.messages).toEqual([{ data: { timeline: { id: e1.id, kind: 'org.created', accountName: 'Account of t7' } } }]);
    raw.ws.send(JSON.stringify({ id: 'a "quoted" id', type: 'complete' }));
    await waitUntil(() => engine.stats.subscriptions === 2, 'a completed');
    const e2 = fed.event('t7', { kind: 'org.updated' });
    await bus.publish([e2]);
    await waitUntil(() => raw.frames.length === 3 && viaClient.messages.length === 2, 'second deliveries');
    expect(raw.frames[2]).toBe(stringifyMessage({ id: 'b', type: MessageType.Next, payload: { data: { mine: { kind: 'org.updated', id: e2.id } } } }));
    raw.ws.terminate();
    await viaClient.dispose();
  });

  it('delivers partial results (data plus errors, paths on the subscriber’s alias) that a graphql-ws client accepts', async () => {
    const r = await sub(await fed.token('t7'), 'subscription { t: timeline { id unavailableNote } }');
    const e = fed.event('t7', { kind: 'k' });
    await bus.publish([e]);
    await waitUntil(() => r.messages.length === 1 || r.failure !== null, 'partial delivery');
    expect(r.failure).toBeNull();
    expect(r.messages[0].data).toEqual({ t: { id: e.id, unavailableNote: null } });
    expect(r.messages[0].errors).toHaveLength(1);
    expect(r.messages[0].errors?.[0]).toMatchObject({ message: 'Note unavailable', path: ['t', 'unavailableNote'], extensions: { code: 'NOTE_UNAVAILABLE' } });
    await r.dispose();
  });

  it('keeps every subscriber in event order through a burst, with one resolution per event per scope', async () => {
    const admins = await Promise.all(Array.from({ length: 3 }, async () => sub(await fed.token('t8', ['ADMIN']))));
    const member = await sub(await fed.token('t8', ['MEMBER']));
    const before = engine.stats.resolutions;
    const burst = Array.from({ length: 40 }, (_, i) => fed.event('t8', { kind: `burst.${i}` }));
    await bus.publish(burst);
    await waitUntil(() => [...admins, member].every((r) => r.messages.length === burst.length), 'burst delivered');
    for (const r of [...admins, member]) expect(ids(r)).toEqual(burst.map((e) => e.id));
    expect(engine.stats.resolutions - before).toBe(2 * burst.length);
    await Promise.all([...admins, member].map((r) => r.dispose()));
  });

  it('holds later events behind an earlier one that resolves late, and a subscriber that joins meanwhile gets only later events', async () => {
    const patientBus = createMemoryBus();
    const patient = await createSubscriptionEngine({ gateway: fed.gateway, bus: patientBus, notFoundRetriesMs: Array.from({ length: 200 }, () => 20) });
    const server = await serveEngine(fed.gateway, patient);
    try {
      const admin = await fed.token('t9', ['ADMIN']);
      const first = await sub(admin, TIMELINE, {}, server.url, patient);
      const second = await sub(await fed.token('t9', ['ADMIN']), TIMELINE, {}, server.url, patient);
      const member = await sub(await fed.token('t9', ['MEMBER']), TIMELINE, {}, server.url, patient);
      // The first event's read model lags: its refetch finds nothing until the row appears.
      const lagging = fed.event('t9', { kind: 'lagging' });
      const row = fed.events.get(lagging.id);
      fed.events.delete(lagging.id);
      const quick = [fed.event('t9', { kind: 'quick' }), fed.event('t9', { kind: 'quick' })];
      await patientBus.publish([lagging, ...quick]);
      await waitUntil(() => patient.stats.resolutions >= 2 * 3 + 2, 'quick events resolved, lagging one retried');
      const joiner = await sub(admin, TIMELINE, {}, server.url, patient);
      expect([first, second, member, joiner].map((r) => r.messages.length)).toEqual([0, 0, 0, 0]);
      if (row) fed.events.set(lagging.id, row);
      const later = fed.event('t9', { kind: 'later' });
      await patientBus.publish([later]);
      const expected = [lagging.id, ...quick.map((e) => e.id), later.id];
      await waitUntil(() => [first, second, member].every((r) => r.messages.length === expected.length) && joiner.messages.length === 1, 'ordered deliveries');
      for (const r of [first, second, member]) expect(ids(r)).toEqual(expected);
      expect(ids(joiner)).toEqual([later.id]);
      await Promise.all([first, second, member, joiner].map((r) => r.dispose()));
    } finally {
      await server.stop();
      await patient.close();
    }
  });
});

describe('batching and bounds of the shared fan-out', () => {
  it('delivers everything in order when passes are spaced out (events batch into one write per socket) and when batching is off', async () => {
    for (const fanOutPauseRatio of [20, 0]) {
      const own = createMemoryBus();
      const batching = await createSubscriptionEngine({ gateway: fed.gateway, bus: own, fanOutPauseRatio });
      const server = await serveEngine(fed.gateway, batching);
      try {
        const subs = await Promise.all(Array.from({ length: 3 }, async () => sub(await fed.token('t10'), TIMELINE, {}, server.url, batching)));
        const events = Array.from({ length: 25 }, (_, i) => fed.event('t10', { kind: `b.${i}` }));
        for (const event of events) await own.publish([event]);
        await waitUntil(() => subs.every((r) => r.messages.length === events.length), `all delivered (ratio ${fanOutPauseRatio})`, 60_000);
        for (const r of subs) expect(ids(r)).toEqual(events.map((e) => e.id));
        await Promise.all(subs.map((r) => r.dispose()));
      } finally {
        await server.stop();
        await batching.close();
      }
    }
  });

  it('closes a share group with 4429 when its resolutions fall queueLimit events behind, and not the other tenants', async () => {
    const own = createMemoryBus();
    const bounded = await createSubscriptionEngine({ gateway: fed.gateway, bus: own, queueLimit: 4, notFoundRetriesMs: Array.from({ length: 200 }, () => 20) });
    const server = await serveEngine(fed.gateway, bounded);
    try {
      const stuck = await sub(await fed.token('t11'), TIMELINE, {}, server.url, bounded);
      const other = await sub(await fed.token('t12'), TIMELINE, {}, server.url, bounded);
      const lagging = fed.event('t11', { kind: 'lagging' });
      fed.events.delete(lagging.id); // never appears: the head of the queue keeps retrying
      await own.publish([lagging, ...Array.from({ length: 4 }, () => fed.event('t11', { kind: 'k' }))]);
      await waitUntil(() => stuck.closed !== null, '4429');
      expect(stuck.closed).toEqual({ code: 4429, reason: 'Slow consumer: buffer limit exceeded' });
      const fine = fed.event('t12', { kind: 'k' });
      await own.publish([fine]);
      await waitUntil(() => other.messages.length === 1, 'other tenant still served');
      expect(ids(other)).toEqual([fine.id]);
      expect(other.closed).toBeNull();
      await other.dispose();
    } finally {
      await server.stop();
      await bounded.close();
    }
  });
});
