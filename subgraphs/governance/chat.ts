import { performance } from 'node:perf_hooks';
import { requirePrincipal, requireScope, type RequestContext, type TenantScope } from '../../platform/context.ts';
import { DomainError, inputError, notFound } from '../../platform/errors.ts';
import type { Completion } from '../../platform/ai/port.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import type { Transaction } from '../../platform/store/port.ts';
import { clampFirst } from '../../platform/store/transaction.ts';
import { newId } from '../../platform/ids.ts';
import { evaluateObserver, type ObserverAction, type ObserverFinding } from './domain/observer.ts';
import { ACTION_SEVERITY, evaluatePolicies, type PolicyAction, type PolicyBody, type PolicyEvaluation, type RuleMatch } from './domain/policy.ts';
import { evidenceOfOutcome, recoverTrust, routeByTrust, TRUST_BASELINE, decayTowardBaseline, updateTrust, type EvidenceKind, type TrustKind, type TrustUpdate, type TurnRoute } from './domain/trust.ts';
import { connectionOf } from './audit.ts';
import { agentPolicies, withRegisteredAgents } from './agents.ts';
import { actorOf, policiesFor } from './policies.ts';
import {
  chatMessages,
  chatSessions,
  chatTurns,
  interventions,
  policies,
  policyDecisions,
  trustChanges,
  trustScores,
  type AgentRole,
  type ChatAgentConfig,
  type ChatMessageModel,
  type ChatMode,
  type ChatPattern,
  type ChatSessionModel,
  type ChatTurnModel,
  type ChatTurnOutcome,
  type ObserverInterventionModel,
  type PipelineStageDoc,
  type PipelineStageName,
  type PipelineStageOutcome,
  type TrustScoreDoc,
} from './store.ts';
import type { Stored } from '../../platform/store/port.ts';

const MAX_TEXT = 8000;
const KEY = /^[a-z0-9][a-z0-9-]{0,39}$/;

export interface CreateChatSessionArgs {
  title: string;
  mode?: ChatMode | null;
  pattern?: ChatPattern | null;
  agents: ReadonlyArray<{ key: string; name: string; role?: AgentRole | null; instructions: string }>;
  includeBaseline?: boolean | null;
  policyIds?: readonly string[] | null;
  registeredAgentKeys?: readonly string[] | null;
}

export const createChatSession = async (deps: SubgraphDeps, ctx: RequestContext, input: CreateChatSessionArgs): Promise<ChatSessionModel> => {
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  const title = input.title.trim();
  if (title.length < 1 || title.length > 120) throw inputError('input.title', 'Title must be 1–120 characters', 'Give the conversation a short title.');
  const keys = new Set<string>();
  const inline: ChatAgentConfig[] = input.agents.map((agent, i) => {
    const key = agent.key.trim();
    if (!KEY.test(key) || keys.has(key)) throw inputError(`input.agents[${i}].key`, `Agent key "${key.slice(0, 40)}" is invalid or repeated`, 'Use a unique key of a-z, 0-9 and dashes.');
    keys.add(key);
    const name = agent.name.trim();
    if (name.length < 1 || name.length > 80) throw inputError(`input.agents[${i}].name`, 'Agent name must be 1–80 characters', 'Name the agent.');
    const instructions = agent.instructions.trim();
    if (instructions.length < 1 || instructions.length > MAX_TEXT) throw inputError(`input.agents[${i}].instructions`, `Instructions must be 1–${MAX_TEXT} characters`, 'Describe what the agent knows and does.');
    return { key, name, role: agent.role ?? 'FACILITATOR', instructions };
  });
  const agents = await withRegisteredAgents(deps, scope, inline, input.registeredAgentKeys, 'input.registeredAgentKeys');
  const mode: ChatMode = input.mode ?? (agents.length > 1 ? 'MULTI' : 'SINGLE');
  if (mode === 'SINGLE' && agents.length !== 1) throw inputError('input.agents', 'A SINGLE session has exactly one agent', 'Give one agent (inline or registered), or use mode MULTI.');
  if (mode === 'MULTI' && (agents.length < 2 || agents.length > 6)) throw inputError('input.agents', 'A MULTI session has 2–6 agents', 'Add agents, or use mode SINGLE.');
  const policyIds = input.policyIds ? [...new Set(input.policyIds)] : null;
  if (policyIds?.length) {
    const found = await deps.store.collection(policies).getMany(scope, policyIds);
    const missing = policyIds.filter((_, i) => !found[i]);
    if (missing.length) throw inputError('input.policyIds', `Unknown policy ${missing[0].slice(0, 40)}`, 'Use ids from the policies query.');
  }
  const doc = { title, userId: principal.subject, mode, pattern: input.pattern ?? 'SEQUENTIAL', agents, includeBaseline: input.includeBaseline ?? true, policyIds, status: 'ACTIVE' as const, turnCount: 0, lastActivityAt: new Date().toISOString() };
  const provenance = deps.provenance.build({ method: 'HUMAN', inputs: doc, explanation: 'Chat session started by a user' }, ctx.correlationId);
  return deps.store.transaction(scope, { action: 'governance.createChatSession', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const session = tx.insert(chatSessions, doc, provenance);
    tx.emit({ type: 'chat.session.created', topic: 'governance_events', subject: { typename: 'ChatSession', id: session.id }, payload: { mode, agentCount: agents.length } }, provenance);
    return session;
  });
};

