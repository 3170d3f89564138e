import { defineCollection, type Stored } from '../../platform/store/port.ts';
import type { HealthBand, HealthComponentName, HealthSignals, HealthWeights } from './domain/health.ts';
import type { LifecycleStage } from './domain/lifecycle.ts';
import type { TimelineSeverity } from './domain/timeline.ts';
import type { SupportChannel, SupportUrgency } from './domain/support.ts';
import type { Breach, DeployEnvironment } from './domain/monitoring.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import type { CrmAttemptOutcome, CrmDeliveryStatus, CrmField, CrmOperation, FieldMapping, StageMapping } from './domain/crm.ts';
import type { BenchmarkProfile, QbrObjective } from './domain/qbr.ts';
import type { ApprovalRisk, ApprovalType } from './domain/approvals.ts';

/** One daily health score of the tenant organization (one document per UTC day; a later reading replaces the day's). */
export interface HealthScoreDoc {
  day: string;
  observedAt: string;
  score: number;
  band: HealthBand;
  signals: HealthSignals;
  components: Record<HealthComponentName, number>;
  weights: HealthWeights;
}

/** Per-organization settings of this subgraph (one document per tenant, id `settings`). */
export interface LifecycleSettingsDoc {
  healthWeights: HealthWeights;
  autoResolveThreshold: number;
}

export type HealthAlertKind = 'SCORE_DROP' | 'SUSTAINED_RED';

export interface HealthAlertDoc {
  kind: HealthAlertKind;
  healthScoreId: string;
  day: string;
  score: number;
  band: HealthBand;
  dropPoints: number | null;
  redDays: number | null;
  message: string;
  taskId: string;
}

export type CopilotTaskKind = 'HEALTH_PLAYBOOK' | 'RESPOND_TO_ESCALATION' | 'RESOLVE_INCIDENT';
export type CopilotAudience = 'SALES' | 'ONBOARDING' | 'SUPPORT' | 'SUCCESS';
export type CopilotTaskPriority = 'HIGH' | 'MEDIUM' | 'LOW';
export type CopilotTaskStatus = 'OPEN' | 'ACCEPTED' | 'DEFERRED' | 'DONE';

export interface CopilotTaskDoc {
  kind: CopilotTaskKind;
  audience: CopilotAudience;
  title: string;
  context: string;
  recommendedActions: string[];
  priority: CopilotTaskPriority;
  status: CopilotTaskStatus;
  dueAt: string;
  subjectTypename: string;
  subjectId: string;
}

/** The organization's current lifecycle stage (one document per tenant, id `stage`). */
export interface LifecycleStateDoc {
  stage: LifecycleStage;
  since: string;
}

export interface LifecycleTransitionDoc {
  from: LifecycleStage | null;
  to: LifecycleStage;
  reason: string;
  at: string;
  automatic: boolean;
}

/** One domain event of any family, as the Copilot's timeline shows it. The id is the event id. */
export interface TimelineEventDoc {
  kind: string;
  topic: string;
  occurredAt: string;
  summary: string;
  subjectTypename: string;
  subjectId: string;
  actorId: string;
  actorKind: 'user' | 'app' | 'system';
  severity: TimelineSeverity;
  correlationId: string;
}

export type SupportTicketStatus = 'RESOLVED' | 'ESCALATED';

export interface SupportTicketDoc {
  channel: SupportChannel;
  subject: string;
  body: string;
  urgency: SupportUrgency;
  status: SupportTicketStatus;
  openedBy: string;
  openedAt: string;
  slaDueAt: string;
  attemptedResolution: string | null;
  confidence: number;
  matchedTicketId: string | null;
  autoResolved: boolean;
  escalated: boolean;
  escalationReason: string | null;
  escalationTaskId: string | null;
  resolution: string | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
}

export interface ExperimentVariantDoc {
  key: string;
  content: string;
  /** Recipients assigned to the variant. */
  assigned: number;
  /** Outcomes recorded (converted or not). */
  outcomes: number;
  conversions: number;
}

