import { requireScope, type RequestContext, type TenantScope } from '../../platform/context.ts';
import { DomainError, inputError, notFound } from '../../platform/errors.ts';
import { digestOf } from '../../platform/provenance/canonical.ts';
import type { ProvenanceRecord } from '../../platform/provenance/provenance.ts';
import { evidenceHops, findChampions, pairKey, type EvidenceHop } from './domain/champions.ts';
import { enrichedContent, enrichmentFragments } from './domain/enrichment.ts';
import { derivePassions, matchCommunities, normalizeTopic, type SkillTag } from './domain/passions.ts';
import { checkId } from './domain/validation.ts';
import { consentsOf, hasConsent, personNode } from './impact-commands.ts';
import { actorOf, provenanceOf, type ImpactDeps } from './shared.ts';
import { matchProposals, passionCommunities, passionProfiles, type MatchProposalModel, type PassionCommunityModel, type PassionProfileModel } from './store.ts';

const CONTRIBUTED = 'CONTRIBUTED';
const SKILL_TAGS: readonly SkillTag[] = ['ASK_ME_ABOUT', 'ABLE_TO_MENTOR', 'WANTS_TO_LEARN'];

export interface PassionProfileInput {
  personId: string;
  teamId?: string | null;
  interests: readonly string[];
  skills: ReadonlyArray<{ name: string; tags: readonly string[] }>;
  contributions: ReadonlyArray<{ topic: string; at: string; withPersonIds?: readonly string[] | null }>;
  bio?: string | null;
}

const requirePassionConsent = async (deps: ImpactDeps, scope: TenantScope, personId: string, field: string) => {
  const consent = (await consentsOf(deps, scope, [personId])).get(personId);
  if (!hasConsent(consent, 'PASSION_ANALYSIS')) throw inputError(field, 'This person has not consented to passion analysis', 'The person grants PASSION_ANALYSIS with setMyConsents (identity) or an admin records it with setImpactConsent.');
  return consent!;
};

