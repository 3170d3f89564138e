import { requirePrincipal, requireScope, type RequestContext, type TenantScope } from '../../platform/context.ts';
import { inputError, notFound } from '../../platform/errors.ts';
import type { EventEnvelope } from '../../platform/events/envelope.ts';
import { newId } from '../../platform/ids.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { SubgraphDeps } from '../../platform/server.ts';
import type { Filter, Transaction } from '../../platform/store/port.ts';
import { clampFirst } from '../../platform/store/transaction.ts';
import { BM25_B, BM25_K1, rankPassages, type RankablePassage } from './domain/bm25.ts';
import { chunkText } from './domain/chunking.ts';
import { canReceiveMessage, end, handoffDurationMs, pauseForImage as pauseTransition, resume, type ConversationState, type Transition } from './domain/conversation-state.ts';
import { activeDeployment, parseDeployment } from './domain/deployment.ts';
import { summarizeLatency, turnTotal, VOICE_P95_TARGET_MS } from './domain/latency.ts';
import {
  checkBody,
  checkClarity,
  checkImageResult,
  checkLatencyMs,
  checkMessageText,
  checkQuery,
  checkReason,
  checkSpeed,
  checkTags,
  checkTitle,
  DEFAULT_VOICE,
  MAX_TURNS_PER_SESSION,
  type VoiceStyle,
} from './domain/validation.ts';
import { advance, decide, DEFAULT_ESCALATION_THRESHOLD, startWorkflow, type WorkflowState } from './domain/workflow.ts';
import {
  conversationMessages,
  conversations,
  knowledgeDocuments,
  passageIdOf,
  runtimeDeployments,
  voiceSessions,
  type CitationDoc,
  type ConversationDoc,
  type ConversationMessageModel,
  type ConversationModel,
  type ConversationStatsModel,
  type KnowledgeDocumentModel,
  type KnowledgeMatchModel,
  type RuntimeDeploymentModel,
  type VoiceLatencyModel,
  type VoiceSessionModel,
} from './store.ts';

export type RuntimeDeps = SubgraphDeps;

/** The knowledge base size a search ranks over (documents per organization). */
export const MAX_KNOWLEDGE_DOCUMENTS = 5_000;

const actorOf = (ctx: RequestContext): { id: string; kind: 'user' | 'app' | 'system' } => {
  const principal = requirePrincipal(ctx);
  return { id: principal.subject, kind: principal.kind };
};

const txOptions = (ctx: RequestContext, action: string) => ({ action: `runtime.${action}`, actor: actorOf(ctx), correlationId: ctx.correlationId });

const human = (deps: RuntimeDeps, ctx: RequestContext, inputs: unknown, explanation: string): ProvenanceRecord => deps.provenance.build({ method: 'HUMAN', inputs, explanation }, ctx.correlationId);
const rule = (deps: RuntimeDeps, ctx: RequestContext, inputs: unknown, explanation: string, confidence?: number): ProvenanceRecord =>
  deps.provenance.build({ method: 'RULE', inputs, explanation, confidence: confidence ?? null }, ctx.correlationId);

export const connectionOf = <T extends { id: string }>(page: { items: T[]; cursors: string[]; hasNextPage: boolean; endCursor: string | null }) => ({
  edges: page.items.map((node, i) => ({ cursor: page.cursors[i], node })),
  pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
});

const applied = (transition: Transition): ConversationState => {
  if (!transition.ok) throw inputError(transition.field, transition.message, transition.hint);
  return transition.state;
};

const stateOf = (c: ConversationModel): ConversationState => ({ channel: c.channel, status: c.status, handoff: c.handoff });

const getConversation = async (deps: RuntimeDeps, scope: TenantScope, id: string): Promise<ConversationModel> => {
  const conversation = await deps.store.collection(conversations).get(scope, id);
  if (!conversation) throw notFound('Conversation');
  return conversation;
};

// ------------------------------------------------------------------------------------ knowledge (RAG)

export const listKnowledgeDocuments = async (deps: RuntimeDeps, ctx: RequestContext, args: { first?: number | null; after?: string | null; tag?: string | null }) => {
  const scope = requireScope(ctx);
  const filter: Filter = args.tag ? { tags: args.tag.trim().toLowerCase() } : {};
  const reader = deps.store.collection(knowledgeDocuments);
  const [page, totalCount] = await Promise.all([reader.page(scope, filter, { first: clampFirst(args.first), after: args.after }), reader.count(scope, filter)]);
  return { ...connectionOf(page), totalCount };
};

