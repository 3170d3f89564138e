import { checkRequest, createUsageCounter, estimatePromptTokens, estimateTokens, promptDigestOf } from './common.ts';
import type { Completion, CompletionRequest, LanguageModel } from './port.ts';
import { clamp01, fitTokens, jaccard, round3, sentences, stem, STOPWORDS, terms, words } from './text.ts';

/**
 * The local model: deterministic rules and statistics, no network, no randomness. The same request
 * always gives the same completion, so it doubles as the offline engine and the fallback when the
 * configured LLM is down or over budget. Provenance: method RULE, model `mesh-local`, version 1.
 *
 * What each task does, and what its confidence means:
 * - summarize: extractive. Sentences are scored by the document-wide frequency of their content
 *   terms (normalized by sentence length, small lead bonus); the best ~30% (1–5, within maxTokens)
 *   are returned in original order. Confidence: share of the document's term mass they cover (≤ 0.95).
 * - classify: lexicon scoring. Evidence for a label = the label's own words, a built-in lexicon for
 *   common labels (sentiment, urgency, ticket type, intent), and keywords the caller gives in
 *   `system` as lines `label: word, word`. Negated words ("not urgent") are not evidence. Confidence:
 *   softmax of the label scores, so no evidence at all gives 1/labels (and a neutral-sounding label).
 * - draft: template filling. `key: value` lines of the prompt are the facts (recipient, sender, topic,
 *   intent, deadline, ...); the intent (follow-up, escalation, upsell, agenda, or generic) picks the
 *   template. Confidence: 0.4 + 0.5 × share of the template's slots filled from facts, not defaults.
 * - extract: `key: value` lines as fields (or the fields named by `labels`, found as `label: value`
 *   or `label is value`), plus entities: emails, URLs, money, percentages, dates, names. The text is
 *   JSON. Confidence: share of requested labels found; without labels 0.5 + 0.05 per item (≤ 0.9).
 * - answer: the prompt holds `Question:` and `Context:` sections (or the question on the first line,
 *   the context after). The context sentence with the best BM25 score against the question is the
 *   answer; a sentence of the kind the question asks for ("how long" → a duration, "when" → a date)
 *   gets a bonus. Confidence: 0.85 × share of the question's terms the sentence contains, ± 0.1 when
 *   the question has a kind and the sentence does / does not match it.
 * - critique: flags hedges, absolute or numeric claims without a visible source, and length problems
 *   (whole text over 300 words or under 20; sentences over 35 words); prints findings and a score.
 *   Confidence: 0.6 + 0.3 × min(1, words / 150): rules judge longer texts more reliably.
 * - synthesize: list items ("- ", "* ", "1. ", "1) ") of several answers are grouped when their term
 *   sets overlap (Jaccard ≥ 0.5); each group is one line, most supported first. Confidence:
 *   0.3 + 0.6 × share of items that some other item agrees with.
 */

const MODEL = 'mesh-local';
const VERSION = '1';

interface Result {
  text: string;
  confidence: number;
  label?: string;
}

// ---------------------------------------------------------------------------------------- helpers

/** `key: value` lines. Keys are short (≤ 4 words), normalized to snake_case. */
const keyValues = (text: string): { facts: Map<string, string>; rest: string[] } => {
  const facts = new Map<string, string>();
  const rest: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^[-*•]\s+/, '');
    const m = /^([\p{L}][\p{L}\p{N} _-]{0,39}?)\s*[:=]\s*(\S.*)$/u.exec(line);
    if (m && m[1].trim().split(/\s+/).length <= 4 && !/^https?$/i.test(m[1])) {
      const key = normalizeKey(m[1]);
      if (!facts.has(key)) facts.set(key, m[2].trim());
    } else if (line) {
      rest.push(line);
    }
  }
  return { facts, rest };
};

const normalizeKey = (key: string): string =>
  key
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');

const termSet = (text: string): Set<string> => new Set(terms(text));

const uniqueInOrder = (values: Iterable<string>): string[] => [...new Set(values)];

// -------------------------------------------------------------------------------------- summarize