/** A multi-armed bandit experiment over message variants (Thompson sampling). */
export interface ExperimentDoc {
  name: string;
  minShare: number;
  variants: ExperimentVariantDoc[];
  /** When set, assignments draw from a PRNG seeded by (seed, experiment version, recipient): reproducible runs and audits. Null: cryptographic randomness. */
  seed?: number | null;
}

/** A recipient's sticky assignment to one variant, and its outcome once known. */
export interface ExperimentAssignmentDoc {
  experimentId: string;
  recipientId: string;
  variantKey: string;
  explored: boolean;
  converted: boolean | null;
  outcomeAt: string | null;
}

/** The organization's CRM sync settings (one document per tenant, id `crm`). */
export interface CrmSettingsDoc {
  enabled: boolean;
  connector: 'HTTP';
  endpointUrl: string;
  fieldMapping: FieldMapping[];
  stageMapping: StageMapping[];
  backoffBaseMs: number;
}

/** What CRM sync knows of an opportunity (a presales prospect; the id is the prospect id), from presales events. */
export interface CrmOpportunityDoc {
  name: string | null;
  stage: string;
  stageChangedAt: string;
}

/** One attempt of a CRM delivery. */
export interface CrmAttemptDoc {
  at: string;
  outcome: CrmAttemptOutcome;
  detail: string;
  httpStatus: number | null;
}

/** One outbound CRM write with its retry state: persisted, so retries survive a restart. */
export interface CrmDeliveryDoc {
  operation: CrmOperation;
  recordKey: string;
  sourceEventId: string;
  sourceEventType: string;
  sourceOccurredAt: string;
  fields: CrmField[];
  precondition: CrmField | null;
  force: boolean;
  status: CrmDeliveryStatus;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  attemptLog: CrmAttemptDoc[];
  deliveredAt: string | null;
  deadLetteredAt: string | null;
  conflictReason: string | null;
  conflictRemote: string | null;
  replays: number;
}

/** The CRM scheduler's due index, in the platform scope (id = tenant id): which tenants have deliveries due, and when. */
export interface CrmDueDoc {
  dueAt: string;
  /** The entry is kept at least until then, so a delivery whose transaction is still committing is never orphaned. */
  holdUntil: string;
}

/** A configuration as deployed to one environment (id `<configId>:<environment>`), from implementation's config.deployed. */
export interface DeployedConfigDoc {
  configId: string;
  configName: string;
  environment: DeployEnvironment;
  versionNumber: number;
  previousVersion: number | null;
  deploymentId: string;
  deployedAt: string;
}

/** One window of runtime signals of a deployed configuration. */
export interface SignalWindowDoc {
  configId: string;
  environment: DeployEnvironment;
  versionNumber: number;
  at: string;
  requests: number;
  errors: number;
  conversations: number;
  successfulConversations: number;
  errorRate: number | null;
  successRate: number | null;
  breaches: Breach[];
  incidentId: string | null;
}

export type IncidentStatus = 'OPEN' | 'RESOLVED';
export type IncidentEntryKind = 'OPENED' | 'ROLLBACK_REQUESTED' | 'ROLLBACK_NOT_POSSIBLE' | 'ROLLED_BACK' | 'ROLLBACK_SKIPPED' | 'SIGNALS_BREACHED' | 'RECOVERED' | 'RESOLVED';

/** One entry of an incident's timeline. */
export interface IncidentEntry {
  at: string;
  kind: IncidentEntryKind;
  detail: string;
}

export type RollbackState = 'NOT_POSSIBLE' | 'REQUESTED' | 'DONE' | 'SKIPPED';

/** A monitoring incident of a deployed configuration, with its rollback and generated root-cause summary. */
export interface IncidentDoc {
  configId: string;
  configName: string;
  environment: DeployEnvironment;
  versionNumber: number;
  deploymentId: string;
  previousVersion: number | null;
  status: IncidentStatus;
  openedAt: string;
  resolvedAt: string | null;
  breaches: Breach[];
  errorRate: number | null;
  successRate: number | null;
  rollbackState: RollbackState;
  rollbackToVersion: number | null;
  entries: IncidentEntry[];
  rootCauseSummary: string;
  rootCauseProvenance: ProvenanceRecord;
  /** The Copilot task created for the incident (older incidents may have none). */
  taskId?: string | null;
}

