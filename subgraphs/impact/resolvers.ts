import { requireScope } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';
import { loaderOf } from '../../platform/store/loader.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import {
  acknowledgeSafetyAlert,
  alertSignals,
  closePulseRound,
  concernStatus,
  cultureSummary,
  listSafetyAlerts,
  openPulseRound,
  policyOf,
  pulseRoundsOf,
  recordAlertAction,
  registerPulseTeam,
  roundResult,
  roundSuppressed,
  setPrivacyThreshold,
  setSafetyAlertPolicy,
  submitPulseResponse,
  teamSafety,
  visibleAlert,
} from './culture-commands.ts';
import { impactConsentOf, impactDashboard, impactScore, impactSummary, listImpactEvents, recordImpactEvent, setImpactConsent, solutionVirality } from './impact-commands.ts';
import { createPassionCommunity, crossTeamChampions, enrich, listPassionCommunities, matchItems, passionProfileOf, proposePassionMatches, updatePassionProfile } from './passion-commands.ts';
import type { ImpactDeps } from './shared.ts';
import { impactConsents, impactEvents, matchProposals, passionCommunities, passionProfiles, pulseRounds, pulseTeams, safetyAlerts } from './store.ts';

/** Thin resolvers: argument mapping; the work is in *-commands.ts and domain/. */
export const createResolvers = (deps: ImpactDeps): Resolvers => ({
  Query: {
    impactEvent: (_root, args, ctx) => loaderOf(ctx, deps.store, impactEvents).load(args.id),
    impactEvents: (_root, args, ctx) => listImpactEvents(deps, ctx, args),
    impactScore: (_root, args, ctx) => impactScore(deps, ctx, args),
    solutionVirality: (_root, args, ctx) => solutionVirality(deps, ctx, args.solutionId, args.window),
    impactDashboard: (_root, args, ctx) => impactDashboard(deps, ctx, args.window, args.scope),
    impactConsent: (_root, args, ctx) => impactConsentOf(deps, ctx, args.personId),
    pulseRound: (_root, args, ctx) => loaderOf(ctx, deps.store, pulseRounds).load(args.id),
    pulseRounds: (_root, args, ctx) => pulseRoundsOf(deps, ctx, args.teamId),
    teamSafety: (_root, args, ctx) => teamSafety(deps, ctx, args.teamId, args.periods),
    safetyAlert: async (_root, args, ctx) => visibleAlert(deps, ctx, await loaderOf(ctx, deps.store, safetyAlerts).load(args.id)),
    safetyAlerts: (_root, args, ctx) => listSafetyAlerts(deps, ctx, args),
    concernStatus: (_root, args, ctx) => concernStatus(deps, ctx, args.receiptCode),
    culturePolicy: (_root, _args, ctx) => policyOf(deps, requireScope(ctx)),
    cultureSummary: (_root, args, ctx) => cultureSummary(deps, ctx, args.window),
    passionProfile: (_root, args, ctx) => passionProfileOf(deps, ctx, args.personId),
    passionCommunities: (_root, _args, ctx) => listPassionCommunities(deps, ctx),
    matchProposal: (_root, args, ctx) => loaderOf(ctx, deps.store, matchProposals).load(args.id),
    crossTeamChampions: (_root, args, ctx) => crossTeamChampions(deps, ctx, args.skill, args.first),
    enrich: (_root, { input }, ctx) => enrich(deps, ctx, input),
  },
  Mutation: {
    recordImpactEvent: (_root, { input }, ctx) => recordImpactEvent(deps, ctx, input),
    setImpactConsent: (_root, { input }, ctx) => setImpactConsent(deps, ctx, input),
    registerPulseTeam: (_root, { input }, ctx) => registerPulseTeam(deps, ctx, input),
    openPulseRound: (_root, args, ctx) => openPulseRound(deps, ctx, args.teamId),
    closePulseRound: (_root, args, ctx) => closePulseRound(deps, ctx, args.id),
    submitPulseResponse: (_root, { input }, ctx) => submitPulseResponse(deps, ctx, input),
    setPrivacyThreshold: (_root, args, ctx) => setPrivacyThreshold(deps, ctx, args.minGroupSize),
    setSafetyAlertPolicy: (_root, { input }, ctx) => setSafetyAlertPolicy(deps, ctx, input),
    acknowledgeSafetyAlert: (_root, args, ctx) => acknowledgeSafetyAlert(deps, ctx, args.id),
    recordAlertAction: (_root, { input }, ctx) => recordAlertAction(deps, ctx, input),
    updatePassionProfile: (_root, { input }, ctx) => updatePassionProfile(deps, ctx, input),
    createPassionCommunity: (_root, { input }, ctx) => createPassionCommunity(deps, ctx, input),
    proposePassionMatches: (_root, args, ctx) => proposePassionMatches(deps, ctx, args.personId),
  },
  Organization: {
    __resolveReference: (ref) => ({ id: ref.id as string }),
    impactSummary: (org, _args, ctx) => impactSummary(deps, ctx, org.id),
  },
  ImpactEvent: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, impactEvents).load(ref.id as string),
    person: (event) => ({ id: event.personId }),
  },
  ImpactConsent: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, impactConsents).load(ref.id as string),
  },
  PulseTeam: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, pulseTeams).load(ref.id as string),
    team: (team) => ({ id: team.id }),
  },
  PulseRound: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, pulseRounds).load(ref.id as string),
    team: (round) => ({ id: round.teamId }),
    suppressed: (round, _args, ctx) => roundSuppressed(deps, ctx, round),
    result: (round, _args, ctx) => roundResult(deps, ctx, round),
  },
  PassionProfile: {
    __resolveReference: async (ref, ctx) => {
      const profile = await loaderOf(ctx, deps.store, passionProfiles).load(ref.id as string);
      return profile ? passionProfileOf(deps, ctx, profile.personId) : null;
    },
    person: (profile) => ({ id: profile.personId }),
    passions: (profile) => profile.passions.map((p) => ({ ...p, provenance: profile.provenance })),
  },
  PassionCommunity: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, passionCommunities).load(ref.id as string),
  },
  MatchProposal: {
    __resolveReference: (ref, ctx) => loaderOf(ctx, deps.store, matchProposals).load(ref.id as string),
    person: (proposal) => ({ id: proposal.personId }),
    items: (proposal, _args, ctx) => matchItems(deps, ctx, proposal),
  },
  MatchProposalItem: {
    community: async (item, _args, ctx) => {
      const community = await loaderOf(ctx, deps.store, passionCommunities).load(item.communityId);
      if (!community) throw notFound('PassionCommunity');
      return community;
    },
  },
  CrossTeamChampion: {
    person: (champion) => ({ id: champion.personId }),
  },
  ChampionEvidenceHop: {
    from: (hop) => ({ id: hop.fromPersonId }),
    to: (hop) => ({ id: hop.toPersonId }),
  },
  TeamSafety: {
    team: (safety) => ({ id: safety.teamId }),
  },
  SafetyAlert: {
    __resolveReference: async (ref, ctx) => visibleAlert(deps, ctx, await loaderOf(ctx, deps.store, safetyAlerts).load(ref.id as string)),
    team: (alert) => ({ id: alert.teamId }),
    round: async (alert, _args, ctx) => {
      const round = await loaderOf(ctx, deps.store, pulseRounds).load(alert.roundId);
      if (!round) throw notFound('PulseRound');
      return round;
    },
    signals: (alert, _args, ctx) => alertSignals(deps, ctx, alert),
  },
});