const summarize = (request: CompletionRequest): Result => {
  const all = sentences(request.prompt);
  if (all.length === 0) return { text: '', confidence: 0 };
  const sentenceTerms = all.map((s) => terms(s));
  const tf = new Map<string, number>();
  for (const ts of sentenceTerms) for (const t of ts) tf.set(t, (tf.get(t) ?? 0) + 1);
  const mass = (ts: Iterable<string>): number => {
    let m = 0;
    for (const t of new Set(ts)) m += tf.get(t) ?? 0;
    return m;
  };
  const scored = all.map((s, i) => {
    const unique = new Set(sentenceTerms[i]);
    const base = unique.size === 0 ? 0 : mass(unique) / Math.sqrt(unique.size);
    return { i, s, score: base * (i === 0 ? 1.15 : 1) };
  });
  const want = Math.min(5, Math.max(1, Math.round(all.length * 0.3)));
  const budget = request.maxTokens ?? Number.POSITIVE_INFINITY;
  const ranked = [...scored].sort((a, b) => b.score - a.score || a.i - b.i);
  const chosen: typeof scored = [];
  let used = 0;
  for (const candidate of ranked) {
    if (chosen.length >= want) break;
    const cost = estimateTokens(candidate.s) + 1;
    if (chosen.length > 0 && used + cost > budget) continue;
    chosen.push(candidate);
    used += cost;
  }
  chosen.sort((a, b) => a.i - b.i);
  const total = mass(tf.keys());
  const covered = mass(chosen.flatMap((c) => sentenceTerms[c.i]));
  return {
    text: fitTokens(chosen.map((c) => c.s).join(' '), request.maxTokens),
    confidence: total === 0 ? 0 : round3(Math.min(0.95, covered / total)),
  };
};

// --------------------------------------------------------------------------------------- classify

/** Evidence words for common labels (stemmed on use). Keys are normalized labels or label words. */
const LEXICON: Readonly<Record<string, readonly string[]>> = {
  positive: ['good', 'great', 'excellent', 'love', 'happy', 'thanks', 'thank', 'satisfied', 'helpful', 'amazing', 'resolved', 'easy', 'pleased', 'recommend', 'smooth', 'fantastic', 'perfect', 'glad'],
  negative: ['bad', 'poor', 'terrible', 'hate', 'angry', 'unhappy', 'broken', 'slow', 'fail', 'failure', 'problem', 'frustrated', 'disappointed', 'cancel', 'worst', 'awful', 'useless', 'complaint', 'annoyed', 'unacceptable'],
  neutral: ['okay', 'ok', 'fine', 'information', 'update', 'note', 'fyi', 'average'],
  high: ['urgent', 'asap', 'immediately', 'critical', 'outage', 'down', 'emergency', 'blocker', 'blocking', 'severe', 'production', 'escalate', 'now', 'security', 'breach', 'revenue'],
  urgent: ['urgent', 'asap', 'immediately', 'critical', 'outage', 'down', 'emergency', 'blocker', 'blocking', 'severe', 'production'],
  critical: ['critical', 'outage', 'down', 'emergency', 'breach', 'security', 'production', 'blocker', 'data', 'loss'],
  medium: ['soon', 'degraded', 'intermittent', 'workaround', 'affecting', 'some', 'week', 'important'],
  low: ['minor', 'whenever', 'cosmetic', 'typo', 'nice', 'suggestion', 'someday', 'eventually', 'small', 'trivial', 'question'],
  bug: ['error', 'crash', 'broken', 'exception', 'fail', 'failure', 'bug', 'defect', 'regression', 'wrong', 'incorrect', 'stack', 'trace'],
  feature: ['feature', 'request', 'add', 'support', 'enhancement', 'wish', 'could', 'ability', 'option', 'allow', 'integration', 'new'],
  question: ['how', 'what', 'why', 'where', 'when', 'question', 'wondering', 'clarify', 'explain', 'possible', '?'],
  billing: ['invoice', 'payment', 'charge', 'charged', 'refund', 'price', 'pricing', 'billing', 'subscription', 'plan', 'credit', 'card', 'cost'],
  churn: ['cancel', 'leave', 'leaving', 'switch', 'competitor', 'unhappy', 'renewal', 'terminate', 'alternative', 'expensive'],
  risk: ['risk', 'cancel', 'churn', 'competitor', 'decline', 'drop', 'unhappy', 'escalation', 'delay', 'overdue'],
  escalation: ['escalate', 'escalation', 'manager', 'unacceptable', 'urgent', 'complaint', 'again', 'still', 'unresolved'],
  follow: ['follow', 'following', 'checking', 'reminder', 'update', 'status', 'next', 'steps'],
  upsell: ['upgrade', 'expand', 'more', 'seats', 'additional', 'premium', 'enterprise', 'growth', 'add-on', 'tier'],
};