export const healthScores = defineCollection<HealthScoreDoc>('lifecycle_health_scores', [{ fields: ['day'], unique: true }]);
export const settings = defineCollection<LifecycleSettingsDoc>('lifecycle_settings');
export const healthAlerts = defineCollection<HealthAlertDoc>('lifecycle_health_alerts', [{ fields: ['day'] }]);
export const copilotTasks = defineCollection<CopilotTaskDoc>('lifecycle_copilot_tasks', [{ fields: ['status'] }]);
export const lifecycleStates = defineCollection<LifecycleStateDoc>('lifecycle_states');
export const lifecycleTransitions = defineCollection<LifecycleTransitionDoc>('lifecycle_transitions');
export const timelineEvents = defineCollection<TimelineEventDoc>('lifecycle_timeline', [{ fields: ['occurredAt'] }, { fields: ['topic'] }]);
export const supportTickets = defineCollection<SupportTicketDoc>('lifecycle_support_tickets', [{ fields: ['status'] }]);

export const experiments = defineCollection<ExperimentDoc>('lifecycle_experiments');
export const experimentAssignments = defineCollection<ExperimentAssignmentDoc>('lifecycle_experiment_assignments', [{ fields: ['experimentId', 'recipientId'], unique: true }]);

export const crmSettings = defineCollection<CrmSettingsDoc>('lifecycle_crm_settings');
export const crmOpportunities = defineCollection<CrmOpportunityDoc>('lifecycle_crm_opportunities');
export const crmDeliveries = defineCollection<CrmDeliveryDoc>('lifecycle_crm_deliveries', [{ fields: ['status'] }, { fields: ['recordKey'] }, { fields: ['sourceEventId', 'operation'], unique: true }]);
export const crmDue = defineCollection<CrmDueDoc>('lifecycle_crm_due', [{ fields: ['dueAt'] }]);

export const deployedConfigs = defineCollection<DeployedConfigDoc>('lifecycle_deployed_configs', [{ fields: ['configId'] }]);
export const signalWindows = defineCollection<SignalWindowDoc>('lifecycle_signal_windows', [{ fields: ['configId', 'environment', 'versionNumber'] }]);
export const incidents = defineCollection<IncidentDoc>('lifecycle_incidents', [{ fields: ['status'] }, { fields: ['configId', 'environment', 'status'] }]);

export type MonitoringIncidentModel = Stored<IncidentDoc>;
export type MonitoredDeploymentModel = Stored<DeployedConfigDoc>;
export type CrmSettingsModel = Stored<CrmSettingsDoc>;
export type CrmDeliveryModel = Stored<CrmDeliveryDoc>;
export type HealthScoreModel = Stored<HealthScoreDoc>;
export type HealthAlertModel = Stored<HealthAlertDoc>;
export type CopilotTaskModel = Stored<CopilotTaskDoc>;
export type LifecycleStateModel = Stored<LifecycleStateDoc>;
export type LifecycleTransitionModel = Stored<LifecycleTransitionDoc>;
export type TimelineEventModel = Stored<TimelineEventDoc>;
export type SupportTicketModel = Stored<SupportTicketDoc>;
export type ExperimentModel = Stored<ExperimentDoc>;
export type ExperimentAssignmentModel = Stored<ExperimentAssignmentDoc>;

/** Organization as this subgraph sees it: a reference by id (identity owns the rest). */
export interface OrganizationModel {
  id: string;
}

/** User as this subgraph sees it: a reference by id. */
export interface UserModel {
  id: string;
}

// ------------------------------------------------------------------------ QBR, cohorts, approvals

/** The organization's QBR settings (one document per tenant, id `qbr`): objectives, ROI inputs, benchmark profile. */
export interface QbrSettingsDoc {
  objectives: QbrObjective[];
  roi: { minutesSavedPerTicket: number; hourlyCost: number; platformCostPerQuarter: number } | null;
  benchmarkProfile: BenchmarkProfile | null;
  /** The segment key of the profile (null without a profile). */
  segment: string | null;
}

