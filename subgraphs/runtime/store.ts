import { defineCollection, type Stored } from '../../platform/store/port.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { ConversationChannel, ConversationStatus, Handoff } from './domain/conversation-state.ts';
import type { LatencySummary, VoiceTurn } from './domain/latency.ts';
import type { VoiceStyle } from './domain/validation.ts';
import type { WorkflowNode } from './domain/workflow.ts';

/** One passage of a knowledge document; its id is `<documentId>#<index>`. */
export interface PassageDoc {
  index: number;
  text: string;
}

/** An FAQ entry or knowledge base article, chunked into passages for retrieval. */
export interface KnowledgeDocumentDoc {
  title: string;
  body: string;
  tags: string[];
  passages: PassageDoc[];
}

/** A passage a search returned or an answer cited, with its BM25 score. */
export interface CitationDoc {
  passageId: string;
  documentId: string;
  text: string;
  score: number;
  matchedTerms: string[];
}

export interface ConversationDoc {
  channel: ConversationChannel;
  status: ConversationStatus;
  /** The deployed configuration pinned at start (null when none was deployed). */
  configId: string | null;
  configVersion: string | null;
  escalationThreshold: number;
  escalated: boolean;
  messageCount: number;
  handoff: Handoff | null;
  /** The other channel's conversation of a cross-product handoff. */
  linkedConversationId: string | null;
  voiceSessionId: string | null;
  /** The user who started it; null when a widget app did. */
  startedById: string | null;
  endedAt: string | null;
}

export interface ConversationMessageDoc {
  conversationId: string;
  sequence: number;
  role: 'USER' | 'ASSISTANT' | 'TOOL';
  text: string;
  /** For ASSISTANT: the answer's confidence. */
  confidence: number | null;
  citations: CitationDoc[];
  escalated: boolean;
  /** For ASSISTANT: the workflow nodes visited. */
  workflowPath: WorkflowNode[];
  /** For TOOL: the tool that ran. */
  toolName: string | null;
}

export interface VoiceSessionDoc {
  conversationId: string;
  speed: number;
  clarity: number;
  style: VoiceStyle;
  turns: VoiceTurn[];
}

export interface RuntimeDeploymentDoc {
  configId: string;
  configVersion: string;
  environment: string;
  escalationThreshold: number;
  voiceSpeed: number;
  voiceClarity: number;
  voiceStyle: VoiceStyle;
  deployedAt: string;
}

export const knowledgeDocuments = defineCollection<KnowledgeDocumentDoc>('knowledge_documents');
export const conversations = defineCollection<ConversationDoc>('conversations', [{ fields: ['status'] }]);
export const conversationMessages = defineCollection<ConversationMessageDoc>('conversation_messages', [{ fields: ['conversationId'] }]);
export const voiceSessions = defineCollection<VoiceSessionDoc>('voice_sessions', [{ fields: ['conversationId'] }]);
export const runtimeDeployments = defineCollection<RuntimeDeploymentDoc>('runtime_deployments', [{ fields: ['environment'] }]);

export type KnowledgeDocumentModel = Stored<KnowledgeDocumentDoc>;
export type ConversationModel = Stored<ConversationDoc>;
export type ConversationMessageModel = Stored<ConversationMessageDoc>;
export type VoiceSessionModel = Stored<VoiceSessionDoc>;
export type RuntimeDeploymentModel = Stored<RuntimeDeploymentDoc>;

/** A passage with its score (search result or citation) and the provenance of the ranking. */
export type KnowledgeMatchModel = CitationDoc & { provenance: ProvenanceRecord };
export type ConversationHandoffModel = Handoff & { provenance: ProvenanceRecord };
export type VoiceLatencyModel = LatencySummary & { provenance: ProvenanceRecord };
export interface ConversationStatsModel {
  total: number;
  active: number;
  paused: number;
  ended: number;
  escalated: number;
  provenance: ProvenanceRecord;
}
export type KnowledgePassageModel = PassageDoc & { id: string; provenance: ProvenanceRecord };

/** A passage id: `<documentId>#<index>`. */
export const passageIdOf = (documentId: string, index: number): string => `${documentId}#${index}`;
