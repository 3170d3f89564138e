import { loaderOf } from '../../platform/store/loader.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import {
  assignVariant,
  copilotWorkList,
  createExperiment,
  currentStage,
  healthComponentsOf,
  healthHistory,
  healthWeights,
  latestHealth,
  listCopilotTasks,
  listExperiments,
  listHealthAlerts,
  listTickets,
  listTimeline,
  listTransitions,
  openTicket,
  recordExperimentOutcome,
  recordHealthSignals,
  resolveTicket,
  scheduleOf,
  setCopilotTaskStatus,
  setHealthWeights,
  setLifecycleStage,
  setSupportSettings,
  supportSettings,
  supportStats,
  timelineDigest,
  variantsOf,
  subjectOf,
  timelineEventFor,
  visibleTimelineEvent,
  type LifecycleDeps,
} from './commands.ts';
import { subjectTypenameOf } from './domain/timeline.ts';
import { fieldValueText, getCrmSettings, listCrmDeliveries, mappedFieldsOf, crmSyncStats, replayCrmDelivery, resolveCrmConflict, setCrmSettings, withProvenance } from './crm/commands.ts';
import { listIncidents, monitoredDeployment, openIncidentOf, recordRuntimeSignals, resolveIncident } from './monitoring/commands.ts';
import { approvalInbox, approvalPolicy, decideApproval, listApprovalRequests, requestApproval, setApprovalPolicy } from './approvals/commands.ts';
import { cohortDrafts, listCohorts } from './cohorts/commands.ts';
import { countdownSeconds } from './domain/approvals.ts';
import { generateQbrDeck, getQbrSettings, listQbrDecks, setQbrSettings, updateQbrSection } from './qbr/commands.ts';
import { approvalRequests, qbrDecks, type QbrSectionDoc } from './store.ts';
import { copilotTasks, crmDeliveries, incidents, experimentAssignments, experiments, healthAlerts, healthScores, lifecycleTransitions, supportTickets, timelineEvents } from './store.ts';

/** Thin resolvers: argument mapping, then commands.ts and domain/. */
const sectionView = (s: QbrSectionDoc) => ({ ...s, body: s.editedBody ?? s.generatedBody, edited: s.editedBody !== null, editedBy: s.editedBy ? { id: s.editedBy } : null, provenance: s.editProvenance ?? s.generatedProvenance });

