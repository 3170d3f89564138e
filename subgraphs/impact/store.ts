import { defineCollection, type Stored } from '../../platform/store/port.ts';
import type { ImpactEventKind } from './domain/impact-scoring.ts';
import type { PulseTally } from './domain/safety.ts';
import type { SafetyAlertSeverity, SafetyPolicy, SafetySignal } from './domain/signals.ts';
import type { ConsentScope } from './domain/validation.ts';
import type { Passion, SkillTag } from './domain/passions.ts';
import type { EvidenceHop } from './domain/champions.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';

export type ConsentBasis = 'IDENTITY' | 'LOCAL';

/** One impact event, kind-specific fields flattened (null for other kinds). */
export interface ImpactEventDoc {
  kind: ImpactEventKind;
  personId: string;
  teamId: string | null;
  solutionId: string | null;
  occurredAt: string;
  workflowId: string | null;
  minutesSaved: number | null;
  sourceId: string | null;
  turns: number | null;
  durationMinutes: number | null;
  coveredMinutes: number | null;
  totalMinutes: number | null;
  metric: string | null;
  baseline: number | null;
  value: number | null;
  higherIsBetter: boolean | null;
  consentBasis: ConsentBasis;
}

/** A person's consent as the impact engines see it. */
export interface ImpactConsentDoc {
  personId: string;
  scopes: ConsentScope[];
  basis: ConsentBasis;
}

/** A team registered for pulses; the id is identity's Team id. */
export interface PulseTeamDoc {
  memberCount: number;
  /** The team's manager (user id) as identity's team.created named it; null when unknown. */
  managerId?: string | null;
}

/**
 * One pulse round. Responses are not stored one by one: only the tally, the sorted dedupe tokens,
 * the sorted receipt hashes and the sorted comments, so nothing ties an answer to a person or a time.
 */
export interface PulseRoundDoc {
  teamId: string;
  status: 'OPEN' | 'CLOSED';
  openedAt: string;
  closedAt: string | null;
  tally: PulseTally;
  ballots: string[];
  receiptHashes: string[];
  comments: string[];
  /** Team size when the round opened, for the participation rate. */
  memberCount: number | null;
}

/** The per-tenant HMAC key of the pulse dedupe tokens. */
export interface PulseSecretDoc {
  secret: string;
}

/** The organization's culture policy (one document, id `policy`). */
export interface CulturePolicyDoc extends SafetyPolicy {
  minGroupSize: number;
}

export interface SafetyAlertActionDoc {
  note: string;
  at: string;
  actorId: string;
  provenance: ProvenanceRecord;
}

export interface SafetyAlertDoc {
  teamId: string;
  roundId: string;
  /** Responses of the round: the read path hides the alert if it is now under the minimum group size. */
  responseCount: number;
  severity: SafetyAlertSeverity;
  signals: SafetySignal[];
  recommendedAction: string;
  status: 'RAISED' | 'ACKNOWLEDGED' | 'ACTED';
  raisedAt: string;
  acknowledgedAt: string | null;
  actions: SafetyAlertActionDoc[];
}

/** A person's passion profile: the evidence given and the passions derived from it. */
export interface PassionProfileDoc {
  personId: string;
  teamId: string | null;
  interests: string[];
  skills: Array<{ name: string; tags: SkillTag[] }>;
  contributions: Array<{ topic: string; at: string; withPersonIds: string[] }>;
  bio: string | null;
  narrative: { topic: string; confidence: number } | null;
  passions: Passion[];
  /** Graph node ids of this person's contributions, to replace them on the next update. */
  contributionNodes: string[];
}

export interface PassionCommunityDoc {
  name: string;
  kind: 'COMMUNITY' | 'INITIATIVE';
  topics: string[];
}

export interface MatchProposalDoc {
  personId: string;
  items: Array<{ communityId: string; rank: number; score: number; matchedTopics: string[]; explanation: string }>;
}

export const impactEvents = defineCollection<ImpactEventDoc>('impact_events', [{ fields: ['personId'] }, { fields: ['teamId'] }, { fields: ['solutionId'] }, { fields: ['occurredAt'] }]);
export const impactConsents = defineCollection<ImpactConsentDoc>('impact_consents', [{ fields: ['personId'], unique: true }]);
export const pulseTeams = defineCollection<PulseTeamDoc>('pulse_teams');
export const pulseRounds = defineCollection<PulseRoundDoc>('pulse_rounds', [{ fields: ['teamId'] }]);
export const pulseSecrets = defineCollection<PulseSecretDoc>('pulse_secrets');
export const culturePolicies = defineCollection<CulturePolicyDoc>('culture_policies');
export const safetyAlerts = defineCollection<SafetyAlertDoc>('safety_alerts', [{ fields: ['teamId'] }, { fields: ['roundId'] }]);

export const passionProfiles = defineCollection<PassionProfileDoc>('passion_profiles', [{ fields: ['personId'], unique: true }]);
export const passionCommunities = defineCollection<PassionCommunityDoc>('passion_communities', [{ fields: ['name'], unique: true }]);
export const matchProposals = defineCollection<MatchProposalDoc>('match_proposals', [{ fields: ['personId'] }]);

export type PassionProfileModel = Stored<PassionProfileDoc>;
export type PassionCommunityModel = Stored<PassionCommunityDoc>;
export type MatchProposalModel = Stored<MatchProposalDoc>;
export type ImpactEventModel = Stored<ImpactEventDoc>;
export type ImpactConsentModel = Stored<ImpactConsentDoc>;
export type PulseTeamModel = Stored<PulseTeamDoc>;
export type PulseRoundModel = Stored<PulseRoundDoc>;
export type SafetyAlertModel = Stored<SafetyAlertDoc>;
export type CulturePolicyModel = Stored<CulturePolicyDoc>;
/** A proposal item as resolvers receive it: the community is resolved by id. */
export type MatchProposalItemModel = MatchProposalDoc['items'][number] & { provenance: ProvenanceRecord };
/** A champion as resolvers receive it: the person is resolved as a User reference. */
export type CrossTeamChampionModel = { personId: string; betweenness: number; teamsBridged: string[]; collaborators: number; evidencePath: string[]; evidence: ChampionEvidenceHopModel[]; provenance: ProvenanceRecord };
/** A hop of a champion's evidence path; `from` and `to` resolve as User references. */
export type ChampionEvidenceHopModel = EvidenceHop & { provenance: ProvenanceRecord };
