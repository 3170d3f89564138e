import { DomainError } from '../../../platform/errors.ts';
import { betweenness, evidenceHops, findChampions, pairKey } from './champions.ts';
import { authenticityOf, derivePassions, matchCommunities, normalizeTopic } from './passions.ts';

describe('passions and authenticity', () => {
  it('scores authenticity from demonstration, consistency and corroboration', () => {
    // 0.45(1 − e^−1) + 0.25 + 0.3 = 0.834
    expect(authenticityOf(3, 3, 3)).toBe(0.834);
    expect(authenticityOf(0, 0, 1)).toBe(0.1);
    expect(authenticityOf(0, 0, 0)).toBe(0);
  });

  it('derives passions with declared vs demonstrated evidence', () => {
    const passions = derivePassions({
      interests: ['data viz', 'gardening'],
      skills: [{ name: 'data viz', tags: ['ABLE_TO_MENTOR'] }, { name: 'rust', tags: ['WANTS_TO_LEARN'] }],
      contributions: [
        { topic: 'data viz', at: '2026-08-02T00:00:00Z' },
        { topic: 'data viz', at: '2026-09-10T00:00:00Z' },
        { topic: 'data viz', at: '2026-10-01T00:00:00Z' },
      ],
      narrative: null,
    });
    expect(passions.map((p) => [p.topic, p.authenticity])).toEqual([['data viz', 0.834], ['gardening', 0.1], ['rust', 0.1]]);
    expect(passions[0]).toMatchObject({ sources: ['INTEREST', 'SKILL', 'CONTRIBUTION'], canMentor: true, demonstratedCount: 3, activeMonths: 3 });
    expect(passions[2]).toMatchObject({ wantsToLearn: true, canMentor: false });
    expect(passions[1].explanation).toContain('declared but not yet demonstrated');
  });

  it('normalizes topics', () => {
    expect(normalizeTopic('  Data   Viz ')).toBe('data viz');
    expect(() => normalizeTopic('x')).toThrow(DomainError);
  });

  it('ranks communities with explanations', () => {
    const passions = derivePassions({ interests: ['a1', 'b2'], skills: [], contributions: [{ topic: 'a1', at: '2026-01-01' }], narrative: null });
    // a1: 0.45(1 − e^(−1/3)) + 0.25/3 + 0.3·2/3 = 0.1276 + 0.0833 + 0.2 = 0.411; b2: 0.1
    const ranked = matchCommunities(passions, [
      { id: 'c1', name: 'Alpha', topics: ['a1', 'zz'] },
      { id: 'c2', name: 'Beta', topics: ['b2'] },
      { id: 'c3', name: 'Gamma', topics: ['qq'] },
    ]);
    expect(ranked.map((r) => [r.communityId, r.score])).toEqual([['c1', 0.206], ['c2', 0.1]]);
    expect(ranked[0].explanation).toContain('1 of 2 topics');
  });
});

describe('cross-team champions', () => {
  it('computes betweenness by hand', () => {
    const b = betweenness(['a', 'b', 'c', 'd'], [['a', 'b'], ['b', 'c'], ['c', 'd']]);
    expect(Object.fromEntries(b)).toEqual({ a: 0, b: 2, c: 2, d: 0 });
    const star = betweenness(['h', 'x', 'y', 'z'], [['h', 'x'], ['h', 'y'], ['h', 'z']]);
    expect(star.get('h')).toBe(3);
  });

  it('finds the bridge between teams with an evidence path', () => {
    const teams = new Map<string, string | null>([['h', 'T1'], ['x', 'T2'], ['y', 'T3'], ['z', 'T1']]);
    const champions = findChampions({ teams, edges: [['h', 'x'], ['h', 'y'], ['h', 'z']] });
    // Leaves collaborate across teams but nothing flows through them (betweenness 0): not champions.
    expect(champions).toHaveLength(1);
    expect(champions[0]).toMatchObject({ personId: 'h', betweenness: 1, teamsBridged: ['T1', 'T2', 'T3'], collaborators: 3, evidencePath: ['z', 'h', 'x'] });
  });

  it('names both bridges of a chain across two teams', () => {
    const teams = new Map<string, string | null>([['a', 'T1'], ['b', 'T1'], ['c', 'T2'], ['d', 'T2']]);
    const champions = findChampions({ teams, edges: [['a', 'b'], ['b', 'c'], ['c', 'd']] });
    // b and c: betweenness 2 / ((4 − 1)(4 − 2)/2) = 0.667
    expect(champions.map((c) => [c.personId, c.betweenness, c.evidencePath])).toEqual([['b', 0.667, ['a', 'b', 'c']], ['c', 0.667, ['d', 'c', 'b']]]);
  });

  it('backs every hop of the evidence path with shared contributions and marks team crossings', () => {
    const teams = new Map<string, string | null>([['a', 'T1'], ['b', 'T1'], ['c', 'T2'], ['d', null]]);
    const shared = new Map<string, string[]>([
      [pairKey('b', 'a'), ['2026-07-15T10:00:00.000Z']],
      [pairKey('b', 'c'), ['2026-09-01T00:00:00.000Z', '2026-08-01T00:00:00.000Z']],
      [pairKey('c', 'd'), ['2026-06-01T00:00:00.000Z']],
    ]);
    expect(pairKey('b', 'a')).toBe('a|b');
    expect(evidenceHops(['a', 'b', 'c'], teams, shared)).toEqual([
      { fromPersonId: 'a', fromTeamId: 'T1', toPersonId: 'b', toTeamId: 'T1', crossesTeams: false, sharedContributions: 1, lastContributionAt: '2026-07-15T10:00:00.000Z' },
      { fromPersonId: 'b', fromTeamId: 'T1', toPersonId: 'c', toTeamId: 'T2', crossesTeams: true, sharedContributions: 2, lastContributionAt: '2026-09-01T00:00:00.000Z' },
    ]);
    // An unknown team is not a crossing.
    expect(evidenceHops(['c', 'd'], teams, shared)[0].crossesTeams).toBe(false);
    // A path the graph does not hold is refused, never invented.
    expect(() => evidenceHops(['a', 'c'], teams, shared)).toThrow('No shared contribution');
  });
});