const passagesOf = (body: string) => chunkText(body).map((text, index) => ({ index, text }));

export const createKnowledgeDocument = async (deps: RuntimeDeps, ctx: RequestContext, input: { title: string; body: string; tags?: readonly string[] | null }): Promise<KnowledgeDocumentModel> => {
  const scope = requireScope(ctx);
  const title = checkTitle(input.title);
  const body = checkBody(input.body);
  const tags = checkTags(input.tags);
  const passages = passagesOf(body);
  const provenance = human(deps, ctx, { title, body, tags }, 'Knowledge document written by a person; chunked into passages by rule');
  return deps.store.transaction(scope, txOptions(ctx, 'createKnowledgeDocument'), (tx) => {
    const doc = tx.insert(knowledgeDocuments, { title, body, tags, passages }, provenance);
    tx.emit({ type: 'rag.document.ingested', topic: 'rag_events', subject: { typename: 'KnowledgeDocument', id: doc.id }, payload: { title, tags, passageCount: passages.length } }, provenance);
    return doc;
  });
};

export const updateKnowledgeDocument = async (
  deps: RuntimeDeps,
  ctx: RequestContext,
  input: { id: string; title?: string | null; body?: string | null; tags?: readonly string[] | null },
): Promise<KnowledgeDocumentModel> => {
  const scope = requireScope(ctx);
  const existing = await deps.store.collection(knowledgeDocuments).get(scope, input.id);
  if (!existing) throw notFound('KnowledgeDocument');
  const title = input.title === null || input.title === undefined ? existing.title : checkTitle(input.title);
  const body = input.body === null || input.body === undefined ? existing.body : checkBody(input.body);
  const tags = input.tags === null || input.tags === undefined ? existing.tags : checkTags(input.tags);
  const passages = body === existing.body ? existing.passages : passagesOf(body);
  const provenance = human(deps, ctx, { title, body, tags }, 'Knowledge document edited by a person; re-chunked into passages by rule');
  return deps.store.transaction(scope, txOptions(ctx, 'updateKnowledgeDocument'), (tx) => {
    const doc = tx.update(knowledgeDocuments, existing, { title, body, tags, passages }, provenance);
    tx.emit({ type: 'rag.document.updated', topic: 'rag_events', subject: { typename: 'KnowledgeDocument', id: doc.id }, payload: { title, tags, passageCount: passages.length, rechunked: body !== existing.body } }, provenance);
    return doc;
  });
};

export const deleteKnowledgeDocument = async (deps: RuntimeDeps, ctx: RequestContext, id: string): Promise<string> => {
  const scope = requireScope(ctx);
  const existing = await deps.store.collection(knowledgeDocuments).get(scope, id);
  if (!existing) throw notFound('KnowledgeDocument');
  const provenance = human(deps, ctx, { id }, 'Knowledge document deleted by a person');
  await deps.store.transaction(scope, txOptions(ctx, 'deleteKnowledgeDocument'), (tx) => {
    tx.remove(knowledgeDocuments, existing);
    tx.emit({ type: 'rag.document.deleted', topic: 'rag_events', subject: { typename: 'KnowledgeDocument', id }, payload: { title: existing.title, passageCount: existing.passages.length } }, provenance);
  });
  return id;
};

/** Every passage of the tenant's knowledge base, as the ranker sees them. */
const tenantPassages = async (deps: RuntimeDeps, scope: TenantScope): Promise<RankablePassage[]> => {
  const docs = await deps.store.collection(knowledgeDocuments).find(scope, {}, { limit: MAX_KNOWLEDGE_DOCUMENTS });
  return docs.flatMap((doc) => doc.passages.map((p) => ({ id: passageIdOf(doc.id, p.index), documentId: doc.id, title: doc.title, text: p.text })));
};

const bm25Explanation = (count: number): string => `Okapi BM25 (k1=${BM25_K1}, b=${BM25_B}) over the organization's ${count} knowledge passages`;