const OUTCOME_FOR_ACTION: Record<ObserverAction, 'ACTIVE' | 'AWAITING_HUMAN' | 'ENDED'> = { WARN: 'ACTIVE', REQUIRE_REVIEW: 'ACTIVE', HAND_TO_HUMAN: 'AWAITING_HUMAN', END_SESSION: 'ENDED' };

/** Stage outcome of a policy outcome. */
const stageOutcomeOf = (outcome: PolicyAction): PipelineStageOutcome => (outcome === 'BLOCK' || outcome === 'ESCALATE' ? 'BLOCKED' : outcome === 'ALLOW' ? 'PASSED' : 'FLAGGED');

/** Turn outcome from the input and output decisions and the route. */
export const turnOutcomeOf = (input: PolicyAction, output: PolicyAction | null, route: TurnRoute): ChatTurnOutcome => {
  const all = [input, output ?? 'ALLOW'];
  if (all.includes('BLOCK')) return 'BLOCKED';
  if (all.includes('ESCALATE') || route === 'HUMAN') return 'ESCALATED';
  if (all.includes('REDACT')) return 'REDACTED';
  if (all.includes('WARN')) return 'WARNED';
  return 'DELIVERED';
};

/** In strict mode a warning is treated as an escalation. */
const strictly = (outcome: PolicyAction, route: TurnRoute): PolicyAction => (route === 'STRICT' && outcome === 'WARN' ? 'ESCALATE' : outcome);

const summary = (evaluation: PolicyEvaluation): string =>
  evaluation.matches.length ? `${evaluation.outcome}: ${evaluation.matches.map((m) => `${m.kind}(${m.detectors.join('/')})→${m.action}`).join(', ')}` : 'no rule matched';

interface ScoreState {
  kind: TrustKind;
  subjectId: string;
  existing: Stored<TrustScoreDoc> | null;
  score: number;
  hours: number;
}

const loadScores = async (deps: SubgraphDeps, scope: TenantScope, subjects: ReadonlyArray<{ kind: TrustKind; subjectId: string }>, now: number): Promise<ScoreState[]> => {
  const reader = deps.store.collection(trustScores);
  return Promise.all(
    subjects.map(async ({ kind, subjectId }) => {
      const existing = await reader.findOne(scope, { kind, subjectId });
      return { kind, subjectId, existing, score: existing?.score ?? TRUST_BASELINE, hours: existing ? (now - Date.parse(existing.changedAt)) / 3_600_000 : 0 };
    }),
  );
};

interface AgentAnswer {
  agent: ChatAgentConfig;
  completion: Completion;
  processing: PolicyEvaluation;
}

const ROLE_PROMPTS: Record<AgentRole, string> = {
  CREATIVE: 'You propose ideas and options.',
  CRITICAL: 'You look for risks, gaps and unsupported claims.',
  SYNTHESIS: 'You combine contributions into one answer.',
  FACILITATOR: 'You answer helpfully and keep the conversation on track.',
};

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/**
 * Sends a message through the eight-stage governance pipeline. Every stage's outcome and duration is
 * recorded on the turn; everything is written in one audited transaction at the end.
 */
