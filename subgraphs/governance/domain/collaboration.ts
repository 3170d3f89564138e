import type { PolicyAction } from './policy.ts';

export type CollaborationPattern = 'SEQUENTIAL' | 'PARALLEL' | 'HIERARCHICAL' | 'COLLABORATIVE';
export type CollaborationRole = 'CREATIVE' | 'CRITICAL' | 'SYNTHESIS' | 'FACILITATOR';

export interface CollaborationAgent {
  key: string;
  name: string;
  role: CollaborationRole;
  instructions: string;
}

/** The lead of a hierarchical run: the first FACILITATOR, else the first SYNTHESIS agent, else the first agent. */
export const pickLead = (agents: readonly CollaborationAgent[]): CollaborationAgent =>
  agents.find((a) => a.role === 'FACILITATOR') ?? agents.find((a) => a.role === 'SYNTHESIS') ?? agents[0];

/** Who reviews whom in a collaborative run: every CRITICAL agent reviews every answer but its own (nobody critical: none). */
export const reviewPairs = (agents: readonly CollaborationAgent[]): Array<{ reviewer: string; author: string }> =>
  agents.filter((a) => a.role === 'CRITICAL').flatMap((reviewer) => agents.filter((a) => a.key !== reviewer.key && a.role !== 'SYNTHESIS').map((author) => ({ reviewer: reviewer.key, author: author.key })));

/** The subtask a lead delegates to an agent, by role. */
export const subtaskFor = (goal: string, role: CollaborationRole): string =>
  ({
    CREATIVE: `Propose options for: ${goal}`,
    CRITICAL: `List the risks and open questions of: ${goal}`,
    SYNTHESIS: `Summarize the key points of: ${goal}`,
    FACILITATOR: `Outline the next steps for: ${goal}`,
  })[role];

export interface ContributionSummary {
  agentKey: string;
  outcome: PolicyAction;
  confidence: number;
}

/**
 * The recorded rationale of a synthesis: which contributions were used, which were withheld by
 * policy, and how conflicts were resolved. Confidence of the result: the synthesis confidence
 * scaled by the share of contributions that could be used.
 */
export const synthesisRationale = (contributions: readonly ContributionSummary[], synthesisConfidence: number, reviews: number): { rationale: string; confidence: number; used: string[]; withheld: string[] } => {
  const withheld = contributions.filter((c) => c.outcome === 'BLOCK' || c.outcome === 'ESCALATE').map((c) => c.agentKey);
  const used = contributions.filter((c) => !withheld.includes(c.agentKey)).map((c) => c.agentKey);
  const share = contributions.length ? used.length / contributions.length : 0;
  const confidence = Math.round(synthesisConfidence * share * 1000) / 1000;
  const parts = [
    `Used ${used.length} of ${contributions.length} contributions${used.length ? ` (${used.join(', ')})` : ''}`,
    withheld.length ? `withheld by policy: ${withheld.join(', ')}` : 'none withheld by policy',
    reviews ? `${reviews} peer review(s) considered` : 'no peer reviews',
    'conflicts resolved by grouping overlapping points and ranking them by how many agents support them',
  ];
  return { rationale: `${parts.join('; ')}.`, confidence, used, withheld };
};
