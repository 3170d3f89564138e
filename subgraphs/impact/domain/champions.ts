/**
 * Cross-team champions: people who carry a skill across team boundaries, found by betweenness
 * centrality (Brandes) in the skill's undirected collaboration graph: someone lies on shortest paths
 * between others (betweenness > 0) and collaborates with at least one person of another team.
 */
import { round } from './impact-scoring.ts';

export interface CollaborationGraph {
  /** Person id → team id (null when unknown). */
  teams: ReadonlyMap<string, string | null>;
  /** Undirected collaboration pairs. */
  edges: ReadonlyArray<[string, string]>;
}

/** Unnormalized betweenness of every node of an undirected, unweighted graph (Brandes 2001). */
export const betweenness = (nodes: readonly string[], edges: ReadonlyArray<[string, string]>): Map<string, number> => {
  const adj = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const [a, b] of edges) {
    if (a === b || !adj.has(a) || !adj.has(b)) continue;
    if (!adj.get(a)!.includes(b)) adj.get(a)!.push(b);
    if (!adj.get(b)!.includes(a)) adj.get(b)!.push(a);
  }
  const cb = new Map<string, number>(nodes.map((n) => [n, 0]));
  for (const s of nodes) {
    const stack: string[] = [];
    const preds = new Map<string, string[]>(nodes.map((n) => [n, []]));
    const sigma = new Map<string, number>(nodes.map((n) => [n, 0]));
    const dist = new Map<string, number>(nodes.map((n) => [n, -1]));
    sigma.set(s, 1);
    dist.set(s, 0);
    const queue = [s];
    while (queue.length) {
      const v = queue.shift() as string;
      stack.push(v);
      for (const w of adj.get(v)!) {
        if (dist.get(w)! < 0) {
          dist.set(w, dist.get(v)! + 1);
          queue.push(w);
        }
        if (dist.get(w) === dist.get(v)! + 1) {
          sigma.set(w, sigma.get(w)! + sigma.get(v)!);
          preds.get(w)!.push(v);
        }
      }
    }
    const delta = new Map<string, number>(nodes.map((n) => [n, 0]));
    while (stack.length) {
      const w = stack.pop() as string;
      for (const v of preds.get(w)!) delta.set(v, delta.get(v)! + (sigma.get(v)! / sigma.get(w)!) * (1 + delta.get(w)!));
      if (w !== s) cb.set(w, cb.get(w)! + delta.get(w)!);
    }
  }
  // Each undirected pair was counted from both ends.
  for (const [n, v] of cb) cb.set(n, v / 2);
  return cb;
};

export interface Champion {
  personId: string;
  /** Betweenness normalized by (n − 1)(n − 2)/2, 0–1. */
  betweenness: number;
  teamsBridged: string[];
  collaborators: number;
  /** A path through the champion joining two teams: [from, champion, to] (or [champion, to]). */
  evidencePath: string[];
  explanation: string;
}

export const findChampions = (graph: CollaborationGraph): Champion[] => {
  const nodes = [...graph.teams.keys()].sort();
  const raw = betweenness(nodes, graph.edges);
  const n = nodes.length;
  const norm = n > 2 ? ((n - 1) * (n - 2)) / 2 : 1;
  const neighbors = new Map<string, Set<string>>(nodes.map((id) => [id, new Set()]));
  for (const [a, b] of graph.edges) {
    if (a === b || !neighbors.has(a) || !neighbors.has(b)) continue;
    neighbors.get(a)!.add(b);
    neighbors.get(b)!.add(a);
  }
  const champions: Champion[] = [];
  for (const id of nodes) {
    const own = graph.teams.get(id) ?? null;
    const near = [...neighbors.get(id)!].sort();
    const teams = new Set([own, ...near.map((m) => graph.teams.get(m) ?? null)].filter((t): t is string => t !== null));
    const foreign = near.filter((m) => (graph.teams.get(m) ?? null) !== null && graph.teams.get(m) !== own);
    if (teams.size < 2 || foreign.length === 0 || raw.get(id)! <= 0) continue;
    const home = near.find((m) => !foreign.includes(m) && (graph.teams.get(m) ?? null) !== null) ?? near.find((m) => m !== foreign[0] && graph.teams.get(m) !== graph.teams.get(foreign[0]));
    const evidencePath = home ? [home, id, foreign[0]] : [id, foreign[0]];
    const b = round(raw.get(id)! / norm, 3);
    champions.push({
      personId: id,
      betweenness: b,
      teamsBridged: [...teams].sort(),
      collaborators: near.length,
      evidencePath,
      explanation: `Betweenness ${b} in the skill's collaboration graph of ${n} people; collaborates with ${near.length} people across ${teams.size} teams.`,
    });
  }
  return champions.sort((x, y) => y.betweenness - x.betweenness || y.teamsBridged.length - x.teamsBridged.length || x.personId.localeCompare(y.personId));
};

/** One hop of an evidence path: two people who contributed to the skill together. */
export interface EvidenceHop {
  fromPersonId: string;
  fromTeamId: string | null;
  toPersonId: string;
  toTeamId: string | null;
  /** True when the two people sit on different (known) teams: the skill crossed a boundary here. */
  crossesTeams: boolean;
  /** Contributions on the skill both made. */
  sharedContributions: number;
  /** ISO time of the latest of those contributions. */
  lastContributionAt: string;
}

/** The undirected key of a pair of people. */
export const pairKey = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);

/**
 * The evidence behind a path of people: for each consecutive pair, the contributions they made together
 * (`shared`: pair key → ISO times of their shared contributions) and whether the hop crosses teams.
 * A pair without shared contributions is not evidence: the function throws, so a path can never claim
 * a collaboration the graph does not hold.
 */
export const evidenceHops = (path: readonly string[], teams: ReadonlyMap<string, string | null>, shared: ReadonlyMap<string, readonly string[]>): EvidenceHop[] =>
  path.slice(1).map((to, i) => {
    const from = path[i];
    const times = shared.get(pairKey(from, to)) ?? [];
    if (times.length === 0) throw new Error(`No shared contribution between ${from} and ${to}`);
    const fromTeamId = teams.get(from) ?? null;
    const toTeamId = teams.get(to) ?? null;
    return {
      fromPersonId: from,
      fromTeamId,
      toPersonId: to,
      toTeamId,
      crossesTeams: fromTeamId !== null && toTeamId !== null && fromTeamId !== toTeamId,
      sharedContributions: times.length,
      lastContributionAt: [...times].sort().at(-1) as string,
    };
  });