/** Labels chosen when nothing is evidence for any label: a neutral-sounding one if offered. */
const NEUTRAL_LABELS = ['other', 'unknown', 'neutral', 'none', 'general', 'medium', 'normal'];

const NEGATORS = new Set(['not', 'no', 'never', 'without', 'none', 'nothing', 'neither', 'nor', 'hardly', 'dont', 'isnt', 'cant', 'wont', 'doesnt', 'didnt', 'arent', 'wasnt']);
const isNegator = (w: string): boolean => NEGATORS.has(w) || w.endsWith("n't");

/** Counted terms of the text: stemmed content words not within three words after a negator, plus "?" marks. */
const evidenceTerms = (text: string): Map<string, number> => {
  const counts = new Map<string, number>();
  let negatedFor = 0;
  for (const w of words(text)) {
    if (isNegator(w)) {
      negatedFor = 3;
      continue;
    }
    if (negatedFor > 0) {
      negatedFor--;
      continue;
    }
    if (STOPWORDS.has(w) && !LEXICON.question.includes(w)) continue;
    const t = stem(w);
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  const marks = (text.match(/\?/g) ?? []).length;
  if (marks) counts.set('?', marks);
  return counts;
};

/** Keywords the caller gives per label in `system`: lines `label: word, word, ...`. */
const callerKeywords = (system: string | undefined, labels: readonly string[]): Map<string, string[]> => {
  const out = new Map<string, string[]>();
  if (!system) return out;
  const byKey = new Map(labels.map((l) => [normalizeKey(l), l] as const));
  for (const [key, value] of keyValues(system).facts) {
    const label = byKey.get(key);
    if (label) out.set(label, value.split(/[,;]/).map((v) => v.trim().toLowerCase()).filter(Boolean));
  }
  return out;
};

const classify = (request: CompletionRequest): Result => {
  const labels = request.labels ?? [];
  const text = evidenceTerms(request.prompt);
  const extra = callerKeywords(request.system, labels);
  const scores = labels.map((label) => {
    const key = normalizeKey(label);
    const labelWords = key.split('_').filter(Boolean);
    const evidence = new Set<string>();
    for (const w of [...labelWords, ...(LEXICON[key] ?? []), ...labelWords.flatMap((w) => LEXICON[w] ?? []), ...(extra.get(label) ?? [])]) {
      for (const part of w === '?' ? ['?'] : words(w)) evidence.add(part === '?' ? '?' : stem(part));
    }
    let score = 0;
    // Each evidence term counts up to three times, so one repeated word cannot swamp the rest.
    for (const t of evidence) score += Math.min(3, text.get(t) ?? 0);
    return score;
  });
  const best = Math.max(...scores);
  let index: number;
  if (best === 0) {
    const neutral = labels.findIndex((l) => NEUTRAL_LABELS.includes(normalizeKey(l)));
    index = neutral >= 0 ? neutral : 0;
  } else {
    index = scores.indexOf(best); // ties: the first label offered
  }
  const exps = scores.map((s) => Math.exp(s - best));
  const confidence = exps[index] / exps.reduce((a, b) => a + b, 0);
  return { text: labels[index], label: labels[index], confidence: round3(confidence) };
};

// ------------------------------------------------------------------------------------------ draft

const pick = (facts: Map<string, string>, used: Set<string>, ...keys: string[]): string | undefined => {
  for (const key of keys) {
    const value = facts.get(key);
    if (value) {
      used.add(key);
      return value;
    }
  }
  return undefined;
};

type Intent = 'follow-up' | 'escalation' | 'upsell' | 'agenda' | 'generic';

const intentOf = (hint: string): Intent => {
  const w = new Set(words(hint).map(stem));
  if (w.has('agenda') || w.has('meet') || w.has('qbr')) return 'agenda';
  if (w.has('escalat') || w.has('escalate') || w.has('escalation')) return 'escalation';
  if (w.has('upsell') || w.has('upgrade') || w.has('expan') || w.has('expand') || w.has('expansion')) return 'upsell';
  if (w.has('follow') || w.has('followup') || w.has('remind')) return 'follow-up';
  return 'generic';
};

/** Lines that instruct ("Write a follow-up to Jane about the renewal") rather than inform. */
const INSTRUCTION = /^(?:please\s+)?(?:write|draft|compose|create|prepare|generate|produce)\b/i;

const draft = (request: CompletionRequest): Result => {
  const { facts, rest } = keyValues(request.prompt);
  const instruction = rest.find((r) => INSTRUCTION.test(r));
  const context = rest.filter((r) => !INSTRUCTION.test(r));
  const used = new Set<string>();
  const explicit = pick(facts, used, 'intent', 'type', 'purpose', 'kind');
  const intent = intentOf(explicit ?? `${request.system ?? ''} ${request.prompt}`);
  let filled = 0;
  const slot = (value: string | undefined, fallback: string): string => {
    if (value) filled++;
    return value ?? fallback;
  };
  // An instruction line can name the topic ("about the renewal") and the recipient ("to Jane Doe").
  const aboutInInstruction = instruction ? /\babout\s+(.+?)[.!?]?$/i.exec(instruction)?.[1] : undefined;
  const toInInstruction = instruction ? /\bto\s+(\p{Lu}[\p{L}'’-]+(?:\s+\p{Lu}[\p{L}'’-]+)?)/u.exec(instruction)?.[1] : undefined;
  const topic = slot(pick(facts, used, 'topic', 'subject', 'about', 'issue', 'title', 'product') ?? aboutInInstruction, 'our recent conversation');

  let text: string;
  let slots: number;
  if (intent === 'agenda') {
    const date = pick(facts, used, 'date', 'when', 'time');
    const attendees = pick(facts, used, 'attendees', 'participants', 'with');
    const items = [...[...facts].filter(([k]) => !used.has(k)).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v}`), ...context];
    slots = 3;
    if (date) filled++;
    if (attendees) filled++;
    text = [
      `Agenda: ${topic}`,
      ...(date ? [`Date: ${date}`] : []),
      ...(attendees ? [`Attendees: ${attendees}`] : []),
      '',
      ...[...items, 'Open questions', 'Next steps and owners'].map((item, i) => `${i + 1}. ${item}`),
    ].join('\n');
  } else {
    const recipient = slot(pick(facts, used, 'recipient', 'to', 'contact', 'name', 'customer', 'client') ?? toInInstruction, 'there');
    const sender = slot(pick(facts, used, 'sender', 'from', 'agent', 'signature'), 'Your account team');
    const deadline = pick(facts, used, 'deadline', 'due', 'by', 'next_update');
    slots = 3;
    const openings: Record<Exclude<Intent, 'agenda'>, string> = {
      'follow-up': `I'm following up on ${topic}.`,
      escalation: `I'm escalating ${topic} so that it gets the attention it needs.`,
      upsell: `Based on how your team is using ${topic}, I'd like to suggest a next step that could help you get more from it.`,
      generic: `I'm writing about ${topic}.`,
    };
    const closings: Record<Exclude<Intent, 'agenda'>, string> = {
      'follow-up': `Could you let me know your thoughts by ${deadline ?? 'the end of the week'}?`,
      escalation: `We will send you an update ${deadline ? `by ${deadline}` : 'within one business day'}.`,
      upsell: 'Would you be open to a short call to discuss this?',
      generic: deadline ? `Please let me know by ${deadline}.` : 'Please let me know if you have any questions.',
    };
    const points = [...facts].filter(([k]) => !used.has(k)).map(([k, v]) => `- ${k.replace(/_/g, ' ')}: ${v}`);
    const subjectPrefix = { 'follow-up': 'Follow-up', escalation: 'Escalation', upsell: 'Next steps', generic: 'About' }[intent];
    text = [
      `Subject: ${pick(facts, used, 'subject_line') ?? `${subjectPrefix}: ${topic}`}`,
      '',
      `Hi ${recipient},`,
      '',
      openings[intent],
      ...(context.length ? ['', context.slice(0, 3).join(' ')] : []),
      ...(points.length ? ['', 'Key points:', ...points] : []),
      '',
      closings[intent],
      '',
      'Best regards,',
      sender,
    ].join('\n');
  }
  return { text: fitTokens(text, request.maxTokens), confidence: round3(0.4 + 0.5 * Math.min(1, filled / slots)) };
};

