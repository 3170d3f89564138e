import { systemScope } from '../../platform/context.ts';
import { newId } from '../../platform/ids.ts';
import { createTestSubgraph, principalFor, type TestSubgraph } from '../../platform/testing/harness.ts';
import { queryTerms } from './domain/bm25.ts';
import { createRuntimeSubgraph } from './index.ts';

const TENANT_A = newId();
const TENANT_B = newId();
const adminA = principalFor(TENANT_A, ['ADMIN']);
const viewerA = principalFor(TENANT_A, ['VIEWER']);
const adminB = principalFor(TENANT_B, ['ADMIN']);

let t: TestSubgraph;

type Json = Record<string, unknown>;
/** Runs an operation and returns its data, failing the test on errors. */
const ok = async (query: string, variables: Json = {}, principal = adminA): Promise<Json> => {
  const result = await t.run(query, variables, principal);
  if (result.errors?.length) throw new Error(JSON.stringify(result.errors));
  return result.data as Json;
};
/** Runs an operation expected to fail and returns its first error's extensions. */
const fails = async (query: string, variables: Json = {}, principal: typeof adminA | null = adminA): Promise<Json> => {
  const result = await t.run(query, variables, principal);
  expect(result.errors?.length).toBeGreaterThan(0);
  return (result.errors?.[0].extensions ?? {}) as Json;
};
const topicEvents = async (tenantId: string, topic: string) => t.deps.store.outbox.since(systemScope(tenantId, 'test'), null, [topic], 200);

const CREATE_DOC = `mutation($input: CreateKnowledgeDocumentInput!) { createKnowledgeDocument(input: $input) { id title tags passageCount passages { id index text } provenance { method } } }`;
const START = `mutation($input: StartConversationInput!) { startConversation(input: $input) { id channel status configId configVersion escalationThreshold voiceSession { id speed style clarity } } }`;
const SEND = `mutation($input: SendMessageInput!) {
  sendMessage(input: $input) {
    id role text confidence escalated workflowPath sequence
    citations { passageId score text matchedTerms document { id title } provenance { method } }
    conversation { id escalated messageCount }
    provenance { method model confidence explanation }
  }
}`;

const QUESTION = 'How long do refunds take after you receive the item?';
const REFUNDS = 'Refunds take five business days after we receive the returned item.\n\nShipping is free for orders over 50 euros. Express shipping costs 9 euros.';

const deployConfig = async (tenantId: string, payload: Json): Promise<void> => {
  await t.deps.store.transaction(systemScope(tenantId, 'test deploy'), { action: 'test.deploy', actor: { id: 'test', kind: 'system' }, correlationId: newId() }, (tx) => {
    tx.emit({ type: 'config.deployed', topic: 'config_events', subject: { typename: 'ChatbotConfig', id: String(payload.configId) }, payload }, t.deps.provenance.build({ method: 'HUMAN', inputs: payload, explanation: 'test deployment' }, 'test'));
  });
  await t.flush();
};

beforeAll(async () => {
  t = await createTestSubgraph('runtime', createRuntimeSubgraph);
});
afterAll(async () => {
  await t.close();
});