export const createResolvers = (deps: LifecycleDeps, crm: { kick(): void }, approvals: { kick(): void } = { kick: () => undefined }): Resolvers => ({
  Query: {
    healthWeights: (_root, _args, ctx) => healthWeights(deps, ctx),
    healthAlerts: (_root, args, ctx) => listHealthAlerts(deps, ctx, args),
    copilotTasks: (_root, args, ctx) => listCopilotTasks(deps, ctx, args),
    timeline: (_root, args, ctx) => listTimeline(deps, ctx, args),
    timelineEvent: async (_root, args, ctx) => timelineEventFor(ctx, await loaderOf(ctx, deps.store, timelineEvents).load(args.id)),
    timelineDigest: (_root, args, ctx) => timelineDigest(deps, ctx, args),
    copilotWorkList: (_root, args, ctx) => copilotWorkList(deps, ctx, args),
    supportTicket: (_root, args, ctx) => loaderOf(ctx, deps.store, supportTickets).load(args.id),
    supportTickets: (_root, args, ctx) => listTickets(deps, ctx, args),
    supportStats: (_root, _args, ctx) => supportStats(deps, ctx),
    supportSettings: (_root, _args, ctx) => supportSettings(deps, ctx),
    experiment: (_root, args, ctx) => loaderOf(ctx, deps.store, experiments).load(args.id),
    experiments: (_root, args, ctx) => listExperiments(deps, ctx, args),
    incidents: (_root, args, ctx) => listIncidents(deps, ctx, args),
    incident: (_root, args, ctx) => loaderOf(ctx, deps.store, incidents).load(args.id),
    monitoredDeployment: (_root, args, ctx) => monitoredDeployment(deps, ctx, args),
    crmSettings: (_root, _args, ctx) => getCrmSettings(deps, ctx),
    crmDeliveries: (_root, args, ctx) => listCrmDeliveries(deps, ctx, args),
    crmDelivery: (_root, args, ctx) => loaderOf(ctx, deps.store, crmDeliveries).load(args.id),
    crmDeadLetters: (_root, args, ctx) => listCrmDeliveries(deps, ctx, { ...args, status: 'DEAD_LETTER' }),
    crmReviewQueue: (_root, args, ctx) => listCrmDeliveries(deps, ctx, { ...args, status: 'CONFLICT' }),
    crmSyncStats: (_root, _args, ctx) => crmSyncStats(deps, ctx),
    qbrSettings: (_root, _args, ctx) => getQbrSettings(deps, ctx),
    qbrDeck: (_root, args, ctx) => loaderOf(ctx, deps.store, qbrDecks).load(args.id),
    qbrDecks: (_root, args, ctx) => listQbrDecks(deps, ctx, args),
    cohorts: (_root, _args, ctx) => listCohorts(deps, ctx),
    cohortDrafts: (_root, args, ctx) => cohortDrafts(deps, ctx, args),
    approvalRequest: (_root, args, ctx) => loaderOf(ctx, deps.store, approvalRequests).load(args.id),
    approvalRequests: (_root, args, ctx) => listApprovalRequests(deps, ctx, args),
    approvalInbox: (_root, _args, ctx) => approvalInbox(deps, ctx),
    approvalPolicy: (_root, _args, ctx) => approvalPolicy(deps, ctx),
  },
  Mutation: {
    recordHealthSignals: (_root, { input }, ctx) => recordHealthSignals(deps, ctx, input),
    setHealthWeights: (_root, { input }, ctx) => setHealthWeights(deps, ctx, input),
    setLifecycleStage: (_root, { input }, ctx) => setLifecycleStage(deps, ctx, input),
    setCopilotTaskStatus: (_root, args, ctx) => setCopilotTaskStatus(deps, ctx, args),
    openTicket: (_root, { input }, ctx) => openTicket(deps, ctx, input),
    resolveTicket: (_root, args, ctx) => resolveTicket(deps, ctx, args),
    setSupportSettings: (_root, { input }, ctx) => setSupportSettings(deps, ctx, input),
    createExperiment: (_root, { input }, ctx) => createExperiment(deps, ctx, input),
    assignVariant: (_root, args, ctx) => assignVariant(deps, ctx, args),
    recordExperimentOutcome: (_root, args, ctx) => recordExperimentOutcome(deps, ctx, args),
    recordRuntimeSignals: (_root, { input }, ctx) => recordRuntimeSignals(deps, ctx, input),
    resolveIncident: (_root, args, ctx) => resolveIncident(deps, ctx, args),
    setCrmSettings: (_root, { input }, ctx) => setCrmSettings(deps, ctx, input),
    replayCrmDelivery: (_root, args, ctx) => replayCrmDelivery(deps, ctx, args.id, crm.kick),
    resolveCrmConflict: (_root, args, ctx) => resolveCrmConflict(deps, ctx, args, crm.kick),
    setQbrSettings: (_root, { input }, ctx) => setQbrSettings(deps, ctx, input),
    generateQbrDeck: (_root, args, ctx) => generateQbrDeck(deps, ctx, args),
    updateQbrSection: (_root, { input }, ctx) => updateQbrSection(deps, ctx, input),
    requestApproval: (_root, { input }, ctx) => requestApproval(deps, ctx, input, approvals.kick),
    decideApproval: (_root, args, ctx) => decideApproval(deps, ctx, args),
    setApprovalPolicy: (_root, { input }, ctx) => setApprovalPolicy(deps, ctx, input),
  },
  QbrSettings: {
    objectives: (settings) => withProvenance(settings.objectives, settings.provenance),
    roi: (settings) => (settings.roi ? { ...settings.roi, provenance: settings.provenance } : null),
    benchmarkProfile: (settings) => (settings.benchmarkProfile ? { ...settings.benchmarkProfile, provenance: settings.provenance } : null),
  },
  ApprovalPolicy: {
    slaSeconds: (policy) => ({ ...policy.slaSeconds, provenance: policy.provenance }),
  },
  QbrDeck: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, qbrDecks).load(ref.id as string),
    generatedBy: (deck) => ({ id: deck.generatedBy }),
    sections: (deck) => deck.sections.map(sectionView),
    section: (deck, args) => {
      const found = deck.sections.find((s) => s.kind === args.kind);
      return found ? sectionView(found) : null;
    },
  },
  ApprovalRequest: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, approvalRequests).load(ref.id as string),
    requestedBy: (request) => ({ id: request.requestedBy }),
    steps: (request) => withProvenance(request.steps, request.provenance),
    decidedBy: (request) => (request.decidedBy ? { id: request.decidedBy } : null),
    slaSecondsLeft: (request) => (request.status === 'PENDING' && request.slaDeadline ? countdownSeconds(request.slaDeadline, new Date()) : null),
  },
  MonitoredDeployment: {
    version: (deployed) => deployed.versionNumber,
    deployment: (deployed) => ({ id: deployed.deploymentId }),
    openIncident: (deployed, _args, ctx) => openIncidentOf(deps, ctx, deployed),
  },
  MonitoringIncident: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, incidents).load(ref.id as string),
    config: (incident) => ({ id: incident.configId }),
    version: (incident) => incident.versionNumber,
    deployment: (incident) => ({ id: incident.deploymentId }),
    timeline: (incident) => withProvenance(incident.entries, incident.provenance),
    rootCause: (incident) => ({ summary: incident.rootCauseSummary, provenance: incident.rootCauseProvenance }),
    task: (incident, _args, ctx) => (incident.taskId ? loaderOf(ctx, deps.store, copilotTasks).load(incident.taskId) : null),
  },
  CrmSettings: {
    fieldMapping: (settings) => withProvenance(settings.fieldMapping, settings.provenance),
    stageMapping: (settings) => withProvenance(settings.stageMapping, settings.provenance),
  },
  CrmDelivery: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, crmDeliveries).load(ref.id as string),
    prospect: (delivery) => ({ id: delivery.recordKey }),
    fields: (delivery) => delivery.fields.map((f) => ({ name: f.name, value: fieldValueText(f.value), provenance: delivery.provenance })),
    mappedFields: async (delivery, _args, ctx) => (await mappedFieldsOf(deps, ctx, delivery)).map((f) => ({ name: f.name, value: fieldValueText(f.value), provenance: delivery.provenance })),
    precondition: (delivery) => (delivery.precondition ? { name: delivery.precondition.name, value: fieldValueText(delivery.precondition.value), provenance: delivery.provenance } : null),
    attemptLog: (delivery) => withProvenance(delivery.attemptLog, delivery.provenance),
  },
  Experiment: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, experiments).load(ref.id as string),
    variants: (experiment, _args, ctx) => variantsOf(deps, ctx, experiment),
  },
  ExperimentAssignment: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, experimentAssignments).load(ref.id as string),
    experiment: (assignment, _args, ctx) => loaderOf(ctx, deps.store, experiments).load(assignment.experimentId),
    content: async (assignment, _args, ctx) => {
      const experiment = await loaderOf(ctx, deps.store, experiments).load(assignment.experimentId);
      return experiment?.variants.find((v) => v.key === assignment.variantKey)?.content ?? '';
    },
  },
  Organization: {
    __resolveReference: (ref) => ({ id: ref.id as string }),
    health: (org, _args, ctx) => latestHealth(deps, ctx, org.id),
    healthHistory: (org, args, ctx) => healthHistory(deps, ctx, org.id, args),
    lifecycle: (org, _args, ctx) => currentStage(deps, ctx, org.id),
    lifecycleTransitions: (org, args, ctx) => listTransitions(deps, ctx, org.id, args),
  },
  HealthScore: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, healthScores).load(ref.id as string),
    components: (score) => healthComponentsOf(score),
  },
  HealthAlert: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, healthAlerts).load(ref.id as string),
    healthScore: (alert, _args, ctx) => loaderOf(ctx, deps.store, healthScores).load(alert.healthScoreId),
    task: (alert, _args, ctx) => loaderOf(ctx, deps.store, copilotTasks).load(alert.taskId),
    raisedAt: (alert) => alert.createdAt,
  },
  CopilotTask: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, copilotTasks).load(ref.id as string),
  },
  LifecycleState: {
    messagingSchedule: (state, _args, ctx) => scheduleOf(deps, ctx, state),
  },
  LifecycleTransition: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, lifecycleTransitions).load(ref.id as string),
  },
  TimelineEvent: {
    __resolveReference: async (ref, ctx) => visibleTimelineEvent(ctx, await loaderOf(ctx, deps.store, timelineEvents).load(ref.id as string)),
    actor: (event) => (event.actorKind === 'user' ? { id: event.actorId } : null),
    clientId: (event) => event.tenantId,
    organization: (event) => ({ id: event.tenantId }),
    subject: (event, _args, ctx) => subjectOf(deps, ctx, event),
  },
  TimelineSubject: {
    __resolveType: (subject) => subjectTypenameOf(subject),
  },
  SupportTicket: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, supportTickets).load(ref.id as string),
    openedBy: (ticket) => ({ id: ticket.openedBy }),
    resolvedBy: (ticket) => (ticket.resolvedBy ? { id: ticket.resolvedBy } : null),
    matchedTicket: (ticket, _args, ctx) => (ticket.matchedTicketId ? loaderOf(ctx, deps.store, supportTickets).load(ticket.matchedTicketId) : null),
    escalationTask: (ticket, _args, ctx) => (ticket.escalationTaskId ? loaderOf(ctx, deps.store, copilotTasks).load(ticket.escalationTaskId) : null),
    slaBreached: (ticket) => (ticket.resolvedAt ? ticket.resolvedAt > ticket.slaDueAt : Date.now() > Date.parse(ticket.slaDueAt)),
  },
});
