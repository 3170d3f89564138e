/**
 * Solution virality from the adoption graph: how a solution spreads person to person, across teams
 * and over generations, rather than how many people use it.
 */
import { round } from './impact-scoring.ts';

export interface AdoptionEdge {
  adopterId: string;
  /** The person the adopter learned it from; null for an originator or an unknown source. */
  sourceId: string | null;
  /** The adopter's team when known. */
  teamId: string | null;
  /** ISO time of adoption; earlier adoptions win when a person adopted twice. */
  at: string;
}

export interface ViralityResult {
  adopters: number;
  teamsReached: number;
  /** Longest chain of person-to-person adoption (originators are generation 0). */
  generations: number;
  /** Mean number of people each adopter passed the solution on to. */
  reproductionNumber: number;
  /** Share of sourced adoptions whose adopter sits on a different team than the source. */
  crossTeamShare: number;
  /** New teams reached per generation: (teams − 1) / generations. */
  teamsPerGeneration: number;
  score: number;
  explanation: string;
}

/** Generation of each adopter: 0 without a known adopting source, else the source's generation + 1 (cycles cut). */
export const generationsOf = (edges: readonly AdoptionEdge[]): Map<string, number> => {
  const first = new Map<string, AdoptionEdge>();
  for (const edge of [...edges].sort((a, b) => a.at.localeCompare(b.at))) if (!first.has(edge.adopterId)) first.set(edge.adopterId, edge);
  const memo = new Map<string, number>();
  const visit = (id: string, seen: Set<string>): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const edge = first.get(id);
    const source = edge?.sourceId ?? null;
    const gen = source && first.has(source) && !seen.has(source) ? visit(source, new Set([...seen, id])) + 1 : 0;
    memo.set(id, gen);
    return gen;
  };
  for (const id of first.keys()) visit(id, new Set([id]));
  return memo;
};

export const viralityOf = (edges: readonly AdoptionEdge[]): ViralityResult => {
  const generations = generationsOf(edges);
  const firstEdges = new Map<string, AdoptionEdge>();
  for (const edge of [...edges].sort((a, b) => a.at.localeCompare(b.at))) if (!firstEdges.has(edge.adopterId)) firstEdges.set(edge.adopterId, edge);
  const adopters = firstEdges.size;
  const teamOf = new Map<string, string | null>([...firstEdges].map(([id, e]) => [id, e.teamId]));
  const teams = new Set([...firstEdges.values()].map((e) => e.teamId).filter((t): t is string => t !== null));
  const sourced = [...firstEdges.values()].filter((e) => e.sourceId !== null && e.sourceId !== e.adopterId);
  const secondary = sourced.filter((e) => firstEdges.has(e.sourceId as string)).length;
  const withTeams = sourced.filter((e) => e.teamId !== null && teamOf.get(e.sourceId as string));
  const cross = withTeams.filter((e) => teamOf.get(e.sourceId as string) !== e.teamId).length;
  const maxGen = Math.max(0, ...generations.values());
  const r = adopters > 0 ? secondary / adopters : 0;
  const crossTeamShare = withTeams.length > 0 ? cross / withTeams.length : 0;
  const teamsPerGeneration = maxGen > 0 ? Math.max(0, teams.size - 1) / maxGen : 0;
  const score = adopters === 0 ? 0 : 100 * (0.4 * (r / (1 + r)) + 0.3 * crossTeamShare + 0.3 * (1 - Math.exp(-maxGen / 3)));
  return {
    adopters,
    teamsReached: teams.size,
    generations: maxGen,
    reproductionNumber: round(r, 3),
    crossTeamShare: round(crossTeamShare, 3),
    teamsPerGeneration: round(teamsPerGeneration, 3),
    score: round(score),
    explanation: `Virality = 100 × (0.4 × R/(1+R) + 0.3 × cross-team share + 0.3 × (1 − e^(−generations/3))); R = ${round(r, 3)}, cross-team share = ${round(crossTeamShare, 3)}, generations = ${maxGen}.`,
  };
};