/** Provenance of one ranked passage. */
export const matchProvenance = (deps: RuntimeDeps, citation: CitationDoc, query: string, passageCount: number | null, correlationId: string, at?: Date): ProvenanceRecord =>
  deps.provenance.build(
    {
      method: 'STATISTICAL',
      inputs: { query, passageId: citation.passageId, score: citation.score, matchedTerms: citation.matchedTerms },
      explanation: passageCount === null ? `Okapi BM25 (k1=${BM25_K1}, b=${BM25_B}) score of the passage for the question` : bm25Explanation(passageCount),
      computedAt: at,
    },
    correlationId,
  );

const citationsOf = (ranked: ReturnType<typeof rankPassages>): CitationDoc[] =>
  ranked.map((r) => ({ passageId: r.passage.id, documentId: r.passage.documentId, text: r.passage.text, score: Math.round(r.score * 1e6) / 1e6, matchedTerms: r.matchedTerms }));

export const searchKnowledge = async (deps: RuntimeDeps, ctx: RequestContext, args: { query: string; first?: number | null }): Promise<KnowledgeMatchModel[]> => {
  const scope = requireScope(ctx);
  const query = checkQuery(args.query);
  const first = clampFirst(args.first, 5, 50);
  const passages = await tenantPassages(deps, scope);
  return citationsOf(rankPassages(query, passages, first)).map((c) => ({ ...c, provenance: matchProvenance(deps, c, query, passages.length, ctx.correlationId) }));
};

// ------------------------------------------------------------------------------------ deployments

export const listDeployments = (deps: RuntimeDeps, ctx: RequestContext): Promise<RuntimeDeploymentModel[]> =>
  deps.store.collection(runtimeDeployments).find(requireScope(ctx), {}, { sort: { field: 'deployedAt', direction: -1 } });

export const currentDeployment = async (deps: RuntimeDeps, ctx: RequestContext): Promise<RuntimeDeploymentModel | null> => activeDeployment(await listDeployments(deps, ctx));

/** Consumer of `config.deployed`: keeps the latest deployment per environment of the event's tenant. */
export const applyConfigDeployed = async (deps: RuntimeDeps, event: EventEnvelope, tx: Transaction, scope: TenantScope): Promise<void> => {
  const deployment = parseDeployment(event.payload, event.subject?.id ?? null);
  if (!deployment) {
    deps.logger.warn({ eventId: event.id }, 'config.deployed without config id or version; ignored');
    return;
  }
  const provenance = deps.provenance.build(
    { method: 'IMPORT', inputs: { eventId: event.id, ...deployment }, explanation: `Deployment of config ${deployment.configId} v${deployment.version} to ${deployment.environment} (event ${event.id})` },
    event.correlationId,
  );
  const existing = await deps.store.collection(runtimeDeployments).findOne(scope, { environment: deployment.environment });
  const doc = {
    configId: deployment.configId,
    configVersion: deployment.version,
    environment: deployment.environment,
    escalationThreshold: deployment.escalationThreshold,
    voiceSpeed: deployment.voiceSpeed,
    voiceClarity: deployment.voiceClarity,
    voiceStyle: deployment.voiceStyle,
    deployedAt: event.occurredAt,
  };
  if (existing) {
    if (existing.deployedAt > doc.deployedAt) return; // an older deployment arriving late does not win
    tx.update(runtimeDeployments, existing, doc, provenance);
  } else {
    tx.insert(runtimeDeployments, doc, provenance);
  }
};

// ------------------------------------------------------------------------------------ conversations

export const listConversations = async (
  deps: RuntimeDeps,
  ctx: RequestContext,
  args: { first?: number | null; after?: string | null; status?: ConversationModel['status'] | null; channel?: ConversationModel['channel'] | null },
) => {
  const scope = requireScope(ctx);
  const filter: Filter = {};
  if (args.status) filter.status = args.status;
  if (args.channel) filter.channel = args.channel;
  const reader = deps.store.collection(conversations);
  const [page, totalCount] = await Promise.all([reader.page(scope, filter, { first: clampFirst(args.first), after: args.after }), reader.count(scope, filter)]);
  return { ...connectionOf(page), totalCount };
};

export const listMessages = async (deps: RuntimeDeps, ctx: RequestContext, conversation: ConversationModel, args: { first?: number | null; after?: string | null }) => {
  const scope = requireScope(ctx);
  const reader = deps.store.collection(conversationMessages);
  const filter = { conversationId: conversation.id };
  const [page, totalCount] = await Promise.all([reader.page(scope, filter, { first: clampFirst(args.first), after: args.after, sort: { field: 'sequence', direction: 1 } }), reader.count(scope, filter)]);
  return { ...connectionOf(page), totalCount };
};