export type QbrSectionKind = 'KPIS' | 'EXPERIMENTS' | 'ROI' | 'RECOMMENDATIONS' | 'BENCHMARK';

/** One section of a deck: the generated text and data, and the human edit if any. */
export interface QbrSectionDoc {
  kind: QbrSectionKind;
  title: string;
  generatedBody: string;
  generatedProvenance: ProvenanceRecord;
  /** Structured figures of the section, JSON. */
  data: string;
  editedBody: string | null;
  editedBy: string | null;
  editedAt: string | null;
  editProvenance: ProvenanceRecord | null;
}

/** A generated QBR deck of one quarter. */
export interface QbrDeckDoc {
  period: string;
  from: string;
  to: string;
  generatedAt: string;
  generatedBy: string;
  generationMs: number;
  sections: QbrSectionDoc[];
}

/** Platform scope (id = segment key): the anonymized health aggregate of a benchmark segment. */
export interface BenchmarkSegmentDoc {
  clients: number;
  sum: number;
  sumSquares: number;
}

/** Platform scope (id = keyed hash of the tenant id): a client's current contribution, so an update replaces rather than adds. */
export interface BenchmarkContributionDoc {
  segment: string;
  score: number;
}

export type ApprovalStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'AUTO_APPROVED';

/** One routing or escalation step of an approval request. */
export interface ApprovalStepDoc {
  at: string;
  action: 'ROUTED' | 'AUTO_APPROVED' | 'ESCALATED' | 'SLA_BREACHED_AT_TOP' | 'APPROVED' | 'REJECTED';
  role: string | null;
  detail: string;
}

/** An approval request routed by type, risk and amount, with its SLA and escalation state. */
export interface ApprovalRequestDoc {
  type: ApprovalType;
  risk: ApprovalRisk;
  amount: number;
  title: string;
  details: string;
  subjectTypename: string | null;
  subjectId: string | null;
  requestedBy: string;
  status: ApprovalStatus;
  chain: string[];
  level: number;
  assignedRole: string | null;
  slaSeconds: number | null;
  slaDeadline: string | null;
  escalations: number;
  /** True once the SLA passed at the top of the chain. */
  breachedAtTop: boolean;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  steps: ApprovalStepDoc[];
  taskId: string | null;
}

/** The organization's approval policy (id `approvals`): SLA seconds per risk. */
export interface ApprovalPolicyDoc {
  slaSeconds: Record<ApprovalRisk, number>;
}

/** Platform scope (id = tenant id): the earliest pending approval deadline of a tenant, for the escalation scheduler. */
export interface ApprovalDueDoc {
  dueAt: string;
}

export const qbrSettings = defineCollection<QbrSettingsDoc>('lifecycle_qbr_settings');
export const qbrDecks = defineCollection<QbrDeckDoc>('lifecycle_qbr_decks', [{ fields: ['period'] }]);
export const benchmarkSegments = defineCollection<BenchmarkSegmentDoc>('lifecycle_benchmark_segments');
export const benchmarkContributions = defineCollection<BenchmarkContributionDoc>('lifecycle_benchmark_contributions');
export const approvalRequests = defineCollection<ApprovalRequestDoc>('lifecycle_approval_requests', [{ fields: ['status'] }, { fields: ['status', 'slaDeadline'] }]);
export const approvalPolicies = defineCollection<ApprovalPolicyDoc>('lifecycle_approval_policies');
export const approvalDue = defineCollection<ApprovalDueDoc>('lifecycle_approval_due', [{ fields: ['dueAt'] }]);

export type QbrDeckModel = Stored<QbrDeckDoc>;
export type ApprovalRequestModel = Stored<ApprovalRequestDoc>;
export type QbrSettingsModel = QbrSettingsDoc & { provenance: ProvenanceRecord };
export type ApprovalPolicyModel = ApprovalPolicyDoc & { provenance: ProvenanceRecord };
