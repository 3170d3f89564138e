import { requireScope } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';
import { loaderOf } from '../../platform/store/loader.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import {
  conversationStats,
  createKnowledgeDocument,
  currentDeployment,
  deleteKnowledgeDocument,
  endConversation,
  listConversations,
  listDeployments,
  listKnowledgeDocuments,
  listMessages,
  matchProvenance,
  pauseForImage,
  recordVoiceTurn,
  resumeConversation,
  searchKnowledge,
  sendMessage,
  startConversation,
  updateKnowledgeDocument,
  updateVoiceSettings,
  voiceLatency,
  type RuntimeDeps,
} from './commands.ts';
import { handoffDurationMs } from './domain/conversation-state.ts';
import { VOICE_P95_TARGET_MS } from './domain/latency.ts';
import { conversationMessages, conversations, knowledgeDocuments, passageIdOf, voiceSessions } from './store.ts';

/** Thin resolvers: argument mapping, then commands.ts and domain/. */
export const createResolvers = (deps: RuntimeDeps): Resolvers => ({
  Query: {
    knowledgeDocuments: (_root, args, ctx) => listKnowledgeDocuments(deps, ctx, args),
    knowledgeDocument: (_root, args, ctx) => loaderOf(ctx, deps.store, knowledgeDocuments).load(args.id),
    searchKnowledge: (_root, args, ctx) => searchKnowledge(deps, ctx, args),
    conversations: (_root, args, ctx) => listConversations(deps, ctx, args),
    conversation: (_root, args, ctx) => loaderOf(ctx, deps.store, conversations).load(args.id),
    voiceSession: (_root, args, ctx) => loaderOf(ctx, deps.store, voiceSessions).load(args.id),
    activeRuntimeDeployment: (_root, _args, ctx) => currentDeployment(deps, ctx),
    runtimeDeployments: (_root, _args, ctx) => listDeployments(deps, ctx),
  },
  Mutation: {
    createKnowledgeDocument: (_root, { input }, ctx) => createKnowledgeDocument(deps, ctx, input),
    updateKnowledgeDocument: (_root, { input }, ctx) => updateKnowledgeDocument(deps, ctx, input),
    deleteKnowledgeDocument: (_root, args, ctx) => deleteKnowledgeDocument(deps, ctx, args.id),
    startConversation: (_root, { input }, ctx) => startConversation(deps, ctx, input),
    sendMessage: (_root, { input }, ctx) => sendMessage(deps, ctx, input),
    pauseForImage: (_root, { input }, ctx) => pauseForImage(deps, ctx, input),
    resumeConversation: (_root, { input }, ctx) => resumeConversation(deps, ctx, input),
    endConversation: (_root, args, ctx) => endConversation(deps, ctx, args.id),
    updateVoiceSettings: (_root, { input }, ctx) => updateVoiceSettings(deps, ctx, input),
    recordVoiceTurn: (_root, { input }, ctx) => recordVoiceTurn(deps, ctx, input),
  },
  Organization: {
    __resolveReference: (ref, ctx) => (ref.id === requireScope(ctx).tenantId ? { id: ref.id } : null),
    conversationStats: (org, _args, ctx) => (org.id === requireScope(ctx).tenantId ? conversationStats(deps, ctx) : null),
  },
  KnowledgeDocument: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, knowledgeDocuments).load(ref.id as string),
    passages: (doc) => doc.passages.map((p) => ({ ...p, id: passageIdOf(doc.id, p.index), provenance: doc.provenance })),
    passageCount: (doc) => doc.passages.length,
  },
  KnowledgeMatch: {
    document: (match, _args, ctx) => loaderOf(ctx, deps.store, knowledgeDocuments).load(match.documentId),
  },
  Conversation: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, conversations).load(ref.id as string),
    messages: (conversation, args, ctx) => listMessages(deps, ctx, conversation, args),
    handoff: (conversation) => (conversation.handoff ? { ...conversation.handoff, provenance: conversation.provenance } : null),
    linkedConversation: (conversation, _args, ctx) => (conversation.linkedConversationId ? loaderOf(ctx, deps.store, conversations).load(conversation.linkedConversationId) : null),
    voiceSession: (conversation, _args, ctx) => (conversation.voiceSessionId ? loaderOf(ctx, deps.store, voiceSessions).load(conversation.voiceSessionId) : null),
    startedBy: (conversation) => (conversation.startedById ? { id: conversation.startedById } : null),
  },
  ConversationHandoff: {
    chatConversation: (handoff, _args, ctx) => loaderOf(ctx, deps.store, conversations).load(handoff.chatConversationId),
    durationMs: (handoff) => handoffDurationMs(handoff),
  },
  ConversationMessage: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, conversationMessages).load(ref.id as string),
    conversation: async (message, _args, ctx) => {
      const conversation = await loaderOf(ctx, deps.store, conversations).load(message.conversationId);
      if (!conversation) throw notFound('Conversation');
      return conversation;
    },
    citations: (message) => message.citations.map((c) => ({ ...c, provenance: matchProvenance(deps, c, message.text, null, message.provenance.correlationId, new Date(message.createdAt)) })),
  },
  VoiceSession: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, voiceSessions).load(ref.id as string),
    conversation: async (session, _args, ctx) => {
      const conversation = await loaderOf(ctx, deps.store, conversations).load(session.conversationId);
      if (!conversation) throw notFound('Conversation');
      return conversation;
    },
    latency: (session) => voiceLatency(deps, session),
  },
  RuntimeDeployment: {
    version: (deployment) => deployment.configVersion,
  },
  VoiceLatency: {
    targetMs: () => VOICE_P95_TARGET_MS,
  },
});