// ---------------------------------------------------------------------------------------- extract

const ENTITY_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = [
  ['emails', /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g],
  ['urls', /https?:\/\/[^\s)>\]"']+/g],
  ['money', /[$€£]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:[kmb]\b|million|billion|thousand))?|\b\d[\d,]*(?:\.\d+)?\s?(?:usd|eur|gbp|dollars|euros)\b/gi],
  ['percentages', /\b\d+(?:\.\d+)?\s?%/g],
  ['dates', /\b\d{4}-\d{2}-\d{2}\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}\b/gi],
  ['names', /\b\p{Lu}[\p{L}'’-]+(?:[ \t]+\p{Lu}[\p{L}'’-]+)+/gu],
];

/**
 * Runs of capitalized words. A sentence's first word is capitalized anyway, so a run of three or more
 * words at a sentence start loses its first word ("Contact Jane Doe" → "Jane Doe"); runs starting
 * with a stopword ("The", "Our") are dropped.
 */
const namesIn = (text: string, pattern: RegExp): string[] => {
  const out: string[] = [];
  for (const m of text.matchAll(pattern)) {
    let parts = m[0].split(/[ \t]+/);
    const before = text.slice(0, m.index).trimEnd();
    const atSentenceStart = before === '' || /[.!?:\n]$/.test(before) || /\n\s*$/.test(text.slice(0, m.index));
    if (atSentenceStart && parts.length >= 3) parts = parts.slice(1);
    if (STOPWORDS.has(parts[0].toLowerCase())) continue;
    out.push(parts.join(' '));
  }
  return uniqueInOrder(out);
};

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const extract = (request: CompletionRequest): Result => {
  const { facts } = keyValues(request.prompt);
  const entities: Record<string, string[]> = {};
  let found = 0;
  for (const [name, pattern] of ENTITY_PATTERNS) {
    // Trailing sentence punctuation is not part of a URL or an email address.
    const values =
      name === 'names' ? namesIn(request.prompt, pattern) : uniqueInOrder((request.prompt.match(pattern) ?? []).map((v) => v.trim().replace(/[.,;:!?]+$/, '')));
    if (values.length) {
      entities[name] = values;
      found += values.length;
    }
  }
  let fields: Record<string, string>;
  let confidence: number;
  if (request.labels && request.labels.length > 0) {
    fields = {};
    for (const label of request.labels) {
      const key = normalizeKey(label);
      const direct = facts.get(key);
      const m = direct ? null : new RegExp(`\\b${escapeRegExp(label)}\\s*(?:is|are|was|were|=|:|of)\\s+([^.;\\n]+)`, 'iu').exec(request.prompt);
      const value = direct ?? m?.[1]?.trim();
      if (value) fields[key] = value;
    }
    confidence = Object.keys(fields).length / request.labels.length;
  } else {
    fields = Object.fromEntries(facts);
    found += facts.size;
    confidence = found === 0 ? 0 : Math.min(0.9, 0.5 + 0.05 * found);
  }
  return { text: JSON.stringify({ fields, entities }), confidence: round3(confidence) };
};