export const sendChatMessage = async (deps: SubgraphDeps, ctx: RequestContext, hashKey: (scope: TenantScope) => string, input: { sessionId: string; text: string }): Promise<ChatTurnModel> => {
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  const started = performance.now();
  const pipeline: PipelineStageDoc[] = [];
  let modelMs = 0;
  const record = (stage: PipelineStageName, from: number, outcome: PipelineStageOutcome, detail: string): void => {
    pipeline.push({ stage, outcome, durationMs: round3(performance.now() - from), detail });
  };
  const skip = (stage: PipelineStageName, detail: string): void => {
    pipeline.push({ stage, outcome: 'SKIPPED', durationMs: 0, detail });
  };
  const key = hashKey(scope);

  // 1. Input validation
  let t = performance.now();
  const session = await deps.store.collection(chatSessions).get(scope, input.sessionId);
  if (!session) throw notFound('ChatSession');
  if (session.status !== 'ACTIVE') throw new DomainError('FORBIDDEN', `This session is ${session.status === 'ENDED' ? 'ended' : 'waiting for a person'}`, { hint: 'Start a new session, or wait until a person has reviewed this one.', rootCause: `session status ${session.status}` });
  // eslint-disable-next-line no-control-regex
  const text = input.text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '').trim();
  if (text.length < 1 || text.length > MAX_TEXT) throw inputError('input.text', `Message must be 1–${MAX_TEXT} characters`, 'Type a message, or split a long one.');
  record('INPUT_VALIDATION', t, 'PASSED', `${text.length} characters after removing control characters`);

  // 2. Governance pre-check
  t = performance.now();
  const bodies: PolicyBody[] = await policiesFor(deps, scope, session);
  const ownPolicies = await agentPolicies(deps, scope, session.agents);
  const inputEval = evaluatePolicies(bodies, { text, point: 'INPUT', roles: principal.roles, hashKey: key });
  // The conversation flow (INTERACTION): only when a policy of the session has rules there.
  const hasInteractionRules = bodies.some((b) => b.enabled && b.rules.some((r) => r.points.includes('INTERACTION')));
  const flow = hasInteractionRules ? { messageTimes: (await deps.store.collection(chatMessages).find(scope, { sessionId: session.id, role: 'USER' }, { sort: { field: 'createdAt', direction: -1 }, limit: 500 })).map((m) => Date.parse(m.createdAt)), now: Date.now() } : null;
  const interactionEval = flow ? evaluatePolicies(bodies, { text, point: 'INTERACTION', roles: principal.roles, hashKey: key, flow }) : null;
  const preOutcome = interactionEval && ACTION_SEVERITY[interactionEval.outcome] > ACTION_SEVERITY[inputEval.outcome] ? interactionEval.outcome : inputEval.outcome;
  const preMatches = [...inputEval.matches, ...(interactionEval?.matches ?? [])];
  record('GOVERNANCE_PRE_CHECK', t, stageOutcomeOf(preOutcome), `${bodies.length} policies; input ${summary(inputEval)}${interactionEval ? `; interaction ${summary(interactionEval)}` : ''}`);

  // 3. Trust assessment
  t = performance.now();
  const now = Date.now();
  const subjects = [
    { kind: 'USER' as const, subjectId: session.userId },
    { kind: 'CONVERSATION' as const, subjectId: session.id },
    ...session.agents.map((a) => ({ kind: 'AGENT' as const, subjectId: a.key })),
    { kind: 'SYSTEM' as const, subjectId: 'system' },
  ];
  const scores = await loadScores(deps, scope, subjects, now);
  const userState = scores[0];
  const conversationState = scores[1];
  const inputEvidence: EvidenceKind[] = preOutcome === 'ALLOW' ? [] : [evidenceOfOutcome(preOutcome)];
  const userUpdate = updateTrust(userState.score, userState.hours, inputEvidence);
  const conversationBefore = decayTowardBaseline(conversationState.score, conversationState.hours);
  const conversationInput = updateTrust(conversationState.score, conversationState.hours, inputEvidence);
  const route = routeByTrust(userUpdate.newScore, conversationInput.newScore);
  record('TRUST_ASSESSMENT', t, route === 'HUMAN' ? 'BLOCKED' : route === 'STRICT' ? 'FLAGGED' : 'PASSED', `user ${userUpdate.oldScore}→${userUpdate.newScore}, conversation ${conversationState.score}→${conversationInput.newScore}; route ${route}`);

  // 4. Agent routing
  t = performance.now();
  const inputOutcome = strictly(preOutcome, route);
  const proceed = ACTION_SEVERITY[inputOutcome] < ACTION_SEVERITY.ESCALATE && route !== 'HUMAN';
  if (!proceed) record('AGENT_ROUTING', t, 'BLOCKED', route === 'HUMAN' ? 'trust too low: handed to a person' : `input ${inputOutcome}: no agent called`);
  else record('AGENT_ROUTING', t, 'PASSED', session.mode === 'SINGLE' ? `single agent ${session.agents[0].key}` : `${session.agents.length} agents, ${session.pattern.toLowerCase()}, then synthesis`);

  // 5. Response generation (every agent call through the governance wrapper)
  let answers: AgentAnswer[] = [];
  let final: { text: string; completion: Completion } | null = null;
  if (proceed && inputEval.forwardText !== null) {
    t = performance.now();
    const question = inputEval.forwardText;
    const callAgent = async (agent: ChatAgentConfig, shared: readonly AgentAnswer[]): Promise<AgentAnswer> => {
      const context = [agent.instructions, ...shared.map((s) => `${s.agent.name}: ${s.processing.forwardText ?? ''}`)].join('\n');
      const m = performance.now();
      const completion = await deps.ai.complete(scope, { task: 'answer', system: ROLE_PROMPTS[agent.role], prompt: `Question: ${question}\nContext: ${context}` });
      modelMs += performance.now() - m;
      return { agent, completion, processing: evaluatePolicies([...bodies, ...(ownPolicies.get(agent.key) ?? [])], { text: completion.text, point: 'PROCESSING', roles: principal.roles, hashKey: key }) };
    };
    if (session.mode === 'SINGLE' || session.pattern === 'SEQUENTIAL') {
      for (const agent of session.agents) answers.push(await callAgent(agent, session.mode === 'MULTI' ? answers : []));
    } else {
      answers = await Promise.all(session.agents.map((agent) => callAgent(agent, [])));
    }
    const usable = answers.filter((a) => a.processing.forwardText !== null);
    if (session.mode === 'SINGLE') {
      final = usable[0] ? { text: usable[0].processing.forwardText ?? '', completion: usable[0].completion } : null;
    } else if (usable.length) {
      const m = performance.now();
      const completion = await deps.ai.complete(scope, { task: 'synthesize', prompt: usable.map((a) => `- ${a.processing.forwardText ?? ''}`).join('\n') });
      modelMs += performance.now() - m;
      final = { text: completion.text, completion };
    }
    const blockedAgents = answers.length - usable.length;
    record('RESPONSE_GENERATION', t, final ? (blockedAgents ? 'FLAGGED' : 'PASSED') : 'BLOCKED', `${answers.length} agent call(s)${blockedAgents ? `, ${blockedAgents} withheld by processing policies` : ''}; model ${answers[0]?.completion.model ?? 'none'}${answers.some((a) => a.completion.fallbackReason) ? ' (fallback)' : ''}`);
  } else {
    skip('RESPONSE_GENERATION', 'no response generated');
  }

  // 6. Governance post-check
  t = performance.now();
  const outputEval = final ? evaluatePolicies(bodies, { text: final.text, point: 'OUTPUT', roles: principal.roles, hashKey: key }) : null;
  const outputOutcome = outputEval ? strictly(outputEval.outcome, route) : null;
  if (outputEval && outputOutcome) record('GOVERNANCE_POST_CHECK', t, stageOutcomeOf(outputOutcome), summary(outputEval));
  else skip('GOVERNANCE_POST_CHECK', 'no response to check');

  // 7. Observer evaluation (and the rest of the trust updates)
  t = performance.now();
  const confidence = final?.completion.confidence ?? null;
  // When processing policies withheld every answer there is no output decision: the turn's response outcome is theirs.
  const processingWorst = answers.reduce<PolicyAction>((w, a) => (ACTION_SEVERITY[a.processing.outcome] > ACTION_SEVERITY[w] ? a.processing.outcome : w), 'ALLOW');
  const responseOutcome: PolicyAction | null = outputOutcome ?? (answers.length && !final ? processingWorst : null);
  const turnEvidence: EvidenceKind[] = [...inputEvidence, ...(responseOutcome && responseOutcome !== 'ALLOW' ? [evidenceOfOutcome(responseOutcome)] : [])];
  const clean = turnEvidence.length === 0 && proceed;
  const conversationUpdate = updateTrust(conversationState.score, conversationState.hours, clean ? ['CLEAN_TURN'] : turnEvidence);
  const userFinal = clean ? updateTrust(userState.score, userState.hours, ['CLEAN_TURN']) : userUpdate;
  const agentUpdates = scores
    .filter((s) => s.kind === 'AGENT')
    .map((s) => {
      const answer = answers.find((a) => a.agent.key === s.subjectId);
      if (!answer) return null;
      const evidence: EvidenceKind[] = [answer.processing.outcome === 'ALLOW' ? 'CLEAN_TURN' : evidenceOfOutcome(answer.processing.outcome), ...(answer.completion.confidence < 0.3 ? (['LOW_QUALITY'] as const) : [])];
      return { state: s, update: updateTrust(s.score, s.hours, evidence) };
    })
    .filter((u): u is NonNullable<typeof u> => u !== null);
  const systemState = scores[scores.length - 1];
  const systemUpdate = answers.length ? updateTrust(systemState.score, systemState.hours, answers.some((a) => a.completion.fallbackReason) ? ['MODEL_FALLBACK'] : ['CLEAN_TURN']) : null;
  const allMatches = [...preMatches, ...answers.flatMap((a) => a.processing.matches), ...(outputEval?.matches ?? [])];
  const findings: ObserverFinding[] =
    route === 'HUMAN'
      ? [{ trigger: 'TRUST_DROP', action: 'HAND_TO_HUMAN', outcome: 'HANDED_TO_HUMAN', reason: `trust under 0.3 (user ${userUpdate.newScore}, conversation ${conversationInput.newScore})` }]
      : evaluateObserver({ inputOutcome, outputOutcome: responseOutcome, matches: allMatches, conversationTrustBefore: conversationBefore, conversationTrustAfter: conversationUpdate.newScore, userTrustAfter: userFinal.newScore, responseConfidence: confidence });
  const stopping = findings.map((f) => OUTCOME_FOR_ACTION[f.action]);
  const newStatus = stopping.includes('ENDED') ? 'ENDED' : stopping.includes('AWAITING_HUMAN') ? 'AWAITING_HUMAN' : 'ACTIVE';
  record('OBSERVER_EVALUATION', t, findings.length ? (newStatus === 'ACTIVE' ? 'FLAGGED' : 'BLOCKED') : 'PASSED', findings.length ? findings.map((f) => `${f.trigger}→${f.action}`).join(', ') : 'no intervention');

  // 8. Audit logging: one audited transaction with everything
  t = performance.now();
  const outcome = turnOutcomeOf(inputOutcome, responseOutcome, route);
  const turnId = newId();
  const turnProvenance = deps.provenance.build({ method: 'RULE', inputs: { inputDigest: inputEval.inputDigest, outcome, route }, explanation: `Governance pipeline: ${outcome.toLowerCase()}`, confidence: 1 }, ctx.correlationId);
  const observerProvenance = deps.provenance.build({ method: 'RULE', inputs: { findings }, explanation: 'Observer rules on the turn', confidence: 1 }, ctx.correlationId);
  const trustProvenance = deps.provenance.build({ method: 'STATISTICAL', inputs: { turnEvidence }, explanation: 'Evidence-weighted trust update with 24 h half-life decay toward 0.7' }, ctx.correlationId);

  return deps.store.transaction(scope, { action: 'governance.sendChatMessage', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx: Transaction) => {
    const decision = (evaluation: PolicyEvaluation): string =>
      tx.insert(
        policyDecisions,
        { point: evaluation.point, outcome: evaluation.outcome, inputDigest: evaluation.inputDigest, policyRevisions: evaluation.policyRevisions, matches: evaluation.matches, redactedText: evaluation.redactedText, sessionId: session.id, turnId, roles: [...principal.roles] },
        deps.provenance.build({ method: 'RULE', inputs: { inputDigest: evaluation.inputDigest, revisions: evaluation.policyRevisions }, explanation: `Policy decision at ${evaluation.point}: ${evaluation.outcome}`, confidence: 1 }, ctx.correlationId),
      ).id;
    const inputDecisionId = decision(inputEval);
    const interactionDecisionId = interactionEval ? decision(interactionEval) : null;
    const message = (role: 'USER' | 'ASSISTANT' | 'SYSTEM', body: string, agentKey: string | null, decisionId: string | null, provenance: ProvenanceRecord): ChatMessageModel =>
      tx.insert(chatMessages, { sessionId: session.id, turnId, role, text: body, agentKey, decisionId }, provenance);
    const modelProvenance = (c: Completion, what: string): ProvenanceRecord =>
      deps.provenance.build({ method: c.method, inputs: { promptDigest: c.promptDigest }, model: c.model, modelVersion: c.modelVersion, confidence: c.confidence, explanation: `${what}${c.fallbackReason ? `; fallback: ${c.fallbackReason}` : ''}` }, ctx.correlationId);
    const userMessage = message('USER', inputEval.redactedText, null, inputDecisionId, deps.provenance.build({ method: 'HUMAN', inputs: { inputDigest: inputEval.inputDigest }, explanation: 'Message from the user, stored redacted' }, ctx.correlationId));
    const responses: ChatMessageModel[] = [];
    if (session.mode === 'MULTI') {
      for (const a of answers) responses.push(message('ASSISTANT', a.processing.redactedText, a.agent.key, decision(a.processing), modelProvenance(a.completion, `Contribution of ${a.agent.name} (${a.agent.role})`)));
    }
    let outputDecisionId: string | null = null;
    if (outputEval && final) {
      outputDecisionId = decision(outputEval);
      const withheld = outputOutcome === 'BLOCK' || outputOutcome === 'ESCALATE';
      responses.push(
        withheld
          ? message('SYSTEM', `The response was withheld by policy (${outputOutcome}).`, null, outputDecisionId, turnProvenance)
          : message('ASSISTANT', outputEval.redactedText, session.mode === 'SINGLE' ? session.agents[0].key : 'synthesis', outputDecisionId, modelProvenance(final.completion, session.mode === 'SINGLE' ? `Answer of ${session.agents[0].name}` : 'Synthesis of the agents’ contributions')),
      );
    } else {
      const kindsOf = (matches: readonly RuleMatch[], action: PolicyAction): string => [...new Set(matches.filter((m) => m.action === action).map((m) => m.kind))].sort().join(', ');
      const notice =
        route === 'HUMAN'
          ? 'A person will take over this conversation.'
          : proceed
            ? `The response was withheld by policy (${processingWorst}: ${kindsOf(answers.flatMap((a) => a.processing.matches), processingWorst)}).`
            : `Your message was not processed (${inputOutcome}: ${kindsOf(preMatches, inputOutcome) || kindsOf(preMatches, 'WARN')}).`;
      responses.push(message('SYSTEM', notice, null, inputDecisionId, turnProvenance));
    }
    const changeIds: string[] = [];
    const applyTrust = (state: ScoreState, update: TrustUpdate): void => {
      const id = writeTrust(tx, state, update, { sessionId: session.id, turnId }, trustProvenance);
      if (id) changeIds.push(id);
    };
    applyTrust(userState, userFinal);
    applyTrust(conversationState, conversationUpdate);
    for (const { state, update } of agentUpdates) applyTrust(state, update);
    if (systemUpdate) applyTrust(systemState, systemUpdate);
    const interventionIds = findings.map((f) => {
      const intervention = tx.insert(interventions, { sessionId: session.id, turnId, trigger: f.trigger, action: f.action, outcome: f.outcome, reason: f.reason }, observerProvenance);
      tx.emit({ type: 'observer.intervention', topic: 'observer_events', subject: { typename: 'ObserverIntervention', id: intervention.id }, payload: { sessionId: session.id, trigger: f.trigger, action: f.action, outcome: f.outcome } }, observerProvenance);
      return intervention.id;
    });
    tx.update(chatSessions, session, { status: newStatus, turnCount: session.turnCount + 1, lastActivityAt: new Date().toISOString() });
    record('AUDIT_LOGGING', t, 'PASSED', `turn, ${responses.length + 1} messages, decisions, ${changeIds.length} trust changes and ${interventionIds.length} interventions in one audited transaction (duration excludes the commit)`);
    const totalMs = round3(performance.now() - started);
    const turn = tx.insert(
      chatTurns,
      { id: turnId, sessionId: session.id, outcome, route, userMessageId: userMessage.id, responseMessageIds: responses.map((r) => r.id), inputDecisionId, interactionDecisionId, outputDecisionId, pipeline, interventionIds, trustChangeIds: changeIds, totalMs, governanceMs: round3(totalMs - modelMs) },
      turnProvenance,
    );
    tx.emit({ type: 'chat.turn.completed', topic: 'governance_events', subject: { typename: 'ChatTurn', id: turn.id }, payload: { sessionId: session.id, outcome, route, inputDecisionId, outputDecisionId } }, turnProvenance);
    return turn;
  }).catch((error: unknown) => {
    // Another turn of the same session (or the first turns of the same user) committed first.
    if (error instanceof DomainError && (error.code === 'CONFLICT' || error.code === 'ALREADY_EXISTS')) {
      throw new DomainError('CONFLICT', 'Another message of this conversation was processed at the same time', { hint: 'Send the message again.', rootCause: 'concurrent turn', cause: error });
    }
    throw error;
  });
};

