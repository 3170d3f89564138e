import { inputError } from '../../../platform/errors.ts';
import { terms } from '../../../platform/ai/text.ts';

export type SupportChannel = 'CHAT' | 'VOICE' | 'EMAIL';
export type SupportUrgency = 'LOW' | 'MEDIUM' | 'HIGH';

export const DEFAULT_AUTO_RESOLVE_THRESHOLD = 0.85;

/** Hours until the SLA is due, by urgency. */
export const SLA_HOURS: Readonly<Record<SupportUrgency, number>> = { HIGH: 4, MEDIUM: 24, LOW: 72 };

export const checkTicket = (input: { subject: string; body: string }): { subject: string; body: string } => {
  const subject = input.subject.trim();
  const body = input.body.trim();
  if (subject.length < 3 || subject.length > 200) throw inputError('input.subject', 'subject must be 3–200 characters', 'Summarize the problem in a short line.');
  if (body.length < 3 || body.length > 10_000) throw inputError('input.body', 'body must be 3–10,000 characters', 'Describe the problem; paste long logs as an attachment elsewhere.');
  return { subject, body };
};

export const checkThreshold = (value: number): number => {
  if (!Number.isFinite(value) || value < 0.5 || value > 1) throw inputError('input.autoResolveThreshold', 'threshold must be between 0.5 and 1', 'Give a confidence such as 0.85; below 0.5 answers would be guesses.');
  return value;
};

export const checkResolution = (resolution: string): string => {
  const text = resolution.trim();
  if (text.length < 5 || text.length > 10_000) throw inputError('resolution', 'resolution must be 5–10,000 characters', 'Write what fixed the problem so it can be reused for similar tickets.');
  return text;
};

const HIGH_WORDS = ['urgent', 'asap', 'outage', 'down', 'emergency', 'critical', 'breach', 'security', 'production', 'blocker', 'blocked', 'data loss', 'cannot login', "can't login", 'all users'];
const MEDIUM_WORDS = ['error', 'failing', 'fails', 'failed', 'broken', 'slow', 'degraded', 'intermittent', 'wrong', 'bug', 'crash', 'timeout'];

/**
 * Urgency by lexicon: any high-urgency phrase → HIGH (with the phrases found), else any
 * medium phrase → MEDIUM, else LOW. Matching is case-insensitive on word boundaries.
 */
export const urgencyByRules = (text: string): { urgency: SupportUrgency; matched: string[] } => {
  const lower = ` ${text.toLowerCase().replace(/[^\p{L}\p{N}' ]+/gu, ' ')} `;
  const find = (list: readonly string[]): string[] => list.filter((w) => lower.includes(` ${w} `));
  const high = find(HIGH_WORDS);
  if (high.length > 0) return { urgency: 'HIGH', matched: high };
  const medium = find(MEDIUM_WORDS);
  if (medium.length > 0) return { urgency: 'MEDIUM', matched: medium };
  return { urgency: 'LOW', matched: [] };
};

const RANK: Readonly<Record<SupportUrgency, number>> = { LOW: 0, MEDIUM: 1, HIGH: 2 };

/**
 * Combines the rule's urgency with a model's label: the model may raise urgency when it is at least
 * 0.6 confident, never lower it below the rule (misses on urgent tickets cost more than false alarms).
 */
export const combineUrgency = (rule: SupportUrgency, model: { label: string | undefined; confidence: number }): { urgency: SupportUrgency; usedModel: boolean } => {
  const label = model.label?.toUpperCase();
  if (label !== 'LOW' && label !== 'MEDIUM' && label !== 'HIGH') return { urgency: rule, usedModel: false };
  if (model.confidence >= 0.6 && RANK[label] > RANK[rule]) return { urgency: label, usedModel: true };
  return { urgency: rule, usedModel: false };
};

export const slaDueAt = (openedAt: Date, urgency: SupportUrgency): Date => new Date(openedAt.getTime() + SLA_HOURS[urgency] * 3_600_000);

export interface KnowledgeDoc {
  id: string;
  text: string;
}

export interface Match {
  id: string;
  similarity: number;
}

const termCounts = (text: string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const t of terms(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
};

/**
 * TF-IDF cosine similarity of `query` to each document, best first (ties by id). Smoothed idf:
 * 1 + ln((N + 1) / (df + 1)), N = number of documents, so a term in every document still counts.
 * Similarity is 0–1, rounded to 4 decimals; documents with no shared term are left out.
 */
export const rankSimilar = (query: string, docs: readonly KnowledgeDoc[]): Match[] => {
  const docCounts = docs.map((d) => termCounts(d.text));
  const df = new Map<string, number>();
  for (const counts of docCounts) for (const t of counts.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const idf = (t: string): number => 1 + Math.log((docs.length + 1) / ((df.get(t) ?? 0) + 1));
  const vector = (counts: Map<string, number>): Map<string, number> => new Map([...counts].map(([t, c]) => [t, c * idf(t)]));
  const norm = (v: Map<string, number>): number => Math.sqrt([...v.values()].reduce((s, x) => s + x * x, 0));
  const q = vector(termCounts(query));
  const qNorm = norm(q);
  if (qNorm === 0) return [];
  const matches: Match[] = [];
  docCounts.forEach((counts, i) => {
    const d = vector(counts);
    const dNorm = norm(d);
    if (dNorm === 0) return;
    let dot = 0;
    for (const [t, w] of q) dot += w * (d.get(t) ?? 0);
    if (dot > 0) matches.push({ id: docs[i].id, similarity: Math.round(Math.min(1, dot / (qNorm * dNorm)) * 10_000) / 10_000 });
  });
  return matches.sort((a, b) => b.similarity - a.similarity || (a.id < b.id ? -1 : 1));
};

/** Auto-resolve when the attempt's confidence reaches the organization's threshold. */
export const decideResolution = (confidence: number, threshold: number): 'RESOLVED' | 'ESCALATED' => (confidence >= threshold ? 'RESOLVED' : 'ESCALATED');

/** Rates over all tickets of an organization (0 when there are none), rounded to 4 decimals. */
export const supportRates = (counts: { total: number; autoResolved: number; escalated: number }): { autonomousResolutionRate: number; escalationRate: number } => {
  const rate = (n: number): number => (counts.total === 0 ? 0 : Math.round((n / counts.total) * 10_000) / 10_000);
  return { autonomousResolutionRate: rate(counts.autoResolved), escalationRate: rate(counts.escalated) };
};