export const updatePassionProfile = async (deps: ImpactDeps, ctx: RequestContext, input: PassionProfileInput): Promise<PassionProfileModel> => {
  const scope = requireScope(ctx);
  const personId = checkId(input.personId, 'input.personId', 'person');
  const consent = await requirePassionConsent(deps, scope, personId, 'input.personId');
  const teamId = input.teamId ? checkId(input.teamId, 'input.teamId', 'team') : null;
  if (input.interests.length > 50) throw inputError('input.interests', 'At most 50 interests', 'Keep the 50 that matter most.');
  if (input.skills.length > 50) throw inputError('input.skills', 'At most 50 skills', 'Keep the 50 that matter most.');
  if (input.contributions.length > 500) throw inputError('input.contributions', 'At most 500 contributions', 'Send the most recent 500.');
  const interests = [...new Set(input.interests.map((t) => normalizeTopic(t, 'input.interests')))];
  const skills = input.skills.map((s) => {
    const tags = [...new Set(s.tags)];
    for (const tag of tags) if (!SKILL_TAGS.includes(tag as SkillTag)) throw inputError('input.skills.tags', `Unknown tag ${tag}`, `Use ${SKILL_TAGS.join(', ')}.`);
    return { name: normalizeTopic(s.name, 'input.skills.name'), tags: tags as SkillTag[] };
  });
  const now = Date.now();
  const contributions = input.contributions.map((c) => {
    const at = new Date(c.at);
    if (Number.isNaN(at.getTime()) || at.getTime() > now + 5 * 60_000) throw inputError('input.contributions.at', 'Contribution time is invalid or in the future', 'Use the ISO-8601 UTC time the contribution was made.');
    const withPersonIds = [...new Set((c.withPersonIds ?? []).map((id) => checkId(id, 'input.contributions.withPersonIds', 'collaborator')))].filter((id) => id !== personId);
    return { topic: normalizeTopic(c.topic, 'input.contributions.topic'), at: at.toISOString(), withPersonIds };
  });
  const bio = input.bio?.trim() ? input.bio.trim() : null;
  if (bio && bio.length > 4000) throw inputError('input.bio', 'bio is longer than 4000 characters', 'Shorten the bio.');

  // The narrative source: which known topic the bio is mostly about (LLM when configured, local rules otherwise).
  const communities = await deps.store.collection(passionCommunities).find(scope, {}, { limit: 200 });
  const candidates = [...new Set([...interests, ...skills.map((s) => s.name), ...contributions.map((c) => c.topic), ...communities.flatMap((c) => c.topics)])].slice(0, 50);
  let narrative: { topic: string; confidence: number } | null = null;
  let model: { method: 'LLM' | 'RULE'; model: string; modelVersion: string; promptDigest: string; fallbackReason?: string } | null = null;
  if (bio && candidates.length >= 2) {
    const completion = await deps.ai.complete(scope, { task: 'classify', system: 'Which topic is this person most passionate about, judging by their own words?', prompt: bio, labels: candidates });
    model = { method: completion.method, model: completion.model, modelVersion: completion.modelVersion, promptDigest: completion.promptDigest, ...(completion.fallbackReason ? { fallbackReason: completion.fallbackReason } : {}) };
    if (completion.label && completion.confidence > 1 / candidates.length + 0.1) narrative = { topic: completion.label, confidence: completion.confidence };
  }
  const passions = derivePassions({ interests, skills, contributions, narrative });
  const existing = await deps.store.collection(passionProfiles).findOne(scope, { personId });
  const contributionNodes = contributions.map((c) => `contribution:${digestOf([personId, c.topic, c.at]).slice(0, 32)}`);
  const top = passions[0];
  const provenance = provenanceOf(deps, ctx, {
    method: model ? model.method : 'RULE',
    model: model?.model ?? null,
    modelVersion: model?.modelVersion ?? null,
    inputs: { personId, interests, skills, contributions, bioDigest: bio ? digestOf(bio) : null, promptDigest: model?.promptDigest ?? null },
    confidence: top ? top.authenticity : null,
    explanation: `Passions from ${interests.length} interests, ${skills.length} skills, ${contributions.length} contributions${narrative ? ` and the bio (${model?.method} ${model?.model}: "${narrative.topic}")` : model ? ` (bio matched no topic by ${model.method} ${model.model})` : ''}${model?.fallbackReason ? `; fallback: ${model.fallbackReason}` : ''}; authenticity = 0.45·demonstrated + 0.25·consistency + 0.3·corroboration; consent basis ${consent.basis} (PASSION_ANALYSIS).`,
  });
  const doc = { personId, teamId, interests, skills, contributions, bio, narrative, passions, contributionNodes };
  const saved = await deps.store.transaction(scope, { action: 'impact.updatePassionProfile', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const profile = existing ? tx.update(passionProfiles, existing, doc, provenance) : tx.insert(passionProfiles, doc, provenance);
    tx.emit({ type: 'passion.profile.updated', topic: 'culture_events', subject: { typename: 'PassionProfile', id: profile.id }, payload: { personId, passions: passions.map((p) => ({ topic: p.topic, authenticity: p.authenticity })) } }, provenance);
    return profile;
  });
  // The collaboration graph: Person -CONTRIBUTED-> Contribution {topic}, for the author and each collaborator.
  await deps.graph.mergeNode(scope, { id: personNode(personId), label: 'Person', props: { personId, ...(teamId ? { teamId } : {}) } });
  for (const stale of existing?.contributionNodes ?? []) if (!contributionNodes.includes(stale)) await deps.graph.removeNode(scope, stale);
  for (const [i, c] of contributions.entries()) {
    await deps.graph.mergeNode(scope, { id: contributionNodes[i], label: 'Contribution', props: { topic: c.topic, at: c.at, authorId: personId } });
    await deps.graph.mergeEdge(scope, { from: personNode(personId), to: contributionNodes[i], type: CONTRIBUTED, props: { role: 'author' } });
    for (const other of c.withPersonIds) {
      if (!(await deps.graph.getNode(scope, personNode(other)))) await deps.graph.mergeNode(scope, { id: personNode(other), label: 'Person', props: { personId: other } });
      await deps.graph.mergeEdge(scope, { from: personNode(other), to: contributionNodes[i], type: CONTRIBUTED, props: { role: 'collaborator' } });
    }
  }
  return saved;
};

export const passionProfileOf = async (deps: ImpactDeps, ctx: RequestContext, personId: string): Promise<PassionProfileModel | null> => {
  const scope = requireScope(ctx);
  const id = checkId(personId, 'personId', 'person');
  const [profile, consents] = await Promise.all([deps.store.collection(passionProfiles).findOne(scope, { personId: id }), consentsOf(deps, scope, [id])]);
  // Withdrawn consent: the profile is no longer used or shown.
  return profile && hasConsent(consents.get(id), 'PASSION_ANALYSIS') ? profile : null;
};