/** A reviewer's free text as stored: PII and secrets masked by the session's policies, like every message. */
const storedNote = async (deps: SubgraphDeps, scope: TenantScope, session: ChatSessionModel, text: string, hashKey: (scope: TenantScope) => string): Promise<string> =>
  evaluatePolicies(await policiesFor(deps, scope, session), { text, point: 'INPUT', roles: [], hashKey: hashKey(scope) }).redactedText;

export const triggerObserverReview = async (deps: SubgraphDeps, ctx: RequestContext, hashKey: (scope: TenantScope) => string, input: { sessionId: string; reason: string; action?: ObserverAction | null }): Promise<ObserverInterventionModel> => {
  const scope = requireScope(ctx);
  const session = await deps.store.collection(chatSessions).get(scope, input.sessionId);
  if (!session) throw notFound('ChatSession');
  const given = input.reason.trim();
  if (given.length < 1 || given.length > 500) throw inputError('input.reason', 'Reason must be 1–500 characters', 'Say why the session needs a review.');
  const reason = await storedNote(deps, scope, session, given, hashKey);
  const action = input.action ?? 'REQUIRE_REVIEW';
  const outcome = ({ WARN: 'USER_WARNED', REQUIRE_REVIEW: 'QUEUED_FOR_REVIEW', HAND_TO_HUMAN: 'HANDED_TO_HUMAN', END_SESSION: 'SESSION_ENDED' } as const)[action];
  const provenance = deps.provenance.build({ method: 'HUMAN', inputs: { sessionId: session.id, reason, action }, explanation: 'Observer review requested by a person' }, ctx.correlationId);
  return deps.store.transaction(scope, { action: 'governance.triggerObserverReview', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const intervention = tx.insert(interventions, { sessionId: session.id, turnId: null, trigger: 'MANUAL_REVIEW', action, outcome, reason }, provenance);
    const status = OUTCOME_FOR_ACTION[action];
    if (status !== 'ACTIVE' && session.status !== 'ENDED') tx.update(chatSessions, session, { status }, provenance);
    tx.emit({ type: 'observer.intervention', topic: 'observer_events', subject: { typename: 'ObserverIntervention', id: intervention.id }, payload: { sessionId: session.id, trigger: 'MANUAL_REVIEW', action, outcome } }, provenance);
    return intervention;
  });
};

