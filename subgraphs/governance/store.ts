import { defineCollection, type Stored } from '../../platform/store/port.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { AuditChange } from './domain/audit-chain.ts';
import type { ObserverAction, ObserverOutcome, ObserverTrigger } from './domain/observer.ts';
import type { PolicyAction, PolicyPoint, PolicyRule, RuleMatch } from './domain/policy.ts';
import type { TrustKind, TurnRoute } from './domain/trust.ts';

/** One link of a tenant's append-only audit hash chain. */
export interface AuditRecordDoc {
  seq: number;
  prevHash: string;
  hash: string;
  eventId: string;
  action: string;
  actor: { id: string; kind: string };
  occurredAt: string;
  correlationId: string;
  changes: AuditChange[];
  /** The subgraph whose transaction produced the audit event. */
  sourceSubgraph: string;
}

/** A signed checkpoint of the chain head. */
export interface AuditCheckpointDoc {
  seq: number;
  hash: string;
  jws: string;
  kid: string;
}

export interface PolicyDoc {
  name: string;
  description: string;
  revision: number;
  enabled: boolean;
  appliesToRoles: string[];
  rules: PolicyRule[];
}

/** A frozen copy of every policy revision. */
export interface PolicyRevisionDoc extends PolicyDoc {
  policyId: string;
}

export interface PolicyDecisionDoc {
  point: PolicyPoint;
  outcome: PolicyAction;
  inputDigest: string;
  policyRevisions: Array<{ policyId: string; revision: number }>;
  matches: RuleMatch[];
  redactedText: string;
  sessionId: string | null;
  turnId: string | null;
  /** The sender's roles when decided (policies may apply to some roles only); absent on older decisions. */
  roles?: string[];
  /** The decision this one re-evaluated (applyPolicies); absent or null for decisions taken at send time. */
  reevaluationOf?: string | null;
}

export type ChatMode = 'SINGLE' | 'MULTI';
export type ChatPattern = 'SEQUENTIAL' | 'PARALLEL';
export type ChatSessionStatus = 'ACTIVE' | 'AWAITING_HUMAN' | 'ENDED';

export type AgentRole = 'CREATIVE' | 'CRITICAL' | 'SYNTHESIS' | 'FACILITATOR';

export interface ChatAgentConfig {
  key: string;
  name: string;
  role: AgentRole;
  instructions: string;
  /** What the agent can do (from the registry); absent for agents configured inline. */
  capabilities?: string[];
  /** Policies applied to this agent's outputs at PROCESSING, on top of the session's (from the registry). */
  policyIds?: string[];
}

/** An agent of the organization's registry: reusable in sessions and collaborations by its key. */
export interface AgentDoc {
  key: string;
  name: string;
  role: AgentRole;
  instructions: string;
  capabilities: string[];
  policyIds: string[];
  enabled: boolean;
  revision: number;
}

export interface ChatSessionDoc {
  title: string;
  userId: string;
  mode: ChatMode;
  pattern: ChatPattern;
  agents: ChatAgentConfig[];
  includeBaseline: boolean;
  policyIds: string[] | null;
  status: ChatSessionStatus;
  turnCount: number;
  lastActivityAt: string;
}

export interface ChatMessageDoc {
  sessionId: string;
  turnId: string;
  role: 'USER' | 'ASSISTANT' | 'SYSTEM';
  /** Stored text: PII and secrets masked, never in clear. */
  text: string;
  agentKey: string | null;
  decisionId: string | null;
}

export type PipelineStageName = 'INPUT_VALIDATION' | 'GOVERNANCE_PRE_CHECK' | 'TRUST_ASSESSMENT' | 'AGENT_ROUTING' | 'RESPONSE_GENERATION' | 'GOVERNANCE_POST_CHECK' | 'OBSERVER_EVALUATION' | 'AUDIT_LOGGING';
export type PipelineStageOutcome = 'PASSED' | 'FLAGGED' | 'BLOCKED' | 'SKIPPED';

export interface PipelineStageDoc {
  stage: PipelineStageName;
  outcome: PipelineStageOutcome;
  durationMs: number;
  detail: string;
}

export type ChatTurnOutcome = 'DELIVERED' | 'WARNED' | 'REDACTED' | 'BLOCKED' | 'ESCALATED';

export interface ChatTurnDoc {
  sessionId: string;
  outcome: ChatTurnOutcome;
  route: TurnRoute;
  userMessageId: string;
  responseMessageIds: string[];
  inputDecisionId: string;
  /** The INTERACTION decision (conversation flow); absent on older turns, null without interaction rules. */
  interactionDecisionId?: string | null;
  outputDecisionId: string | null;
  pipeline: PipelineStageDoc[];
  interventionIds: string[];
  trustChangeIds: string[];
  totalMs: number;
  governanceMs: number;
}

export interface TrustScoreDoc {
  kind: TrustKind;
  subjectId: string;
  score: number;
  changedAt: string;
}

export interface TrustChangeDoc {
  kind: TrustKind;
  subjectId: string;
  sessionId: string | null;
  turnId: string | null;
  oldScore: number;
  newScore: number;
  reason: string;
}