export const createPassionCommunity = async (deps: ImpactDeps, ctx: RequestContext, input: { name: string; kind: 'COMMUNITY' | 'INITIATIVE'; topics: readonly string[] }): Promise<PassionCommunityModel> => {
  const scope = requireScope(ctx);
  const name = input.name.trim();
  if (name.length < 2 || name.length > 120) throw inputError('input.name', 'name must be 2–120 characters', 'Name the community or initiative.');
  const topics = [...new Set(input.topics.map((t) => normalizeTopic(t, 'input.topics')))];
  if (topics.length < 1 || topics.length > 20) throw inputError('input.topics', 'Give 1–20 topics', 'List the topics the community is about.');
  const provenance = provenanceOf(deps, ctx, { method: 'HUMAN', inputs: { name, kind: input.kind, topics }, explanation: `${input.kind === 'INITIATIVE' ? 'Initiative' : 'Community'} created.` });
  return deps.store
    .transaction(scope, { action: 'impact.createPassionCommunity', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
      const doc = tx.insert(passionCommunities, { name, kind: input.kind, topics }, provenance);
      tx.emit({ type: 'passion.community.created', topic: 'culture_events', subject: { typename: 'PassionCommunity', id: doc.id }, payload: { name, kind: input.kind, topics } }, provenance);
      return doc;
    })
    .catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'ALREADY_EXISTS') throw new DomainError('ALREADY_EXISTS', 'A community with this name exists', { field: 'input.name', hint: 'Choose another name.' });
      throw error;
    });
};

export const listPassionCommunities = (deps: ImpactDeps, ctx: RequestContext): Promise<PassionCommunityModel[]> =>
  deps.store.collection(passionCommunities).find(requireScope(ctx), {}, { sort: { field: 'name', direction: 1 }, limit: 200 });

export const proposePassionMatches = async (deps: ImpactDeps, ctx: RequestContext, personIdInput: string): Promise<MatchProposalModel> => {
  const scope = requireScope(ctx);
  const personId = checkId(personIdInput, 'personId', 'person');
  const consent = await requirePassionConsent(deps, scope, personId, 'personId');
  const profile = await deps.store.collection(passionProfiles).findOne(scope, { personId });
  if (!profile) throw notFound('PassionProfile', 'Create the profile with updatePassionProfile first.');
  const communities = await deps.store.collection(passionCommunities).find(scope, {}, { limit: 200 });
  const ranked = matchCommunities(profile.passions, communities.map((c) => ({ id: c.id, name: c.name, topics: c.topics })));
  const items = ranked.slice(0, 10).map((m, i) => ({ ...m, rank: i + 1 }));
  const provenance = provenanceOf(deps, ctx, {
    method: 'RULE',
    inputs: { personId, profileVersion: profile.version, passions: profile.passions.map((p) => [p.topic, p.authenticity]), communities: communities.map((c) => [c.id, c.topics]) },
    confidence: items[0]?.score ?? 0,
    explanation: `${items.length} of ${communities.length} communities ranked by Σ authenticity of matched topics ÷ topic count; consent basis ${consent.basis} (PASSION_ANALYSIS).`,
  });
  return deps.store.transaction(scope, { action: 'impact.proposePassionMatches', actor: actorOf(ctx), correlationId: ctx.correlationId }, (tx) => {
    const doc = tx.insert(matchProposals, { personId, items }, provenance);
    tx.emit({ type: 'passion.match.proposed', topic: 'culture_events', subject: { typename: 'MatchProposal', id: doc.id }, payload: { personId, communityIds: items.map((i) => i.communityId) } }, provenance);
    return doc;
  });
};

export const matchItems = (deps: ImpactDeps, ctx: RequestContext, proposal: MatchProposalModel) =>
  proposal.items.map((item) => ({ ...item, provenance: provenanceOf(deps, ctx, { method: 'RULE', inputs: { proposalId: proposal.id, item }, confidence: item.score, explanation: item.explanation }) }));

export interface ChampionView {
  personId: string;
  betweenness: number;
  teamsBridged: string[];
  collaborators: number;
  evidencePath: string[];
  evidence: Array<EvidenceHop & { provenance: ProvenanceRecord }>;
  provenance: ProvenanceRecord;
}

