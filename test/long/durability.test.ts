import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dataOf, gql, signIn } from '../client.ts';
import { ADMIN, freePorts, longDescribe, startChildMesh, type ChildMesh } from './child-mesh.ts';

/**
 * Durability in embedded mode: the mesh runs as its own process (`node main.ts`), writers send a burst
 * of mutations, and the process is killed with SIGKILL in the middle of it. After a restart on the
 * same data directory every acknowledged write is there, and the outbox delivers every event exactly
 * once to each idempotent consumer: the lifecycle timeline holds exactly one `prospect.created` entry
 * per prospect (acknowledged or committed-but-unacknowledged), and governance's audit chain verifies.
 */

const WRITERS = 12;
const KILL_AFTER_ACKS = 200;

let dataDir: string;
let mesh: ChildMesh | undefined;

afterAll(async () => {
  await mesh?.kill9();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

longDescribe('durability: kill -9 during a burst of acknowledged writes', () => {
  it('keeps every acknowledged write and delivers every event exactly once after restart', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'mesh-durability-'));
    const ports = await freePorts();
    const env = { MESH_RATE_PRINCIPAL_PER_MIN: '1000000', MESH_RATE_TENANT_PER_MIN: '1000000', MESH_RATE_IP_PER_MIN: '1000000' };
    mesh = await startChildMesh(dataDir, ports, env);
    const admin = (await signIn(mesh.url, ADMIN.email, ADMIN.password)).accessToken;
    const org = dataOf(await gql<{ createOrganization: { id: string } }>(mesh.url, `mutation { createOrganization(input: {name: "Durable Robotics"}) { id } }`, {}, admin)).createOrganization.id;
    dataOf(await gql(mesh.url, `mutation($i: CreateUserInput!) { createUser(input: $i) { id } }`, { i: { organizationId: org, email: 'owner@durable.test', name: 'Owner', roles: ['OWNER'], password: 'a-long-password-1' } }, admin));
    let owner = (await signIn(mesh.url, 'owner@durable.test', 'a-long-password-1')).accessToken;

    const acknowledged = new Map<string, string>();
    let sent = 0;
    let failedInFlight = 0;
    let killing: Promise<void> | null = null;
    const target = mesh;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; ; i += 1) {
        if (killing) return;
        const name = `Burst ${w}-${i}`;
        sent += 1;
        try {
          const result = await gql<{ createProspect: { id: string } }>(target.url, `mutation($i: CreateProspectInput!) { createProspect(input: $i) { id } }`, { i: { companyName: name } }, owner);
          if (result.body.data?.createProspect) acknowledged.set(result.body.data.createProspect.id, name);
          else throw new Error(JSON.stringify(result.body.errors));
        } catch (error) {
          if (!killing) throw new Error(`writer ${w} failed after ${acknowledged.size} acknowledged writes (exit ${String(target.child.exitCode)} ${String(target.child.signalCode)}): ${String(error)}\n${target.output()}`);
          failedInFlight += 1;
          return;
        }
        if (acknowledged.size >= KILL_AFTER_ACKS && !killing) killing = target.kill9();
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    await killing;
    expect(target.child.signalCode).toBe('SIGKILL');
    console.log(`durability: ${sent} writes sent, ${acknowledged.size} acknowledged before SIGKILL, ${failedInFlight} cut off in flight`);

    // Restart on the same data directory and ports.
    mesh = await startChildMesh(dataDir, ports, env);
    const restarted = mesh;
    owner = await signIn(mesh.url, 'owner@durable.test', 'a-long-password-1').then(
      (s) => s.accessToken,
      (error: unknown) => {
        throw new Error(`sign-in after restart failed (exit ${String(restarted.child.exitCode)}): ${String(error)}\n${restarted.output()}`);
      },
    );

    // Every acknowledged write is there.
    const names = new Map<string, string>();
    let after: string | null = null;
    for (;;) {
      const page: { prospects: { edges: Array<{ node: { id: string; companyName: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = dataOf(
        await gql(mesh.url, `query($after: String) { prospects(first: 100, after: $after) { edges { node { id companyName } } pageInfo { hasNextPage endCursor } } }`, { after }, owner),
      );
      for (const edge of page.prospects.edges) names.set(edge.node.id, edge.node.companyName);
      if (!page.prospects.pageInfo.hasNextPage) break;
      after = page.prospects.pageInfo.endCursor;
    }
    const lost = [...acknowledged].filter(([id, name]) => names.get(id) !== name);
    expect(lost).toEqual([]);
    expect(names.size).toBeGreaterThanOrEqual(acknowledged.size);

    // The timeline consumer sees each prospect.created exactly once (bounded wait for the relay to catch up).
    const timelineCounts = async (): Promise<Map<string, number>> => {
      const counts = new Map<string, number>();
      let cursor: string | null = null;
      for (;;) {
        const page: { timeline: { edges: Array<{ node: { subjectId: string; subjectTypename: string; kind: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = dataOf(
          await gql(mesh?.url ?? '', `query($after: String) { timeline(first: 100, after: $after) { edges { node { subjectId subjectTypename kind } } pageInfo { hasNextPage endCursor } } }`, { after: cursor }, owner),
        );
        for (const { node } of page.timeline.edges) if (node.subjectTypename === 'Prospect') counts.set(node.subjectId, (counts.get(node.subjectId) ?? 0) + 1);
        if (!page.timeline.pageInfo.hasNextPage) break;
        cursor = page.timeline.pageInfo.endCursor;
      }
      return counts;
    };
    let counts = await timelineCounts();
    for (let i = 0; i < 120 && [...names.keys()].some((id) => !counts.has(id)); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      counts = await timelineCounts();
    }
    const missing = [...names.keys()].filter((id) => !counts.has(id));
    const duplicated = [...counts].filter(([, n]) => n !== 1);
    console.log(`durability: ${names.size} prospects after restart, ${counts.size} in the timeline, ${duplicated.length} duplicated`);
    expect(missing).toEqual([]);
    expect(duplicated).toEqual([]);
    expect([...counts.keys()].filter((id) => !names.has(id))).toEqual([]);

    // Governance's audit chain consumed every write once: the hash chain verifies end to end.
    const chain = dataOf(await gql<{ verifyAuditChain: { valid: boolean; checkedCount: number; firstBrokenSeq: number | null } }>(mesh.url, `{ verifyAuditChain { valid checkedCount firstBrokenSeq } }`, {}, owner)).verifyAuditChain;
    expect(chain).toMatchObject({ valid: true, firstBrokenSeq: null });
    expect(chain.checkedCount).toBeGreaterThanOrEqual(acknowledged.size);
    await mesh.stop();
    mesh = undefined;
  }, 300_000);
});