const voiceSettings = (input: { speed?: number | null; clarity?: number | null; style?: VoiceStyle | null } | null | undefined, defaults: { speed: number; clarity: number; style: VoiceStyle }, prefix: string) => ({
  speed: checkSpeed(input?.speed, defaults.speed, `${prefix}.speed`),
  clarity: checkClarity(input?.clarity, defaults.clarity, `${prefix}.clarity`),
  style: input?.style ?? defaults.style,
});

export const startConversation = async (
  deps: RuntimeDeps,
  ctx: RequestContext,
  input: { channel: ConversationModel['channel']; configId?: string | null; voice?: { speed?: number | null; clarity?: number | null; style?: VoiceStyle | null } | null },
): Promise<ConversationModel> => {
  const scope = requireScope(ctx);
  const principal = requirePrincipal(ctx);
  if (input.channel === 'CHAT' && input.voice) throw inputError('input.voice', 'Voice parameters apply to voice conversations only', 'Omit voice for CHAT, or start a VOICE conversation.');
  const deployments = await deps.store.collection(runtimeDeployments).find(scope, {});
  let pinned: RuntimeDeploymentModel | null;
  if (input.configId) {
    pinned = activeDeployment(deployments.filter((d) => d.configId === input.configId));
    if (!pinned) throw inputError('input.configId', 'This configuration is not deployed', 'Deploy the configuration first, or omit configId to use the active deployment.');
  } else {
    pinned = activeDeployment(deployments);
  }
  const voice = input.channel === 'VOICE' ? voiceSettings(input.voice, { speed: pinned?.voiceSpeed ?? DEFAULT_VOICE.speed, clarity: pinned?.voiceClarity ?? DEFAULT_VOICE.clarity, style: pinned?.voiceStyle ?? DEFAULT_VOICE.style }, 'input.voice') : null;
  const doc: ConversationDoc = {
    channel: input.channel,
    status: 'ACTIVE',
    configId: pinned?.configId ?? null,
    configVersion: pinned?.configVersion ?? null,
    escalationThreshold: pinned?.escalationThreshold ?? DEFAULT_ESCALATION_THRESHOLD,
    escalated: false,
    messageCount: 0,
    handoff: null,
    linkedConversationId: null,
    voiceSessionId: voice ? newId() : null,
    startedById: principal.kind === 'user' ? principal.subject : null,
    endedAt: null,
  };
  const provenance = rule(deps, ctx, { ...doc, voice }, pinned ? `Started and pinned to config ${pinned.configId} v${pinned.configVersion} (${pinned.environment})` : 'Started with runtime defaults: no configuration deployed');
  return deps.store.transaction(scope, txOptions(ctx, 'startConversation'), (tx) => {
    const conversation = tx.insert(conversations, doc, provenance);
    tx.emit({ type: 'conversation.started', topic: 'conversation_events', subject: { typename: 'Conversation', id: conversation.id }, payload: { channel: doc.channel, configId: doc.configId, configVersion: doc.configVersion } }, provenance);
    if (voice && doc.voiceSessionId) {
      tx.insert(voiceSessions, { id: doc.voiceSessionId, conversationId: conversation.id, ...voice, turns: [] }, provenance);
      tx.emit({ type: 'voice.session.started', topic: 'voice_events', subject: { typename: 'VoiceSession', id: doc.voiceSessionId }, payload: { conversationId: conversation.id, ...voice } }, provenance);
    }
    return conversation;
  });
};

/** Runs the two-node workflow to completion: the tools node ranks passages, the agent asks the model. */
const runWorkflow = async (deps: RuntimeDeps, scope: TenantScope, question: string, threshold: number) => {
  let state: WorkflowState = startWorkflow(question, threshold);
  const passages = await tenantPassages(deps, scope);
  let retrieved: CitationDoc[] = [];
  let completion: Awaited<ReturnType<RuntimeDeps['ai']['complete']>> | null = null;
  for (let steps = 0; steps < 4; steps += 1) {
    const action = decide(state);
    if (action.kind === 'FINISH') return { outcome: action.outcome, path: state.path, retrieved, completion, passageCount: passages.length };
    if (action.kind === 'CALL_TOOL') {
      retrieved = citationsOf(rankPassages(action.query, passages, action.first));
      state = advance(state, { type: 'TOOL_RESULT', passages: retrieved.map((c) => ({ id: c.passageId, text: c.text, score: c.score })) });
    } else {
      completion = await deps.ai.complete(scope, { task: 'answer', system: action.system, prompt: action.prompt, maxTokens: 400 });
      state = advance(state, { type: 'MODEL_RESULT', text: completion.text, confidence: completion.confidence, method: completion.method });
    }
  }
  throw new Error('runtime workflow did not finish');
};