export const crossTeamChampions = async (deps: ImpactDeps, ctx: RequestContext, skillInput: string, first: number | null | undefined): Promise<ChampionView[]> => {
  const scope = requireScope(ctx);
  const skill = normalizeTopic(skillInput, 'skill');
  const limit = first ?? 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw inputError('first', 'first must be an integer 1–50', 'Ask for at most 50 champions.');
  const { nodes, edges } = await deps.graph.subgraph(scope, { labels: ['Person', 'Contribution'], edgeTypes: [CONTRIBUTED] });
  const contributions = new Set(nodes.filter((n) => n.label === 'Contribution' && n.props.topic === skill).map((n) => n.id));
  const people = new Map(nodes.filter((n) => n.label === 'Person').map((n) => [n.id, n]));
  const byContribution = new Map<string, string[]>();
  for (const e of edges) if (contributions.has(e.to) && people.has(e.from)) byContribution.set(e.to, [...(byContribution.get(e.to) ?? []), String(people.get(e.from)!.props.personId)]);
  const contributionAt = new Map(nodes.filter((n) => contributions.has(n.id)).map((n) => [n.id, String(n.props.at)]));
  const everyone = [...new Set([...byContribution.values()].flat())];
  const consents = await consentsOf(deps, scope, everyone);
  const allowed = new Set(everyone.filter((p) => hasConsent(consents.get(p), 'PASSION_ANALYSIS')));
  const pairs: Array<[string, string]> = [];
  const shared = new Map<string, string[]>();
  for (const [contribution, members] of byContribution) {
    const list = [...new Set(members)].filter((m) => allowed.has(m)).sort();
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        pairs.push([list[i], list[j]]);
        const key = pairKey(list[i], list[j]);
        shared.set(key, [...(shared.get(key) ?? []), contributionAt.get(contribution) ?? '']);
      }
    }
  }
  const teams = new Map<string, string | null>([...allowed].map((p) => [p, (people.get(personNode(p))?.props.teamId as string | undefined) ?? null]));
  const champions = findChampions({ teams, edges: pairs }).slice(0, limit);
  return champions.map((c) => {
    const hops = evidenceHops(c.evidencePath, teams, shared);
    return {
      ...c,
      evidence: hops.map((hop) => ({
        ...hop,
        provenance: provenanceOf(deps, ctx, { method: 'RULE', inputs: { skill, hop }, explanation: `${hop.sharedContributions} shared ${skill} contributions (latest ${hop.lastContributionAt})${hop.crossesTeams ? `, across teams ${hop.fromTeamId} → ${hop.toTeamId}` : ''}.` }),
      })),
      provenance: provenanceOf(deps, ctx, { method: 'STATISTICAL', inputs: { skill, pairs, teams: [...teams] }, confidence: Math.min(0.95, Math.round((1 - Math.exp(-pairs.length / 10)) * 1000) / 1000), explanation: `${c.explanation} Evidence path ${c.evidencePath.join(' → ')} (${hops.filter((h) => h.crossesTeams).length} of ${hops.length} hops cross teams). ${everyone.length - allowed.size} people without PASSION_ANALYSIS consent left out.` }),
    };
  });
};

export const enrich = async (deps: ImpactDeps, ctx: RequestContext, input: { personId: string; content: string }) => {
  const scope = requireScope(ctx);
  const personId = checkId(input.personId, 'input.personId', 'person');
  const content = input.content.trim();
  if (content.length < 1 || content.length > 10_000) throw inputError('input.content', 'content must be 1–10000 characters', 'Send the workflow text to personalize.');
  const consent = (await consentsOf(deps, scope, [personId])).get(personId);
  const profile = await deps.store.collection(passionProfiles).findOne(scope, { personId });
  const allowed = hasConsent(consent, 'ENRICHMENT') && hasConsent(consent, 'PASSION_ANALYSIS');
  const fragments = allowed && profile ? enrichmentFragments(content, profile.passions) : [];
  const reason = !allowed ? 'the person has not consented to ENRICHMENT and PASSION_ANALYSIS: nothing of theirs was used' : !profile ? 'the person has no passion profile' : `${fragments.length} fragments from the passion profile`;
  return {
    personId,
    originalContent: content,
    content: enrichedContent(content, fragments),
    personalized: fragments.length > 0,
    fragments: fragments.map((f) => ({
      kind: f.kind,
      topic: f.topic,
      text: f.text,
      sourceTag: `passion-profile/${profile?.id}/${f.topic}`,
      provenance: provenanceOf(deps, ctx, { method: 'RULE', inputs: { profileId: profile?.id, profileVersion: profile?.version, topic: f.topic }, confidence: f.authenticity, explanation: `From the passion "${f.topic}" (authenticity ${f.authenticity}, ${f.relevant ? 'named in the content' : 'most authentic passion'}); consent basis ${consent?.basis} (ENRICHMENT).` }),
    })),
    provenance: provenanceOf(deps, ctx, { method: 'RULE', inputs: { personId, contentDigest: digestOf(content), profileVersion: profile?.version ?? null, consent: consent?.scopes ?? [] }, confidence: fragments.length ? Math.max(...fragments.map((f) => f.authenticity)) : null, explanation: `Enrichment: ${reason}.` }),
  };
};