export interface ObserverInterventionDoc {
  sessionId: string;
  turnId: string | null;
  trigger: ObserverTrigger;
  action: ObserverAction;
  outcome: ObserverOutcome;
  reason: string;
  /** Set when a person resolved the review (resolveObserverReview). */
  resolvedAt?: string | null;
  resolvedBy?: string | null;
  resolution?: 'RESUMED' | 'ENDED' | null;
  resolutionNote?: string | null;
}

export const auditRecords = defineCollection<AuditRecordDoc>('gov_audit_records', [{ fields: ['seq'], unique: true }, { fields: ['eventId'], unique: true }]);
export const auditCheckpoints = defineCollection<AuditCheckpointDoc>('gov_audit_checkpoints', [{ fields: ['seq'], unique: true }]);
export const policies = defineCollection<PolicyDoc>('gov_policies', [{ fields: ['name'], unique: true }]);
export const policyRevisions = defineCollection<PolicyRevisionDoc>('gov_policy_revisions', [{ fields: ['policyId', 'revision'], unique: true }]);
export const policyDecisions = defineCollection<PolicyDecisionDoc>('gov_policy_decisions', [{ fields: ['sessionId'] }]);
export const chatSessions = defineCollection<ChatSessionDoc>('gov_chat_sessions', [{ fields: ['userId'] }]);
export const chatMessages = defineCollection<ChatMessageDoc>('gov_chat_messages', [{ fields: ['sessionId'] }]);
export const chatTurns = defineCollection<ChatTurnDoc>('gov_chat_turns', [{ fields: ['sessionId'] }]);
export const trustScores = defineCollection<TrustScoreDoc>('gov_trust_scores', [{ fields: ['kind', 'subjectId'], unique: true }]);
export const trustChanges = defineCollection<TrustChangeDoc>('gov_trust_changes', [{ fields: ['sessionId'] }]);
export const interventions = defineCollection<ObserverInterventionDoc>('gov_observer_interventions', [{ fields: ['sessionId'] }]);

export type AuditRecordModel = Stored<AuditRecordDoc>;
export type AuditCheckpointModel = Stored<AuditCheckpointDoc>;
export type PolicyModel = Stored<PolicyDoc>;
export type PolicyDecisionModel = Stored<PolicyDecisionDoc>;
export type ChatSessionModel = Stored<ChatSessionDoc>;
export type ChatMessageModel = Stored<ChatMessageDoc>;
export type ChatTurnModel = Stored<ChatTurnDoc>;
export type TrustChangeModel = Stored<TrustChangeDoc>;
export type ObserverInterventionModel = Stored<ObserverInterventionDoc>;

export type ContributionKind = 'PLAN' | 'ANSWER' | 'REVIEW' | 'SYNTHESIS';
export type AgentMessageType = 'SHARE' | 'DELEGATE' | 'NEGOTIATE' | 'REVIEW';

/** One agent's contribution to a run, as stored (redacted), with its own provenance. */
export interface ContributionDoc {
  agentKey: string;
  role: AgentRole | 'SYSTEM';
  kind: ContributionKind;
  round: number;
  text: string;
  outcome: PolicyAction;
  matches: RuleMatch[];
  confidence: number;
  provenance: ProvenanceRecord;
}

export interface AgentMessageDoc {
  from: string;
  to: string;
  type: AgentMessageType;
  summary: string;
  round: number;
}

export interface CollaborationRunDoc {
  goal: string;
  goalDecisionId: string;
  pattern: 'SEQUENTIAL' | 'PARALLEL' | 'HIERARCHICAL' | 'COLLABORATIVE';
  agents: ChatAgentConfig[];
  status: 'COMPLETED' | 'BLOCKED';
  contributions: ContributionDoc[];
  messages: AgentMessageDoc[];
  result: { text: string; rationale: string; confidence: number; synthesizedBy: string; provenance: ProvenanceRecord } | null;
  auditSummary: { agentCalls: number; policyDecisions: number; withheldContributions: number; redactions: number; totalMs: number };
}

export const collaborationRuns = defineCollection<CollaborationRunDoc>('gov_collaboration_runs');

export type AgentCollaborationRunModel = Stored<CollaborationRunDoc>;

/** What applyPolicies returns: ids of what it wrote, resolved by the PolicyReevaluation resolvers. */
export interface PolicyReevaluationModel {
  sessionId: string;
  policyRevisions: Array<{ policyId: string; revision: number }>;
  evaluatedCount: number;
  changedCount: number;
  results: PolicyReevaluationResultModel[];
  interventionId: string | null;
  provenance: ProvenanceRecord;
}

export interface PolicyReevaluationResultModel {
  messageId: string;
  previousDecisionId: string;
  decisionId: string;
  changed: boolean;
  provenance: ProvenanceRecord;
}

export const agentRegistry = defineCollection<AgentDoc>('gov_agents', [{ fields: ['key'], unique: true }]);

export type RegisteredAgentModel = Stored<AgentDoc>;