export const sendMessage = async (deps: RuntimeDeps, ctx: RequestContext, input: { conversationId: string; text: string }): Promise<ConversationMessageModel> => {
  const scope = requireScope(ctx);
  const text = checkMessageText(input.text);
  const conversation = await getConversation(deps, scope, input.conversationId);
  applied(canReceiveMessage(stateOf(conversation)));
  const run = await runWorkflow(deps, scope, text, conversation.escalationThreshold);
  const { outcome, completion } = run;
  const userProvenance = human(deps, ctx, { conversationId: conversation.id, text }, 'Message written by the end user');
  const toolProvenance = deps.provenance.build({ method: 'STATISTICAL', inputs: { query: text, results: run.retrieved.map((c) => [c.passageId, c.score]) }, explanation: bm25Explanation(run.passageCount) }, ctx.correlationId);
  const answerProvenance = completion
    ? deps.provenance.build(
        {
          method: completion.method,
          model: completion.model,
          modelVersion: completion.modelVersion,
          confidence: outcome.confidence,
          inputs: { question: text, passageIds: run.retrieved.map((c) => c.passageId), promptDigest: completion.promptDigest },
          explanation: `Answered from ${run.retrieved.length} retrieved passage(s); ${outcome.reason}${completion.fallbackReason ? `; fallback: ${completion.fallbackReason}` : ''}`,
        },
        ctx.correlationId,
      )
    : rule(deps, ctx, { question: text, passageIds: [] }, `Rule answer: ${outcome.reason}; escalated to a person`, outcome.confidence);
  const cited = run.retrieved.filter((c) => outcome.citedPassageIds.includes(c.passageId));
  return deps.store.transaction(scope, txOptions(ctx, 'sendMessage'), (tx) => {
    const base = conversation.messageCount;
    const common = { conversationId: conversation.id, escalated: false, workflowPath: [], toolName: null, confidence: null, citations: [] };
    tx.insert(conversationMessages, { ...common, sequence: base + 1, role: 'USER', text }, userProvenance);
    tx.insert(
      conversationMessages,
      { ...common, sequence: base + 2, role: 'TOOL', toolName: 'knowledge_search', text: `knowledge_search returned ${run.retrieved.length} passage(s)`, citations: run.retrieved },
      toolProvenance,
    );
    const reply = tx.insert(
      conversationMessages,
      { ...common, sequence: base + 3, role: 'ASSISTANT', text: outcome.text, confidence: outcome.confidence, citations: cited, escalated: outcome.escalate, workflowPath: run.path },
      answerProvenance,
    );
    tx.update(conversations, conversation, { messageCount: base + 3, escalated: conversation.escalated || outcome.escalate });
    tx.emit(
      {
        type: 'conversation.message.answered',
        topic: 'conversation_events',
        subject: { typename: 'ConversationMessage', id: reply.id },
        payload: { conversationId: conversation.id, method: completion?.method ?? 'RULE', confidence: outcome.confidence, citedPassageIds: outcome.citedPassageIds, escalated: outcome.escalate },
      },
      answerProvenance,
    );
    if (outcome.escalate) {
      tx.emit(
        {
          type: 'conversation.escalated',
          topic: 'conversation_events',
          subject: { typename: 'Conversation', id: conversation.id },
          payload: { messageId: reply.id, confidence: outcome.confidence, threshold: conversation.escalationThreshold, reason: outcome.reason, question: text },
        },
        answerProvenance,
      );
    }
    return reply;
  });
};