// ----------------------------------------------------------------------------------------- answer

const splitQuestion = (prompt: string): { question: string; context: string } => {
  const q = /^\s*(?:question|q)\s*:\s*(.+)$/im.exec(prompt);
  const c = /^\s*(?:context|c|passage|text)\s*:\s*([\s\S]*)$/im.exec(prompt);
  if (q && c) {
    // The context section ends where the question section begins, if the question comes after it.
    const context = c.index < q.index ? prompt.slice(c.index, q.index).replace(/^\s*\w+\s*:\s*/, '') : c[1];
    return { question: q[1].trim(), context: context.trim() };
  }
  const lines = prompt.split(/\r?\n/).filter((l) => l.trim());
  const asked = lines.findIndex((l) => l.trim().endsWith('?'));
  const at = asked >= 0 ? asked : 0;
  return { question: (lines[at] ?? '').replace(/^\s*(?:question|q)\s*:\s*/i, '').trim(), context: lines.filter((_, i) => i !== at).join('\n') };
};

/**
 * What kind of answer the question asks for, as a pattern a good answer sentence matches
 * ("how long" → a duration, "when" → a date or time, ...). A matching sentence gets a bonus.
 */
const ANSWER_CUES: ReadonlyArray<readonly [RegExp, RegExp]> = [
  [/\bhow long\b/i, /\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|few)\s+(?:second|minute|hour|day|week|month|year)s?\b/i],
  [/\bhow (?:many|much)\b/i, /\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion)\b/i],
  [/\bwhen\b/i, /\b\d{4}\b|\b\d{1,2}:\d{2}\b|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|tomorrow|january|february|march|april|may|june|july|august|september|october|november|december|morning|evening|night|week|month|year)\b/i],
  [/\b(?:why|caused?|reason)\b/i, /\b(?:because|due to|caused|traced|result of|root cause|owing to|since)\b/i],
  [/\bwho\b/i, /\b\p{Lu}\p{Ll}+(?:\s+\p{Lu}\p{Ll}+)*/u],
  [/\bwhere\b/i, /\b(?:in|at|on|near|from)\s+\p{Lu}/u],
];

