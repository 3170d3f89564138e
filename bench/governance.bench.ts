/**
 * Governed chat benchmark (loopback, stops by itself):
 *   ./node_modules/.bin/node bench/governance.bench.ts
 * The whole supergraph in one process (all-in-one, embedded engines, local model), the real gateway
 * over HTTP. Sends BENCH_TURNS messages (default 40) to a single-agent session and to four-agent
 * sessions (sequential, parallel), one at a time, and reports: the client-observed latency of
 * sendChatMessage (the spec's bars: < 2 s single agent, < 5 s multi-agent), the pipeline's own
 * totalMs, and the governance overhead measured separately: governanceMs (every stage but the model
 * calls) and the pure policy evaluation of one message. Writes bench/results/governance-<date>.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { BASELINE_POLICY, evaluatePolicies } from '../subgraphs/governance/domain/policy.ts';
import { dataOf, gql, signIn, startTestMesh, waitHealthy } from '../test/client.ts';

const TURNS = Number(process.env.BENCH_TURNS ?? 40);

const hardStop = setTimeout(() => {
  console.error('bench: hard time limit reached, exiting');
  process.exit(3);
}, 600_000);
hardStop.unref();

const percentile = (sorted: number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1] ?? NaN, mean: values.reduce((s, v) => s + v, 0) / (values.length || 1) };
};
const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(2));

const QUESTIONS = [
  'When does the office open on weekdays?',
  'How long does a refund take to arrive?',
  'Can I change the delivery address after ordering?',
  'Which plans include priority support?',
  'How do I invite a colleague to our workspace?',
  'What happens when my trial ends?',
  'Please refund my card 4539 1488 0343 6467 for the double charge.',
  'Is there a discount for yearly billing?',
];

const mesh = await startTestMesh();
try {
  await waitHealthy(mesh.base);
  const admin = (await signIn(mesh.url, mesh.adminEmail, mesh.adminPassword)).accessToken;
  const org = dataOf(await gql<{ createOrganization: { id: string } }>(mesh.url, `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }`, { input: { name: 'Bench Org' } }, admin)).createOrganization.id;
  await gql(mesh.url, `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, { input: { organizationId: org, email: 'bench@bench.test', name: 'Bench', roles: ['OWNER'], password: 'a-long-password-1' } }, admin);
  const token = (await signIn(mesh.url, 'bench@bench.test', 'a-long-password-1')).accessToken;

  const FACTS = 'Office hours are 9am to 5pm on weekdays. Refunds arrive within five business days. Yearly billing saves 15 percent. Priority support comes with the Business plan.';
  const single = [{ key: 'helper', name: 'Helper', role: 'FACILITATOR', instructions: FACTS }];
  const four = [
    { key: 'spark', name: 'Spark', role: 'CREATIVE', instructions: FACTS },
    { key: 'skeptic', name: 'Skeptic', role: 'CRITICAL', instructions: FACTS },
    { key: 'weaver', name: 'Weaver', role: 'SYNTHESIS', instructions: FACTS },
    { key: 'host', name: 'Host', role: 'FACILITATOR', instructions: FACTS },
  ];
  const scenarios = [
    { name: 'single agent', agents: single, pattern: 'SEQUENTIAL', bar: 2000 },
    { name: 'four agents, sequential', agents: four, pattern: 'SEQUENTIAL', bar: 5000 },
    { name: 'four agents, parallel', agents: four, pattern: 'PARALLEL', bar: 5000 },
  ];
  const rows: string[] = [];
  const SEND = `mutation($input: SendChatMessageInput!) { sendChatMessage(input: $input) { outcome totalMs governanceMs } }`;
  for (const scenario of scenarios) {
    const client: number[] = [];
    const total: number[] = [];
    const governance: number[] = [];
    const outcomes = new Map<string, number>();
    // A session per 10 turns, so no conversation grows without bound and trust stays in the standard route.
    let sessionId = '';
    for (let i = 0; i < TURNS + 3; i += 1) {
      if (i % 10 === 0) {
        sessionId = dataOf(await gql<{ createChatSession: { id: string } }>(mesh.url, `mutation($input: CreateChatSessionInput!) { createChatSession(input: $input) { id } }`, { input: { title: scenario.name, agents: scenario.agents, pattern: scenario.pattern } }, token)).createChatSession.id;
      }
      const started = performance.now();
      const turn = dataOf(await gql<{ sendChatMessage: { outcome: string; totalMs: number; governanceMs: number } }>(mesh.url, SEND, { input: { sessionId, text: QUESTIONS[i % QUESTIONS.length] } }, token)).sendChatMessage;
      const elapsed = performance.now() - started;
      if (i < 3) continue; // warm-up
      client.push(elapsed);
      total.push(turn.totalMs);
      governance.push(turn.governanceMs);
      outcomes.set(turn.outcome, (outcomes.get(turn.outcome) ?? 0) + 1);
    }
    const c = stats(client);
    const t = stats(total);
    const g = stats(governance);
    const share = governance.reduce((s, v) => s + v, 0) / total.reduce((s, v) => s + v, 0);
    rows.push(
      `| ${scenario.name} | ${TURNS} | ${ms(c.p50)} / ${ms(c.p95)} / ${ms(c.max)} | ${c.p95 < scenario.bar ? 'yes' : 'NO'} (< ${scenario.bar} ms) | ${ms(t.p50)} / ${ms(t.p95)} | ${ms(g.p50)} / ${ms(g.p95)} | ${(share * 100).toFixed(1)} % | ${[...outcomes].map(([o, n]) => `${o} ${n}`).join(', ')} |`,
    );
  }

  // The policy engine alone: the baseline on a message with a card number, many times.
  const text = 'Please refund my card 4539 1488 0343 6467 for the double charge, my email is ada@example.com.';
  const N = 20_000;
  for (let i = 0; i < 1000; i += 1) evaluatePolicies([BASELINE_POLICY], { text, point: 'INPUT', roles: ['MEMBER'], hashKey: 'k' });
  const evalStart = performance.now();
  for (let i = 0; i < N; i += 1) evaluatePolicies([BASELINE_POLICY], { text, point: 'INPUT', roles: ['MEMBER'], hashKey: 'k' });
  const perEval = (performance.now() - evalStart) / N;

  const date = new Date().toISOString().slice(0, 10);
  const report = [
    `# Governed chat benchmark, ${date}`,
    '',
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}. All-in-one mesh, embedded engines, local model; one client, one message at a time, through the gateway over HTTP; ${TURNS} measured turns per scenario after 3 warm-up turns.`,
    '',
    '| scenario | turns | client latency p50 / p95 / max (ms) | spec bar met (p95) | pipeline totalMs p50 / p95 | governanceMs p50 / p95 | governance share of pipeline | outcomes |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Policy engine alone (baseline policy, one message with a card number and an email, INPUT): ${(perEval * 1000).toFixed(1)} µs per evaluation (${N} evaluations).`,
    '',
    'governanceMs is the pipeline time minus the model calls (validation, policy checks, trust, observer, building the audited transaction; the commit itself is not inside totalMs). The client latency adds the gateway, HTTP and the commit.',
    '',
  ].join('\n');
  console.log(report);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL(`./results/governance-${date}.md`, import.meta.url), report);
} finally {
  await mesh.stop();
}