export const listSessions = async (deps: SubgraphDeps, ctx: RequestContext, args: { first?: number | null; after?: string | null }) =>
  connectionOf(await deps.store.collection(chatSessions).page(requireScope(ctx), {}, { first: clampFirst(args.first), after: args.after }));

export const listMessages = async (deps: SubgraphDeps, ctx: RequestContext, sessionId: string, args: { first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  const reader = deps.store.collection(chatMessages);
  const [page, totalCount] = await Promise.all([reader.page(scope, { sessionId }, { first: clampFirst(args.first), after: args.after, sort: { field: 'createdAt', direction: 1 } }), reader.count(scope, { sessionId })]);
  return { ...connectionOf(page), totalCount };
};

/** Current trust of a session, decayed to now. */
export const sessionTrust = async (deps: SubgraphDeps, ctx: RequestContext, session: ChatSessionModel) => {
  const scope = requireScope(ctx);
  const now = Date.now();
  const [user, conversation, agent, system] = await loadScores(deps, scope, [
    { kind: 'USER', subjectId: session.userId },
    { kind: 'CONVERSATION', subjectId: session.id },
    { kind: 'AGENT', subjectId: session.agents[0]?.key ?? '' },
    { kind: 'SYSTEM', subjectId: 'system' },
  ], now);
  const at = (s: ScoreState): number => decayTowardBaseline(s.score, s.hours);
  const values = { user: at(user), agent: at(agent), conversation: at(conversation), system: at(system) };
  return { ...values, provenance: deps.provenance.build({ method: 'STATISTICAL', inputs: values, explanation: 'Stored scores decayed toward 0.7 with a 24 h half-life' }, ctx.correlationId) };
};

/** Writes one trust update: the score document, and a TrustChange when the score moved. Returns the change id, if any. */
const writeTrust = (tx: Transaction, state: ScoreState, update: TrustUpdate, context: { sessionId: string; turnId: string | null }, provenance: ProvenanceRecord): string | null => {
  const changedAt = new Date().toISOString();
  if (state.existing) tx.update(trustScores, state.existing, { score: update.newScore, changedAt }, provenance);
  else tx.insert(trustScores, { kind: state.kind, subjectId: state.subjectId, score: update.newScore, changedAt }, provenance);
  if (update.newScore === update.oldScore) return null;
  return tx.insert(trustChanges, { kind: state.kind, subjectId: state.subjectId, sessionId: context.sessionId, turnId: context.turnId, ...update }, provenance).id;
};

/** Interventions that ask a person to act, until one resolves them. */
const awaitsPerson = (i: ObserverInterventionModel): boolean => (i.action === 'REQUIRE_REVIEW' || i.action === 'HAND_TO_HUMAN') && !i.resolvedAt;

/**
 * A person resolves a session's open reviews: resume (user and conversation trust recover to at
 * least the floor, each change recorded with its reason) or end it. One audited transaction.
 */
export const resolveObserverReview = async (deps: SubgraphDeps, ctx: RequestContext, hashKey: (scope: TenantScope) => string, input: { sessionId: string; resume: boolean; note: string }): Promise<ChatSessionModel> => {
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  const session = await deps.store.collection(chatSessions).get(scope, input.sessionId);
  if (!session) throw notFound('ChatSession');
  const given = input.note.trim();
  if (given.length < 1 || given.length > 500) throw inputError('input.note', 'Note must be 1–500 characters', 'Say what the review found.');
  if (session.status === 'ENDED') throw inputError('input.sessionId', 'This session has ended; there is nothing left to resolve', 'Ended sessions stay ended: start a new session.');
  const open = (await deps.store.collection(interventions).find(scope, { sessionId: session.id }, { sort: { field: 'createdAt', direction: 1 }, limit: 500 })).filter(awaitsPerson);
  if (session.status === 'ACTIVE' && open.length === 0) throw inputError('input.sessionId', 'Nothing in this session waits for a review', 'Resolve sessions that are AWAITING_HUMAN or have an open REQUIRE_REVIEW intervention.');
  const note = await storedNote(deps, scope, session, given, hashKey);
  const scores = input.resume ? await loadScores(deps, scope, [{ kind: 'USER', subjectId: session.userId }, { kind: 'CONVERSATION', subjectId: session.id }], Date.now()) : [];
  const updates = scores.map((state) => ({ state, update: { ...recoverTrust(state.score, state.hours, principal.subject) } }));
  for (const u of updates) u.update.reason = `${u.update.reason}: ${note}`;
  const resolution = input.resume ? ('RESUMED' as const) : ('ENDED' as const);
  const provenance = deps.provenance.build({ method: 'HUMAN', inputs: { sessionId: session.id, resolution, interventions: open.map((i) => i.id) }, explanation: `Observer review resolved by a person: ${resolution.toLowerCase()}` }, ctx.correlationId);
  return deps.store.transaction(scope, { action: 'governance.resolveObserverReview', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const resolvedAt = new Date().toISOString();
    for (const i of open) tx.update(interventions, i, { resolvedAt, resolvedBy: principal.subject, resolution, resolutionNote: note }, provenance);
    const trustChangeIds = updates.map(({ state, update }) => writeTrust(tx, state, update, { sessionId: session.id, turnId: null }, provenance)).filter((id): id is string => id !== null);
    const updated = tx.update(chatSessions, session, { status: input.resume ? 'ACTIVE' : 'ENDED', lastActivityAt: resolvedAt }, provenance);
    tx.emit({ type: 'observer.review.resolved', topic: 'governance_events', subject: { typename: 'ChatSession', id: session.id }, payload: { resolution, interventions: open.length, trustChanges: trustChangeIds.length } }, provenance);
    return updated;
  });
};