describe('knowledge base (RAG)', () => {
  let docId = '';

  it('creates a document chunked into passages and emits rag.document.ingested', async () => {
    const data = await ok(CREATE_DOC, { input: { title: 'Refunds and shipping', body: REFUNDS, tags: ['FAQ', 'billing'] } });
    const doc = data.createKnowledgeDocument as Json;
    docId = doc.id as string;
    expect(doc).toMatchObject({ title: 'Refunds and shipping', tags: ['faq', 'billing'], passageCount: 2, provenance: { method: 'HUMAN' } });
    expect((doc.passages as Json[]).map((p) => p.id)).toEqual([`${docId}#0`, `${docId}#1`]);
    const events = await topicEvents(TENANT_A, 'rag_events');
    expect(events.find((e) => e.subject.id === docId)).toMatchObject({ type: 'rag.document.ingested', payload: { passageCount: 2 } });
  });

  it('rejects bad input with the field named', async () => {
    const ext = await fails(CREATE_DOC, { input: { title: '  ', body: 'x' } });
    expect(ext).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.title' });
    expect(await fails(CREATE_DOC, { input: { title: 't', body: 'x', tags: ['#no'] } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.tags' });
  });

  it('searches passages with BM25, best first', async () => {
    await ok(CREATE_DOC, { input: { title: 'Opening hours', body: 'We are open Monday to Friday, 9 to 17.' } });
    const data = await ok(`query($q: String!) { searchKnowledge(query: $q, first: 5) { passageId score matchedTerms text document { id } provenance { method explanation } } }`, { q: 'how long do refunds take' });
    const hits = data.searchKnowledge as Json[];
    // The title ("Refunds and shipping") is indexed with every passage, so both passages match; the refunds one ranks first.
    expect(hits.map((h) => h.passageId)).toEqual([`${docId}#0`, `${docId}#1`]);
    expect(hits[1].matchedTerms).toEqual(['refund']);
    expect(hits[0].score as number).toBeGreaterThan(hits[1].score as number);
    expect(hits[0]).toMatchObject({ passageId: `${docId}#0`, document: { id: docId }, provenance: { method: 'STATISTICAL' } });
    expect(hits[0].score as number).toBeGreaterThan(0);
    expect(hits[0].matchedTerms).toEqual(queryTerms('refunds take'));
    expect(await fails(`{ searchKnowledge(query: "refunds", first: 51) { passageId } }`)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(await fails(`{ searchKnowledge(query: "") { passageId } }`)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'query' });
  });

  it('lists documents as a connection, filtered by tag', async () => {
    const all = (await ok(`{ knowledgeDocuments(first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`)).knowledgeDocuments as Json;
    expect(all.totalCount).toBe(2);
    expect((all.pageInfo as Json).hasNextPage).toBe(true);
    const tagged = (await ok(`{ knowledgeDocuments(tag: "FAQ") { totalCount edges { node { id } } } }`)).knowledgeDocuments as Json;
    expect(tagged.totalCount).toBe(1);
    expect(((tagged.edges as Json[])[0].node as Json).id).toBe(docId);
  });

  it('updates (re-chunks) and deletes documents', async () => {
    const created = (await ok(CREATE_DOC, { input: { title: 'Temp', body: 'Old text.' } })).createKnowledgeDocument as Json;
    const updated = (await ok(`mutation($input: UpdateKnowledgeDocumentInput!) { updateKnowledgeDocument(input: $input) { title body passageCount tags } }`, { input: { id: created.id, body: 'First part.\n\nSecond part.' } })).updateKnowledgeDocument as Json;
    expect(updated).toMatchObject({ title: 'Temp', body: 'First part.\n\nSecond part.', passageCount: 2, tags: [] });
    expect((await ok(`mutation($id: ID!) { deleteKnowledgeDocument(id: $id) }`, { id: created.id })).deleteKnowledgeDocument).toBe(created.id);
    expect((await ok(`query($id: ID!) { knowledgeDocument(id: $id) { id } }`, { id: created.id })).knowledgeDocument).toBeNull();
    const types = (await topicEvents(TENANT_A, 'rag_events')).filter((e) => e.subject.id === created.id).map((e) => e.type);
    expect(types).toEqual(['rag.document.ingested', 'rag.document.updated', 'rag.document.deleted']);
  });

  it('keeps tenants apart', async () => {
    expect((await ok(`query($id: ID!) { knowledgeDocument(id: $id) { id } }`, { id: docId }, adminB)).knowledgeDocument).toBeNull();
    expect((await ok(`{ searchKnowledge(query: "refunds") { passageId } }`, {}, adminB)).searchKnowledge).toEqual([]);
    expect(await fails(`mutation($input: UpdateKnowledgeDocumentInput!) { updateKnowledgeDocument(input: $input) { id } }`, { input: { id: docId, title: 'Hacked' } }, adminB)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await fails(`mutation($id: ID!) { deleteKnowledgeDocument(id: $id) }`, { id: docId }, adminB)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('enforces authorization', async () => {
    expect(await fails(CREATE_DOC, { input: { title: 't', body: 'b' } }, viewerA)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await fails(`{ knowledgeDocuments { totalCount } }`, {}, null)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await ok(`{ knowledgeDocuments { totalCount } }`, {}, viewerA)).knowledgeDocuments).toEqual({ totalCount: 2 });
  });
});

describe('chat conversations', () => {
  let conversationId = '';
  let replyId = '';

  it('starts a chat conversation on runtime defaults when nothing is deployed', async () => {
    const c = (await ok(START, { input: { channel: 'CHAT' } })).startConversation as Json;
    conversationId = c.id as string;
    expect(c).toMatchObject({ channel: 'CHAT', status: 'ACTIVE', configId: null, configVersion: null, escalationThreshold: 0.5, voiceSession: null });
    expect((await topicEvents(TENANT_A, 'conversation_events')).find((e) => e.subject.id === conversationId)?.type).toBe('conversation.started');
  });

  it('records the starting user, and none for a widget app', async () => {
    const byUser = (await ok(`mutation { startConversation(input: { channel: CHAT }) { startedBy { id } } }`)).startConversation as Json;
    expect(byUser.startedBy).toEqual({ id: adminA.subject });
    const app = principalFor(TENANT_A, [], { kind: 'app', scopes: ['org:read', 'org:write'] });
    const byApp = (await ok(`mutation { startConversation(input: { channel: CHAT }) { id startedBy { id } } }`, {}, app)).startConversation as Json;
    expect(byApp.startedBy).toBeNull();
    for (const id of [byApp.id]) await ok(`mutation($id: ID!) { endConversation(id: $id) { id } }`, { id });
  });

  it('answers from the knowledge base through agent → tools → agent, citing passages', async () => {
    const reply = (await ok(SEND, { input: { conversationId, text: QUESTION } })).sendMessage as Json;
    replyId = reply.id as string;
    expect(reply).toMatchObject({ role: 'ASSISTANT', sequence: 3, escalated: false, workflowPath: ['AGENT', 'TOOLS', 'AGENT'], conversation: { id: conversationId, escalated: false, messageCount: 3 } });
    expect(reply.text).toContain('Refunds take five business days');
    // The offline model (mesh-local) answers by rule from the context; its confidence is recorded as given.
    expect(reply.confidence as number).toBeGreaterThanOrEqual(0.5);
    expect(reply.provenance).toMatchObject({ method: 'RULE', model: 'mesh-local', confidence: reply.confidence });
    const citations = reply.citations as Json[];
    expect(citations.map((c) => c.passageId)).toEqual([expect.stringMatching(/#0$/)]);
    expect(citations[0]).toMatchObject({ document: { title: 'Refunds and shipping' }, provenance: { method: 'STATISTICAL' } });
    const events = await topicEvents(TENANT_A, 'conversation_events');
    expect(events.find((e) => e.subject.id === replyId)).toMatchObject({ type: 'conversation.message.answered', payload: { conversationId, escalated: false } });
  });

  it('records the user, tool and assistant messages in order', async () => {
    const data = await ok(`query($id: ID!) { conversation(id: $id) { messageCount messages(first: 10) { totalCount edges { node { sequence role text toolName citations { passageId } provenance { method } } } } } }`, { id: conversationId });
    const conversation = data.conversation as Json;
    const nodes = ((conversation.messages as Json).edges as Json[]).map((e) => e.node as Json);
    expect(nodes.map((n) => [n.sequence, n.role])).toEqual([[1, 'USER'], [2, 'TOOL'], [3, 'ASSISTANT']]);
    expect(nodes[0]).toMatchObject({ text: QUESTION, provenance: { method: 'HUMAN' } });
    expect(nodes[1]).toMatchObject({ toolName: 'knowledge_search', text: 'knowledge_search returned 2 passage(s)', provenance: { method: 'STATISTICAL' } });
    expect((nodes[1].citations as Json[]).length).toBe(2);
  });

  it('escalates when nothing in the knowledge base matches', async () => {
    const reply = (await ok(SEND, { input: { conversationId, text: 'What is the capital of Mars?' } })).sendMessage as Json;
    expect(reply).toMatchObject({ sequence: 6, confidence: 0, escalated: true, citations: [], provenance: { method: 'RULE', model: null }, conversation: { escalated: true, messageCount: 6 } });
    const escalated = (await topicEvents(TENANT_A, 'conversation_events')).filter((e) => e.type === 'conversation.escalated');
    expect(escalated).toHaveLength(1);
    expect(escalated[0]).toMatchObject({ subject: { typename: 'Conversation', id: conversationId }, payload: { confidence: 0, threshold: 0.5 } });
  });

  it('validates messages and keeps other tenants out', async () => {
    expect(await fails(SEND, { input: { conversationId, text: '' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.text' });
    expect(await fails(SEND, { input: { conversationId, text: 'hi' } }, adminB)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await fails(SEND, { input: { conversationId, text: 'hi' } }, viewerA)).toMatchObject({ code: 'FORBIDDEN' });
    expect((await ok(`query($id: ID!) { conversation(id: $id) { id } }`, { id: conversationId }, adminB)).conversation).toBeNull();
    expect(await fails(`mutation($id: ID!) { endConversation(id: $id) { id } }`, { id: conversationId }, adminB)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('resolves entities by reference for the owner only', async () => {
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Conversation { id channel } ... on ConversationMessage { id role } ... on KnowledgeDocument { id title } } }`;
    const docs = (await ok(`{ knowledgeDocuments { edges { node { id } } } }`)).knowledgeDocuments as Json;
    const docId = (((docs.edges as Json[])[0].node as Json).id) as string;
    const representations = [
      { __typename: 'Conversation', id: conversationId },
      { __typename: 'ConversationMessage', id: replyId },
      { __typename: 'KnowledgeDocument', id: docId },
      { __typename: 'Conversation', id: newId() },
    ];
    const mine = (await ok(query, { r: representations }))._entities as Array<Json | null>;
    expect(mine[0]).toEqual({ id: conversationId, channel: 'CHAT' });
    expect(mine[1]).toEqual({ id: replyId, role: 'ASSISTANT' });
    expect(mine[2]).toMatchObject({ id: docId });
    expect(mine[3]).toBeNull();
    const theirs = (await ok(query, { r: representations }, adminB))._entities as Array<Json | null>;
    expect(theirs).toEqual([null, null, null, null]);
  });
});

describe('deployed configuration (config_events consumer)', () => {
  it('keeps the active deployment and pins new conversations to it', async () => {
    await deployConfig(TENANT_A, { configId: 'cfg-1', version: 4, environment: 'PRODUCTION', document: { runtime: { escalationThreshold: 0.95 }, voice: { speed: 1.25, clarity: 0.8, style: 'friendly', backgroundSound: null } } });
    await deployConfig(TENANT_A, { configId: 'cfg-2', version: 1, environment: 'staging' });
    const data = await ok(`{ activeRuntimeDeployment { configId version environment escalationThreshold voiceSpeed voiceClarity voiceStyle provenance { method } } runtimeDeployments { configId environment } }`);
    expect(data.activeRuntimeDeployment).toEqual({ configId: 'cfg-1', version: '4', environment: 'production', escalationThreshold: 0.95, voiceSpeed: 1.25, voiceClarity: 0.8, voiceStyle: 'FRIENDLY', provenance: { method: 'IMPORT' } });
    const voice = (await ok(START, { input: { channel: 'VOICE' } })).startConversation as Json;
    expect(voice.voiceSession).toMatchObject({ speed: 1.25, clarity: 0.8, style: 'FRIENDLY' });
    await ok(`mutation($id: ID!) { endConversation(id: $id) { id } }`, { id: voice.id });
    expect(data.runtimeDeployments).toEqual([{ configId: 'cfg-2', environment: 'staging' }, { configId: 'cfg-1', environment: 'production' }]);
    expect((await ok(`{ activeRuntimeDeployment { configId } }`, {}, adminB)).activeRuntimeDeployment).toBeNull();

    const chat = (await ok(START, { input: { channel: 'CHAT' } })).startConversation as Json;
    expect(chat).toMatchObject({ configId: 'cfg-1', configVersion: '4', escalationThreshold: 0.95 });
    const staging = (await ok(START, { input: { channel: 'CHAT', configId: 'cfg-2' } })).startConversation as Json;
    expect(staging).toMatchObject({ configId: 'cfg-2', configVersion: '1', escalationThreshold: 0.5 });
    expect(await fails(START, { input: { channel: 'CHAT', configId: 'nope' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.configId' });

    // The pinned threshold (0.95) escalates the same answer that passed the default threshold.
    const reply = (await ok(SEND, { input: { conversationId: chat.id, text: QUESTION } })).sendMessage as Json;
    expect(reply).toMatchObject({ escalated: true, conversation: { escalated: true } });
  });

  it('applies a redeployment to the same environment', async () => {
    await deployConfig(TENANT_A, { configId: 'cfg-1', version: 5, environment: 'production' });
    expect((await ok(`{ activeRuntimeDeployment { version escalationThreshold } }`)).activeRuntimeDeployment).toEqual({ version: '5', escalationThreshold: 0.5 });
  });
});

describe('voice and cross-product coordination', () => {
  let voiceId = '';
  let sessionId = '';

  it('starts a voice conversation with validated voice parameters', async () => {
    expect(await fails(START, { input: { channel: 'VOICE', voice: { speed: 2.5 } } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.voice.speed' });
    expect(await fails(START, { input: { channel: 'CHAT', voice: { speed: 1 } } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.voice' });
    const c = (await ok(START, { input: { channel: 'VOICE', voice: { speed: 1.5, style: 'EMPATHETIC' } } })).startConversation as Json;
    voiceId = c.id as string;
    const session = c.voiceSession as Json;
    sessionId = session.id as string;
    expect(session).toEqual({ id: sessionId, speed: 1.5, style: 'EMPATHETIC', clarity: 0.75 });
    expect((await topicEvents(TENANT_A, 'voice_events')).find((e) => e.subject.id === sessionId)).toMatchObject({ type: 'voice.session.started', payload: { conversationId: voiceId } });
  });

  it('records turns and computes latency statistics', async () => {
    const RECORD = `mutation($input: RecordVoiceTurnInput!) { recordVoiceTurn(input: $input) { latency { turns meanTotalMs p95TotalMs p95SttMs p95LlmMs p95TtsMs maxTotalMs targetMs withinTarget provenance { method } } } }`;
    for (const [sttMs, llmMs, ttsMs] of [[100, 200, 50], [50, 100, 50]]) await ok(RECORD, { input: { sessionId, sttMs, llmMs, ttsMs } });
    const twoTurns = (await ok(`query($id: ID!) { voiceSession(id: $id) { latency { p95TotalMs withinTarget } } }`, { id: sessionId })).voiceSession as Json;
    expect(twoTurns.latency).toEqual({ p95TotalMs: 350, withinTarget: true });
    const last = (await ok(RECORD, { input: { sessionId, sttMs: 200, llmMs: 300, ttsMs: 100 } })).recordVoiceTurn as Json;
    expect(last.latency).toEqual({ turns: 3, meanTotalMs: 383.3, p95TotalMs: 600, p95SttMs: 200, p95LlmMs: 300, p95TtsMs: 100, maxTotalMs: 600, targetMs: 500, withinTarget: false, provenance: { method: 'STATISTICAL' } });
    expect(await fails(RECORD, { input: { sessionId, sttMs: -5, llmMs: 1, ttsMs: 1 } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.sttMs' });
    expect(await fails(RECORD, { input: { sessionId, sttMs: 1, llmMs: 1, ttsMs: 1 } }, adminB)).toMatchObject({ code: 'NOT_FOUND' });
    expect((await topicEvents(TENANT_A, 'voice_events')).filter((e) => e.type === 'voice.turn.recorded')).toHaveLength(3);
  });

  it('updates voice settings within 0.5–2.0', async () => {
    const UPDATE = `mutation($input: UpdateVoiceSettingsInput!) { updateVoiceSettings(input: $input) { speed style clarity } }`;
    expect((await ok(UPDATE, { input: { sessionId, speed: 0.5, style: 'PROFESSIONAL' } })).updateVoiceSettings).toEqual({ speed: 0.5, style: 'PROFESSIONAL', clarity: 0.75 });
    expect(await fails(UPDATE, { input: { sessionId, speed: 0.4 } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.speed' });
  });

  it('pauses voice for an image, opens a linked chat, and resumes with the result', async () => {
    const PAUSE = `mutation($input: PauseForImageInput!) { pauseForImage(input: $input) { id status handoff { status reason completedAt chatConversation { id channel status linkedConversation { id } } } linkedConversation { id } } }`;
    const paused = (await ok(PAUSE, { input: { conversationId: voiceId, reason: 'upload prescription' } })).pauseForImage as Json;
    const handoff = paused.handoff as Json;
    const chat = handoff.chatConversation as Json;
    expect(paused.status).toBe('PAUSED');
    expect(handoff).toMatchObject({ status: 'AWAITING_IMAGE', reason: 'upload prescription', completedAt: null });
    expect(chat).toMatchObject({ channel: 'CHAT', status: 'ACTIVE', linkedConversation: { id: voiceId } });
    expect(paused.linkedConversation).toEqual({ id: chat.id });

    expect(await fails(SEND, { input: { conversationId: voiceId, text: 'hello?' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.conversationId' });
    expect(await fails(PAUSE, { input: { conversationId: chat.id } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.conversationId' });

    const RESUME = `mutation($input: ResumeConversationInput!) { resumeConversation(input: $input) { status messageCount handoff { status imageResult durationMs provenance { method } } messages(first: 20) { edges { node { role toolName text } } } } }`;
    const resumed = (await ok(RESUME, { input: { conversationId: voiceId, imageResult: 'Prescription: Amoxicillin 500 mg, 3x daily' } })).resumeConversation as Json;
    expect(resumed).toMatchObject({ status: 'ACTIVE', messageCount: 1, handoff: { status: 'COMPLETED', imageResult: 'Prescription: Amoxicillin 500 mg, 3x daily', provenance: { method: 'RULE' } } });
    expect((resumed.handoff as Json).durationMs as number).toBeGreaterThanOrEqual(0);
    const messages = ((resumed.messages as Json).edges as Json[]).map((e) => e.node);
    expect(messages).toEqual([{ role: 'TOOL', toolName: 'image_processing', text: 'Prescription: Amoxicillin 500 mg, 3x daily' }]);
    expect(await fails(RESUME, { input: { conversationId: voiceId } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.conversationId' });

    const types = (await topicEvents(TENANT_A, 'cross_product_events')).filter((e) => e.subject.id === voiceId).map((e) => e.type);
    expect(types).toEqual(['crossproduct.handoff.requested', 'crossproduct.handoff.completed']);
  });

  it('resolves voice sessions by reference', async () => {
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on VoiceSession { id speed conversation { id } } } }`;
    const r = [{ __typename: 'VoiceSession', id: sessionId }];
    expect((await ok(query, { r }))._entities).toEqual([{ id: sessionId, speed: 0.5, conversation: { id: voiceId } }]);
    expect((await ok(query, { r }, adminB))._entities).toEqual([null]);
  });

  it('ends a conversation once', async () => {
    const END = `mutation($id: ID!) { endConversation(id: $id) { status endedAt } }`;
    const ended = (await ok(END, { id: voiceId })).endConversation as Json;
    expect(ended.status).toBe('ENDED');
    expect(Number.isNaN(Date.parse(String(ended.endedAt instanceof Date ? ended.endedAt.toISOString() : ended.endedAt)))).toBe(false);
    expect(await fails(END, { id: voiceId })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect((await topicEvents(TENANT_A, 'conversation_events')).some((e) => e.type === 'conversation.ended' && e.subject.id === voiceId)).toBe(true);
  });
});

describe('conversation lists and organization stats', () => {
  it('filters and pages conversations', async () => {
    const all = (await ok(`{ conversations(first: 2) { totalCount pageInfo { hasNextPage } edges { node { id } } } }`)).conversations as Json;
    // chat, user-started chat, app-started chat (ended), config-pinned voice (ended), pinned chat, staging chat, voice (ended), linked chat.
    expect(all.totalCount).toBe(8);
    expect((all.pageInfo as Json).hasNextPage).toBe(true);
    expect(((await ok(`{ conversations(channel: VOICE) { totalCount } }`)).conversations as Json).totalCount).toBe(2);
    expect(((await ok(`{ conversations(status: ENDED) { totalCount } }`)).conversations as Json).totalCount).toBe(3);
    expect(((await ok(`{ conversations { totalCount } }`, {}, adminB)).conversations as Json).totalCount).toBe(0);
  });

  it('contributes conversation stats to the caller’s organization only', async () => {
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { id conversationStats { total active paused ended escalated provenance { method } } } } }`;
    const mine = (await ok(query, { r: [{ __typename: 'Organization', id: TENANT_A }] }))._entities as Json[];
    expect(mine[0]).toEqual({ id: TENANT_A, conversationStats: { total: 8, active: 5, paused: 0, ended: 3, escalated: 2, provenance: { method: 'STATISTICAL' } } });
    expect((await ok(query, { r: [{ __typename: 'Organization', id: TENANT_A }] }, adminB))._entities).toEqual([null]);
  });
});
