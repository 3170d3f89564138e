import { performance } from 'node:perf_hooks';
import type { Completion } from '../../platform/ai/port.ts';
import { requirePrincipal, requireScope, type RequestContext, type TenantScope } from '../../platform/context.ts';
import { inputError } from '../../platform/errors.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import { clampFirst } from '../../platform/store/transaction.ts';
import { connectionOf } from './audit.ts';
import { pickLead, reviewPairs, subtaskFor, synthesisRationale, type CollaborationPattern } from './domain/collaboration.ts';
import { ACTION_SEVERITY, evaluatePolicies, type PolicyAction, type PolicyBody, type PolicyEvaluation } from './domain/policy.ts';
import { agentPolicies, withRegisteredAgents } from './agents.ts';
import { actorOf, policiesFor } from './policies.ts';
import { collaborationRuns, policyDecisions, type AgentCollaborationRunModel, type AgentMessageDoc, type AgentRole, type ChatAgentConfig, type ContributionDoc, type ContributionKind } from './store.ts';

const KEY = /^[a-z0-9][a-z0-9-]{0,39}$/;

const ROLE_SYSTEM: Record<AgentRole, string> = {
  CREATIVE: 'You are the creative agent: propose ideas and options.',
  CRITICAL: 'You are the critical agent: find risks, gaps and unsupported claims.',
  SYNTHESIS: 'You are the synthesis agent: combine contributions into one answer.',
  FACILITATOR: 'You are the facilitator: structure the work and keep it on track.',
};

export interface LaunchCollaborationArgs {
  goal: string;
  pattern: CollaborationPattern;
  agents: ReadonlyArray<{ key: string; name: string; role?: AgentRole | null; instructions: string }>;
  registeredAgentKeys?: readonly string[] | null;
}

interface Governed {
  contribution: ContributionDoc;
  /** The text other agents may see (REDACT applied); null when withheld. */
  shared: string | null;
}

const worst = (a: PolicyAction, b: PolicyAction): PolicyAction => (ACTION_SEVERITY[b] > ACTION_SEVERITY[a] ? b : a);
const firstLine = (text: string): string => (text.split('\n').find((l) => l.trim()) ?? '').slice(0, 200);

/**
 * Runs a multi-agent collaboration. Every agent call goes through the governance wrapper: its prompt
 * and its output are evaluated at PROCESSING; withheld outputs are never shared with other agents.
 */