const answer = (request: CompletionRequest): Result => {
  const { question, context } = splitQuestion(request.prompt);
  const query = [...termSet(question)];
  const docs = sentences(context).map((s) => ({ s, t: terms(s) }));
  if (query.length === 0 || docs.length === 0) return { text: 'No answer found in the provided context.', confidence: 0 };
  // BM25 over the context's sentences as documents.
  const k1 = 1.2;
  const b = 0.75;
  const avgLen = docs.reduce((n, d) => n + d.t.length, 0) / docs.length || 1;
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(d.t)) df.set(t, (df.get(t) ?? 0) + 1);
  const cue = ANSWER_CUES.find(([asks]) => asks.test(question))?.[1];
  let best = { i: -1, score: 0 };
  docs.forEach((d, i) => {
    let score = 0;
    for (const t of query) {
      const f = d.t.filter((x) => x === t).length;
      if (f === 0) continue;
      const n = df.get(t) ?? 0;
      const idf = Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
      score += (idf * f * (k1 + 1)) / (f + k1 * (1 - b + (b * d.t.length) / avgLen));
    }
    // The cue only ranks sentences that share terms with the question; it never makes an answer alone.
    if (score > 0 && cue?.test(d.s)) score += 1;
    if (score > best.score) best = { i, score };
  });
  if (best.i < 0) return { text: 'No answer found in the provided context.', confidence: 0 };
  const hit = new Set(docs[best.i].t);
  const coverage = query.filter((t) => hit.has(t)).length / query.length;
  const typed = cue ? (cue.test(docs[best.i].s) ? 0.1 : -0.1) : 0;
  return { text: fitTokens(docs[best.i].s, request.maxTokens), confidence: round3(clamp01(0.85 * coverage + typed)) };
};

// --------------------------------------------------------------------------------------- critique

const HEDGES = /\b(?:might|maybe|perhaps|possibly|probably|arguably|seems?|appears?|somewhat|likely|unlikely|could be|may be|sort of|kind of|i think|we think|i believe|we believe|i guess|it is possible)\b/i;
const ABSOLUTES = /\b(?:always|never|everyone|nobody|guaranteed?|best|worst|proven|definitely|certainly|undoubtedly|clearly|obviously|completely|entirely)\b|\b\d+(?:\.\d+)?\s?%|\b\d+x\b/i;
const SOURCES = /\b(?:according to|source|sources|cited|citing|study|survey|report|data from|per the|see)\b|https?:\/\/|\[\d+\]|\([A-Z][A-Za-z]+,? \d{4}\)/i;