export const pauseForImage = async (deps: RuntimeDeps, ctx: RequestContext, input: { conversationId: string; reason?: string | null }): Promise<ConversationModel> => {
  const scope = requireScope(ctx);
  const reason = checkReason(input.reason);
  const voice = await getConversation(deps, scope, input.conversationId);
  const chatId = newId();
  const at = new Date().toISOString();
  const next = applied(pauseTransition(stateOf(voice), { reason, chatConversationId: chatId, at }));
  const provenance = rule(deps, ctx, { conversationId: voice.id, reason, chatConversationId: chatId }, 'Voice paused for an image; a linked chat conversation receives the upload');
  return deps.store.transaction(scope, txOptions(ctx, 'pauseForImage'), (tx) => {
    tx.insert(
      conversations,
      {
        id: chatId,
        channel: 'CHAT',
        status: 'ACTIVE',
        configId: voice.configId,
        configVersion: voice.configVersion,
        escalationThreshold: voice.escalationThreshold,
        escalated: false,
        messageCount: 0,
        handoff: null,
        linkedConversationId: voice.id,
        voiceSessionId: null,
        startedById: voice.startedById,
        endedAt: null,
      },
      provenance,
    );
    const paused = tx.update(conversations, voice, { status: next.status, handoff: next.handoff, linkedConversationId: chatId }, provenance);
    tx.emit({ type: 'conversation.started', topic: 'conversation_events', subject: { typename: 'Conversation', id: chatId }, payload: { channel: 'CHAT', configId: voice.configId, configVersion: voice.configVersion, linkedConversationId: voice.id } }, provenance);
    tx.emit({ type: 'crossproduct.handoff.requested', topic: 'cross_product_events', subject: { typename: 'Conversation', id: voice.id }, payload: { chatConversationId: chatId, reason, requestedAt: at } }, provenance);
    return paused;
  });
};

export const resumeConversation = async (deps: RuntimeDeps, ctx: RequestContext, input: { conversationId: string; imageResult?: string | null }): Promise<ConversationModel> => {
  const scope = requireScope(ctx);
  const imageResult = checkImageResult(input.imageResult);
  const conversation = await getConversation(deps, scope, input.conversationId);
  const at = new Date().toISOString();
  const next = applied(resume(stateOf(conversation), { imageResult, at }));
  const completed = conversation.handoff?.status === 'AWAITING_IMAGE' ? next.handoff : null;
  const provenance = rule(deps, ctx, { conversationId: conversation.id, imageResult }, completed ? 'Resumed with the image result shared back from chat' : 'Resumed');
  return deps.store.transaction(scope, txOptions(ctx, 'resumeConversation'), (tx) => {
    let messageCount = conversation.messageCount;
    if (completed && imageResult !== null) {
      messageCount += 1;
      tx.insert(
        conversationMessages,
        { conversationId: conversation.id, sequence: messageCount, role: 'TOOL', toolName: 'image_processing', text: imageResult, confidence: null, citations: [], escalated: false, workflowPath: [] },
        deps.provenance.build({ method: 'IMPORT', inputs: { imageResult, chatConversationId: completed.chatConversationId }, explanation: 'Image processing result shared back from the chat conversation' }, ctx.correlationId),
      );
    }
    const resumed = tx.update(conversations, conversation, { status: next.status, handoff: next.handoff, messageCount }, provenance);
    if (completed) {
      tx.emit(
        {
          type: 'crossproduct.handoff.completed',
          topic: 'cross_product_events',
          subject: { typename: 'Conversation', id: conversation.id },
          payload: { chatConversationId: completed.chatConversationId, durationMs: handoffDurationMs(completed), hasImageResult: imageResult !== null },
        },
        provenance,
      );
    } else {
      tx.emit({ type: 'conversation.resumed', topic: 'conversation_events', subject: { typename: 'Conversation', id: conversation.id }, payload: {} }, provenance);
    }
    return resumed;
  });
};

export const endConversation = async (deps: RuntimeDeps, ctx: RequestContext, id: string): Promise<ConversationModel> => {
  const scope = requireScope(ctx);
  const conversation = await getConversation(deps, scope, id);
  const next = applied(end(stateOf(conversation)));
  const endedAt = new Date().toISOString();
  const provenance = human(deps, ctx, { id, endedAt }, 'Conversation ended');
  return deps.store.transaction(scope, txOptions(ctx, 'endConversation'), (tx) => {
    const ended = tx.update(conversations, conversation, { status: next.status, endedAt }, provenance);
    tx.emit({ type: 'conversation.ended', topic: 'conversation_events', subject: { typename: 'Conversation', id }, payload: { channel: conversation.channel, messageCount: conversation.messageCount, escalated: conversation.escalated } }, provenance);
    return ended;
  });
};