export const launchCollaboration = async (deps: SubgraphDeps, ctx: RequestContext, hashKey: (scope: TenantScope) => string, input: LaunchCollaborationArgs): Promise<AgentCollaborationRunModel> => {
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  const started = performance.now();
  const goalText = input.goal.trim();
  if (goalText.length < 1 || goalText.length > 4000) throw inputError('input.goal', 'Goal must be 1–4000 characters', 'Describe what the agents should work out.');
  const keys = new Set<string>();
  const inline: ChatAgentConfig[] = input.agents.map((a, i) => {
    const key = a.key.trim();
    if (!KEY.test(key) || keys.has(key) || key === 'system') throw inputError(`input.agents[${i}].key`, `Agent key "${key.slice(0, 40)}" is invalid or repeated`, 'Use a unique key of a-z, 0-9 and dashes (not "system").');
    keys.add(key);
    const name = a.name.trim();
    if (name.length < 1 || name.length > 80) throw inputError(`input.agents[${i}].name`, 'Agent name must be 1–80 characters', 'Name the agent.');
    if (a.instructions.length > 8000) throw inputError(`input.agents[${i}].instructions`, 'Instructions are longer than 8000 characters', 'Shorten them.');
    return { key, name, role: a.role ?? 'FACILITATOR', instructions: a.instructions.trim() };
  });
  const agents = await withRegisteredAgents(deps, scope, inline, input.registeredAgentKeys, 'input.registeredAgentKeys');
  if (agents.length < 2 || agents.length > 8) throw inputError('input.agents', 'A collaboration has 2–8 agents', 'Add agents (inline or registered) with roles CREATIVE, CRITICAL, SYNTHESIS or FACILITATOR.');
  const key = hashKey(scope);
  const bodies: PolicyBody[] = await policiesFor(deps, scope, { includeBaseline: true, policyIds: null });
  const ownPolicies = await agentPolicies(deps, scope, agents);
  /** Evaluates at a point: the organization's policies, plus the agent's own at PROCESSING. */
  const evaluate = (text: string, point: 'INPUT' | 'PROCESSING', agentKey: string | null = null): PolicyEvaluation => {
    decisions += 1;
    return evaluatePolicies([...bodies, ...(agentKey ? (ownPolicies.get(agentKey) ?? []) : [])], { text, point, roles: principal.roles, hashKey: key });
  };
  let decisions = 0;
  let calls = 0;
  const goalEval = evaluate(goalText, 'INPUT');
  const contributions: ContributionDoc[] = [];
  const messages: AgentMessageDoc[] = [];

  const governed = async (agent: ChatAgentConfig | null, task: 'answer' | 'critique' | 'synthesize', prompt: string, kind: ContributionKind, round: number): Promise<Governed> => {
    const pre = evaluate(prompt, 'PROCESSING', agent?.key ?? null);
    const agentKey = agent?.key ?? 'system';
    const role = agent?.role ?? 'SYSTEM';
    if (pre.forwardText === null) {
      const provenance = deps.provenance.build({ method: 'RULE', inputs: { inputDigest: pre.inputDigest }, explanation: `Agent call withheld by policy before the model (${pre.outcome})`, confidence: 1 }, ctx.correlationId);
      const contribution: ContributionDoc = { agentKey, role, kind, round, text: '', outcome: pre.outcome, matches: pre.matches, confidence: 0, provenance };
      contributions.push(contribution);
      return { contribution, shared: null };
    }
    calls += 1;
    const completion: Completion = await deps.ai.complete(scope, { task, system: agent ? `${ROLE_SYSTEM[agent.role]} ${agent.instructions}`.trim() : 'Combine the contributions.', prompt: pre.forwardText });
    const post = evaluate(completion.text, 'PROCESSING', agent?.key ?? null);
    const outcome = worst(pre.outcome, post.outcome);
    const provenance = deps.provenance.build(
      { method: completion.method, inputs: { promptDigest: completion.promptDigest }, model: completion.model, modelVersion: completion.modelVersion, confidence: completion.confidence, explanation: `${kind.toLowerCase()} by ${agent?.name ?? 'the system synthesizer'} (${role}), governed at PROCESSING: ${outcome}${completion.fallbackReason ? `; fallback: ${completion.fallbackReason}` : ''}` },
      ctx.correlationId,
    );
    const contribution: ContributionDoc = { agentKey, role, kind, round, text: post.redactedText, outcome, matches: [...pre.matches, ...post.matches], confidence: completion.confidence, provenance };
    contributions.push(contribution);
    return { contribution, shared: ACTION_SEVERITY[outcome] >= ACTION_SEVERITY.ESCALATE ? null : post.forwardText };
  };
  const answerPrompt = (agent: ChatAgentConfig, task: string, shared: readonly string[]): string => `Question: ${task}\nContext: ${[agent.instructions, ...shared].filter(Boolean).join('\n')}`;

  let result: AgentCollaborationRunModel['result'] = null;
  if (goalEval.forwardText !== null) {
    const goal = goalEval.forwardText;
    const answers: Array<{ agent: ChatAgentConfig; governed: Governed }> = [];
    let synthesizer: ChatAgentConfig | null = agents.find((a) => a.role === 'SYNTHESIS') ?? null;
    let reviews = 0;
    if (input.pattern === 'SEQUENTIAL') {
      for (const [i, agent] of agents.entries()) {
        const shared = answers.map((a) => a.governed.shared).filter((s): s is string => s !== null);
        if (i > 0) messages.push({ from: agents[i - 1].key, to: agent.key, type: 'SHARE', summary: `${shared.length} earlier contribution(s) shared`, round: i + 1 });
        answers.push({ agent, governed: await governed(agent, 'answer', answerPrompt(agent, goal, shared), 'ANSWER', i + 1) });
      }
    } else if (input.pattern === 'PARALLEL') {
      const done = await Promise.all(agents.map(async (agent) => ({ agent, governed: await governed(agent, 'answer', answerPrompt(agent, goal, []), 'ANSWER', 1) })));
      answers.push(...done);
    } else if (input.pattern === 'HIERARCHICAL') {
      const lead = pickLead(agents);
      synthesizer = lead;
      await governed(lead, 'answer', answerPrompt(lead, subtaskFor(goal, 'FACILITATOR'), []), 'PLAN', 1);
      const team = agents.filter((a) => a.key !== lead.key);
      for (const agent of team) messages.push({ from: lead.key, to: agent.key, type: 'DELEGATE', summary: subtaskFor('the goal', agent.role), round: 1 });
      const done = await Promise.all(team.map(async (agent) => ({ agent, governed: await governed(agent, 'answer', answerPrompt(agent, subtaskFor(goal, agent.role), []), 'ANSWER', 2) })));
      answers.push(...done);
    } else {
      const authors = agents.filter((a) => a.role !== 'SYNTHESIS');
      const done = await Promise.all(authors.map(async (agent) => ({ agent, governed: await governed(agent, 'answer', answerPrompt(agent, goal, []), 'ANSWER', 1) })));
      answers.push(...done);
      for (const pair of reviewPairs(agents)) {
        const author = answers.find((a) => a.agent.key === pair.author);
        const reviewer = agents.find((a) => a.key === pair.reviewer);
        if (!author?.governed.shared || !reviewer) continue;
        const review = await governed(reviewer, 'critique', author.governed.shared, 'REVIEW', 2);
        reviews += 1;
        messages.push({ from: reviewer.key, to: author.agent.key, type: 'REVIEW', summary: review.shared ? firstLine(review.shared) : 'review withheld by policy', round: 2 });
      }
      for (const a of authors) messages.push({ from: synthesizer?.key ?? 'system', to: a.key, type: 'NEGOTIATE', summary: 'Consensus proposal: points supported by more agents rank first', round: 3 });
    }
    const usable = answers.map((a) => a.governed.shared).filter((s): s is string => s !== null);
    const synthesis = usable.length ? await governed(synthesizer, 'synthesize', usable.map((s) => `- ${s.replace(/\n+/g, ' ')}`).join('\n'), 'SYNTHESIS', 9) : null;
    const why = synthesisRationale(answers.map((a) => ({ agentKey: a.agent.key, outcome: a.governed.contribution.outcome, confidence: a.governed.contribution.confidence })), synthesis?.contribution.confidence ?? 0, reviews);
    if (synthesis) {
      const confidence = Math.min(1, Math.max(0, why.confidence));
      result = {
        text: synthesis.contribution.text,
        rationale: why.rationale,
        confidence,
        synthesizedBy: synthesizer?.key ?? 'system',
        provenance: deps.provenance.build({ method: synthesis.contribution.provenance.method, inputs: { contributions: why.used, synthesis: synthesis.contribution.provenance.inputsDigest }, model: synthesis.contribution.provenance.model, modelVersion: synthesis.contribution.provenance.modelVersion, confidence, explanation: why.rationale }, ctx.correlationId),
      };
    }
  }
  const status = result ? 'COMPLETED' : 'BLOCKED';
  const provenance = deps.provenance.build({ method: 'RULE', inputs: { goalDigest: goalEval.inputDigest, pattern: input.pattern, agents: agents.map((a) => a.key) }, explanation: `${input.pattern.toLowerCase()} collaboration of ${agents.length} agents: ${status.toLowerCase()}`, confidence: 1 }, ctx.correlationId);
  const auditSummary = {
    agentCalls: calls,
    policyDecisions: decisions,
    withheldContributions: contributions.filter((c) => ACTION_SEVERITY[c.outcome] >= ACTION_SEVERITY.ESCALATE).length,
    redactions: [...goalEval.matches, ...contributions.flatMap((c) => c.matches)].filter((m) => m.action === 'REDACT').reduce((n, m) => n + m.count, 0),
    totalMs: Math.round((performance.now() - started) * 1000) / 1000,
  };
  return deps.store.transaction(scope, { action: 'governance.launchCollaboration', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const decision = tx.insert(
      policyDecisions,
      { point: 'INPUT', outcome: goalEval.outcome, inputDigest: goalEval.inputDigest, policyRevisions: goalEval.policyRevisions, matches: goalEval.matches, redactedText: goalEval.redactedText, sessionId: null, turnId: null, roles: [...principal.roles] },
      deps.provenance.build({ method: 'RULE', inputs: { inputDigest: goalEval.inputDigest }, explanation: `Policy decision on a collaboration goal: ${goalEval.outcome}`, confidence: 1 }, ctx.correlationId),
    );
    const run = tx.insert(collaborationRuns, { goal: goalEval.redactedText, goalDecisionId: decision.id, pattern: input.pattern, agents, status, contributions, messages, result, auditSummary }, provenance);
    tx.emit({ type: 'collaboration.run.completed', topic: 'governance_events', subject: { typename: 'AgentCollaborationRun', id: run.id }, payload: { pattern: input.pattern, status, agentCalls: calls } }, provenance);
    return run;
  });
};

export const listCollaborationRuns = async (deps: SubgraphDeps, ctx: RequestContext, args: { first?: number | null; after?: string | null }) =>
  connectionOf(await deps.store.collection(collaborationRuns).page(requireScope(ctx), {}, { first: clampFirst(args.first), after: args.after }));