const critique = (request: CompletionRequest): Result => {
  const all = sentences(request.prompt);
  const wordCount = words(request.prompt).length;
  const findings: string[] = [];
  let penalty = 0;
  const quote = (s: string): string => `"${fitTokens(s, 20)}"`;
  all.forEach((s, i) => {
    const n = i + 1;
    const hedge = HEDGES.exec(s);
    if (hedge) {
      findings.push(`- Hedge in sentence ${n} ("${hedge[0]}"): ${quote(s)} — state it plainly or give the reason for doubt.`);
      penalty += 0.1;
    }
    const claim = ABSOLUTES.exec(s);
    if (claim && !SOURCES.test(s)) {
      findings.push(`- Unsupported claim in sentence ${n} ("${claim[0]}"): ${quote(s)} — cite a source or qualify it.`);
      penalty += 0.15;
    }
    const length = words(s).length;
    if (length > 35) {
      findings.push(`- Long sentence ${n} (${length} words): split it.`);
      penalty += 0.05;
    }
  });
  if (wordCount > 300) {
    findings.push(`- Length: ${wordCount} words; aim for under 300.`);
    penalty += 0.1;
  } else if (wordCount < 20) {
    findings.push(`- Length: ${wordCount} words; too short to stand on its own.`);
    penalty += 0.1;
  }
  const score = round3(clamp01(1 - penalty));
  const text = findings.length ? [`Findings (${findings.length}):`, ...findings, `Score: ${score}`].join('\n') : `No issues found.\nScore: ${score}`;
  return { text: fitTokens(text, request.maxTokens), confidence: round3(0.6 + 0.3 * Math.min(1, wordCount / 150)) };
};

// ------------------------------------------------------------------------------------- synthesize

const ITEM = /^\s*(?:[-*•]|\d+[.)])\s+(.*\S)\s*$/;

const synthesize = (request: CompletionRequest): Result => {
  const lines = request.prompt.split(/\r?\n/);
  let items = lines.map((l) => ITEM.exec(l)?.[1]).filter((x): x is string => !!x);
  if (items.length === 0) items = sentences(request.prompt);
  if (items.length === 0) return { text: '', confidence: 0 };
  const sets = items.map(termSet);
  const clusters: { members: number[]; first: number }[] = [];
  items.forEach((_, i) => {
    const home = clusters.find((c) => c.members.some((m) => jaccard(sets[m], sets[i]) >= 0.5));
    if (home) home.members.push(i);
    else clusters.push({ members: [i], first: i });
  });
  clusters.sort((a, b) => b.members.length - a.members.length || a.first - b.first);
  const budget = request.maxTokens ?? Number.POSITIVE_INFINITY;
  const out: string[] = [];
  let used = 0;
  for (const c of clusters) {
    // The most informative wording represents the group (most terms; ties: first seen).
    const rep = c.members.reduce((best, m) => (sets[m].size > sets[best].size ? m : best), c.members[0]);
    const line = `- ${items[rep]} (support: ${c.members.length})`;
    const cost = estimateTokens(line) + 1;
    if (out.length > 0 && used + cost > budget) break;
    out.push(line);
    used += cost;
  }
  const agreed = clusters.filter((c) => c.members.length > 1).reduce((n, c) => n + c.members.length, 0);
  return { text: fitTokens(out.join('\n'), request.maxTokens), confidence: round3(0.3 + 0.6 * (agreed / items.length)) };
};

// ------------------------------------------------------------------------------------------ model

const TASK_HANDLERS: Record<CompletionRequest['task'], (request: CompletionRequest) => Result> = {
  summarize,
  classify,
  draft,
  extract,
  answer,
  critique,
  synthesize,
};

export const createLocalModel = (): LanguageModel => {
  const counter = createUsageCounter();
  return {
    name: MODEL,
    async complete(scope, request): Promise<Completion> {
      checkRequest(request);
      const result = TASK_HANDLERS[request.task](request);
      const usage = { promptTokens: estimatePromptTokens(request), completionTokens: estimateTokens(result.text) };
      counter.add(scope, usage.promptTokens + usage.completionTokens);
      return {
        text: result.text,
        ...(result.label !== undefined ? { label: result.label } : {}),
        confidence: result.confidence,
        method: 'RULE',
        model: MODEL,
        modelVersion: VERSION,
        promptDigest: promptDigestOf(request),
        usage,
      };
    },
    usage: (scope) => counter.usage(scope),
  };
};