export const conversationStats = async (deps: RuntimeDeps, ctx: RequestContext): Promise<ConversationStatsModel> => {
  const scope = requireScope(ctx);
  const reader = deps.store.collection(conversations);
  const [total, active, paused, ended, escalated] = await Promise.all([
    reader.count(scope),
    reader.count(scope, { status: 'ACTIVE' }),
    reader.count(scope, { status: 'PAUSED' }),
    reader.count(scope, { status: 'ENDED' }),
    reader.count(scope, { escalated: true }),
  ]);
  const counts = { total, active, paused, ended, escalated };
  return { ...counts, provenance: deps.provenance.build({ method: 'STATISTICAL', inputs: counts, explanation: 'Counts of the organization’s conversations by status, at read time', confidence: 1 }, ctx.correlationId) };
};

// ------------------------------------------------------------------------------------ voice

const getVoiceSession = async (deps: RuntimeDeps, scope: TenantScope, id: string): Promise<VoiceSessionModel> => {
  const session = await deps.store.collection(voiceSessions).get(scope, id);
  if (!session) throw notFound('VoiceSession');
  return session;
};

export const updateVoiceSettings = async (
  deps: RuntimeDeps,
  ctx: RequestContext,
  input: { sessionId: string; speed?: number | null; clarity?: number | null; style?: VoiceStyle | null },
): Promise<VoiceSessionModel> => {
  const scope = requireScope(ctx);
  const session = await getVoiceSession(deps, scope, input.sessionId);
  const settings = voiceSettings(input, session, 'input');
  const provenance = human(deps, ctx, { sessionId: session.id, ...settings }, 'Voice parameters set by a person');
  return deps.store.transaction(scope, txOptions(ctx, 'updateVoiceSettings'), (tx) => {
    const updated = tx.update(voiceSessions, session, settings, provenance);
    tx.emit({ type: 'voice.settings.updated', topic: 'voice_events', subject: { typename: 'VoiceSession', id: session.id }, payload: { conversationId: session.conversationId, ...settings } }, provenance);
    return updated;
  });
};

export const recordVoiceTurn = async (deps: RuntimeDeps, ctx: RequestContext, input: { sessionId: string; sttMs: number; llmMs: number; ttsMs: number }): Promise<VoiceSessionModel> => {
  const scope = requireScope(ctx);
  const turn = { sttMs: checkLatencyMs(input.sttMs, 'input.sttMs'), llmMs: checkLatencyMs(input.llmMs, 'input.llmMs'), ttsMs: checkLatencyMs(input.ttsMs, 'input.ttsMs') };
  const session = await getVoiceSession(deps, scope, input.sessionId);
  if (session.turns.length >= MAX_TURNS_PER_SESSION) throw inputError('input.sessionId', `A voice session records at most ${MAX_TURNS_PER_SESSION} turns`, 'Start a new voice conversation.');
  const turns = [...session.turns, turn];
  const summary = summarizeLatency(turns);
  const provenance = deps.provenance.build({ method: 'IMPORT', inputs: { sessionId: session.id, ...turn }, explanation: 'Stage durations reported by the voice pipeline' }, ctx.correlationId);
  return deps.store.transaction(scope, txOptions(ctx, 'recordVoiceTurn'), (tx) => {
    const updated = tx.update(voiceSessions, session, { turns }, provenance);
    tx.emit(
      {
        type: 'voice.turn.recorded',
        topic: 'voice_events',
        subject: { typename: 'VoiceSession', id: session.id },
        payload: { conversationId: session.conversationId, ...turn, totalMs: turnTotal(turn), turns: summary.turns, p95TotalMs: summary.p95TotalMs, withinTarget: summary.withinTarget },
      },
      provenance,
    );
    return updated;
  });
};

export const voiceLatency = (deps: RuntimeDeps, session: VoiceSessionModel): VoiceLatencyModel => {
  const summary = summarizeLatency(session.turns);
  return {
    ...summary,
    provenance: deps.provenance.build(
      { method: 'STATISTICAL', inputs: session.turns, explanation: `Nearest-rank P95 and mean over ${summary.turns} reported turn(s); target P95 ≤ ${VOICE_P95_TARGET_MS} ms`, confidence: summary.turns ? 1 : null, computedAt: new Date(session.updatedAt) },
      session.provenance.correlationId,
    ),
  };
};
