/**
 * The PRD builder's cross-questioning engine. Pure: answers in, assessment out.
 *
 * A PRD has required sections (objectives, use cases, KPIs, edge cases, escalation rules, and
 * integrations for chatbots or voice parameters for voicebots). Each section is satisfied by one
 * answer that the rules accept as specific. A vague answer (a KPI without a number, "tbd", an
 * escalation rule with no trigger or no target) does not satisfy its section; the engine then asks a
 * follow-up question that names what was missing.
 */

export type ProductType = 'CHATBOT' | 'VOICEBOT';
export type PrdSection = 'OBJECTIVES' | 'USE_CASES' | 'KPIS' | 'EDGE_CASES' | 'ESCALATION_RULES' | 'INTEGRATIONS' | 'VOICE';

/** One recorded answer. */
export interface PrdAnswerRecord {
  questionId: string;
  section: PrdSection;
  answer: string;
  vague: boolean;
  issues: string[];
}

export interface PrdQuestionSpec {
  id: string;
  section: PrdSection;
  text: string;
  /** Why the question is asked now: the section is missing, or the last answer was vague. */
  reason: string;
  followUp: boolean;
}

export interface PrdSectionState {
  section: PrdSection;
  complete: boolean;
  /** The structured items extracted from the accepted answer. */
  items: string[];
  /** Issues of the latest vague answer while the section is incomplete. */
  issues: string[];
}

export interface PrdAssessment {
  sections: PrdSectionState[];
  openQuestions: PrdQuestionSpec[];
  /** Satisfied sections / required sections, rounded to 2 decimals. */
  completeness: number;
  complete: boolean;
}

export interface AnswerJudgement {
  vague: boolean;
  issues: string[];
  items: string[];
}

export const sectionsFor = (productType: ProductType): PrdSection[] =>
  productType === 'VOICEBOT'
    ? ['OBJECTIVES', 'USE_CASES', 'KPIS', 'EDGE_CASES', 'ESCALATION_RULES', 'VOICE']
    : ['OBJECTIVES', 'USE_CASES', 'KPIS', 'EDGE_CASES', 'ESCALATION_RULES', 'INTEGRATIONS'];

const PRIMARY_QUESTIONS: Record<PrdSection, (productType: ProductType) => string> = {
  OBJECTIVES: (p) => `What should the ${p === 'VOICEBOT' ? 'voice agent' : 'chatbot'} achieve for your business? List the objectives, one per line.`,
  USE_CASES: () => 'Which conversations should it handle? List the use cases, e.g. "track an order", "book an appointment".',
  KPIS: () => 'How will you measure success? Give each KPI with a target number, e.g. "automation rate 80%", "CSAT 4.5".',
  EDGE_CASES: () => 'What unusual situations must it handle? E.g. out-of-scope questions, abusive users, missing order numbers.',
  ESCALATION_RULES: () => 'When should it hand over to a person, and to whom? E.g. "when the customer asks for a refund over $500, hand off to the billing team".',
  INTEGRATIONS: () => 'Which systems must it connect to (CRM, helpdesk, payments)? Name them, e.g. Salesforce, Zendesk, Stripe, or answer "none".',
  VOICE: () => 'How should the voice sound? Give a speaking speed between 0.5x and 2.0x (e.g. "1.1x") and a style (e.g. "warm", "professional").',
};

const FOLLOW_UP_QUESTIONS: Record<PrdSection, string> = {
  OBJECTIVES: 'Could you make the objectives concrete: what outcome, for whom, and how much? E.g. "resolve 70% of order questions without an agent".',
  USE_CASES: 'Which specific conversations? Name each use case in a few words rather than "everything".',
  KPIS: 'Each KPI needs a measurable target: which number should it reach? E.g. "first response under 5 seconds", "resolution rate 75%".',
  EDGE_CASES: 'Every bot meets edge cases. What should happen when a user is out of scope, abusive, or gives incomplete information?',
  ESCALATION_RULES: 'An escalation rule needs a trigger and a target: when exactly (e.g. "after 2 failed attempts") and to whom (e.g. "a support agent")?',
  INTEGRATIONS: 'Please name the systems exactly (e.g. Salesforce, Zendesk, Stripe, HubSpot), or answer "none" if there are none.',
  VOICE: 'Please give the speaking speed as a number between 0.5x and 2.0x, e.g. "1.0x, calm and friendly".',
};

export const primaryQuestionId = (section: PrdSection): string => section.toLowerCase();
export const followUpQuestionId = (section: PrdSection): string => `${section.toLowerCase()}.clarify`;

const PLACEHOLDER = /^(?:tbd|tba|todo|n\/?a|none yet|not sure|unsure|don'?t know|do not know|idk|later|\?+|-+|\.+|maybe|whatever|nothing|same as usual|etc\.?)$/i;
const VAGUE_PHRASE = /\b(?:tbd|to be decided|not sure|don'?t know|idk|something like that|whatever works|etc)\b/i;

/** Splits an answer into items: lines, bullets, semicolons; commas too when `commas`. */
export const splitItems = (answer: string, commas = false): string[] =>
  answer
    .split(commas ? /[\n;,]+/ : /[\n;]+/)
    .map((item) => item.replace(/^\s*(?:[-*•]|\d+[.)])\s*/, '').trim().replace(/[.]+$/, ''))
    .filter((item) => item.length > 0);

const words = (text: string): string[] => text.split(/\s+/).filter((w) => /[a-z0-9]/i.test(w));

export const SUPPORTED_INTEGRATIONS = ['salesforce', 'zendesk', 'stripe', 'hubspot', 'shopify', 'freshdesk', 'intercom'] as const;
export type SupportedIntegration = (typeof SUPPORTED_INTEGRATIONS)[number];

const GENERIC_USE_CASES = /^(?:everything|all|all questions|anything|general|general support|support|customer service|questions|faq|help)$/i;
const ESCALATION_TARGET = /\b(?:human|person|agent|team|specialist|supervisor|manager|support|staff|operator|ticket|desk|representative|rep)s?\b/i;
const ESCALATION_TRIGGER = /\b(?:when|if|after|whenever|once|more than|over|above|below|under|fails?|failed|asks?|requests?|angry|frustrated|complain\w*)\b/i;

/** Judges one answer for its section: vague or not, why, and the items it contributes. */
export const judgeAnswer = (section: PrdSection, answer: string): AnswerJudgement => {
  const text = answer.trim();
  if (PLACEHOLDER.test(text)) return { vague: true, issues: ['The answer is a placeholder, not a decision.'], items: [] };
  const issues: string[] = [];
  if (VAGUE_PHRASE.test(text)) issues.push('The answer leaves the decision open ("tbd", "not sure", "etc").');
  let items: string[];
  switch (section) {
    case 'OBJECTIVES': {
      items = splitItems(text);
      const short = items.filter((item) => words(item).length < 4);
      if (short.length) issues.push(`Objective too vague (fewer than 4 words): "${short[0]}".`);
      break;
    }
    case 'USE_CASES': {
      items = splitItems(text, true);
      const generic = items.filter((item) => GENERIC_USE_CASES.test(item) || words(item).length < 2);
      if (generic.length) issues.push(`Use case too generic: "${generic[0]}"; name the conversation, e.g. "track an order".`);
      break;
    }
    case 'KPIS': {
      items = splitItems(text, true);
      const unmeasured = items.filter((item) => !/\d/.test(item));
      if (unmeasured.length) issues.push(`KPI without a numeric target: "${unmeasured[0]}".`);
      break;
    }
    case 'EDGE_CASES': {
      items = splitItems(text);
      if (/^(?:none|no|no edge cases|nothing special)$/i.test(text)) issues.push('"None" is not an answer for edge cases: every bot meets some.');
      else if (items.every((item) => words(item).length < 3)) issues.push('Describe each edge case in a few words: the situation and what should happen.');
      break;
    }
    case 'ESCALATION_RULES': {
      items = splitItems(text);
      const noTrigger = items.filter((item) => !ESCALATION_TRIGGER.test(item));
      const noTarget = items.filter((item) => !ESCALATION_TARGET.test(item));
      if (noTrigger.length) issues.push(`Escalation rule without a trigger (when?): "${noTrigger[0]}".`);
      if (noTarget.length) issues.push(`Escalation rule without a target (to whom?): "${noTarget[0]}".`);
      break;
    }
    case 'INTEGRATIONS': {
      if (/^(?:none|no|no integrations|not needed)$/i.test(text)) return { vague: issues.length > 0, issues, items: [] };
      items = splitItems(text, true).map((item) => item.replace(/\s+(?:and|&)\s+/gi, ',')).flatMap((item) => splitItems(item, true));
      const unnamed = items.filter((item) => /^(?:some|a|an|our|the)?\s*(?:crm|helpdesk|help desk|payments?|payment provider|tools?|systems?|apps?)$/i.test(item));
      if (unnamed.length) issues.push(`Name the system: "${unnamed[0]}" could be anything.`);
      break;
    }
    case 'VOICE': {
      items = [text];
      const speed = parseSpeed(text);
      if (speed === null) issues.push('No speaking speed given (a number between 0.5x and 2.0x).');
      else if (speed < 0.5 || speed > 2) issues.push(`Speaking speed ${speed}x is outside 0.5x–2.0x.`);
      break;
    }
  }
  return { vague: issues.length > 0, issues, items: issues.length > 0 ? [] : items };
};

/** The first number in the text, e.g. "1.2x" → 1.2; null when there is none. */
export const parseSpeed = (text: string): number | null => {
  const match = /(\d+(?:\.\d+)?)\s*x?/i.exec(text);
  return match ? Number(match[1]) : null;
};

/** Which section a question id belongs to, or null when the id is unknown. */
export const sectionOfQuestion = (questionId: string, productType: ProductType): PrdSection | null => {
  for (const section of sectionsFor(productType)) {
    if (questionId === primaryQuestionId(section) || questionId === followUpQuestionId(section)) return section;
  }
  return null;
};

/** Decides section states, the next open questions and completeness from the answers so far. */
export const assessPrd = (productType: ProductType, answers: readonly PrdAnswerRecord[]): PrdAssessment => {
  const sections: PrdSectionState[] = [];
  const openQuestions: PrdQuestionSpec[] = [];
  for (const section of sectionsFor(productType)) {
    const mine = answers.filter((a) => a.section === section);
    const accepted = [...mine].reverse().find((a) => !a.vague);
    if (accepted) {
      sections.push({ section, complete: true, items: judgeAnswer(section, accepted.answer).items, issues: [] });
      continue;
    }
    const last = mine.at(-1);
    sections.push({ section, complete: false, items: [], issues: last?.issues ?? [] });
    openQuestions.push(
      last
        ? { id: followUpQuestionId(section), section, text: FOLLOW_UP_QUESTIONS[section], reason: `Previous answer was vague: ${last.issues.join(' ')}`, followUp: true }
        : { id: primaryQuestionId(section), section, text: PRIMARY_QUESTIONS[section](productType), reason: 'Not answered yet.', followUp: false },
    );
  }
  const done = sections.filter((s) => s.complete).length;
  return { sections, openQuestions, completeness: Math.round((done / sections.length) * 100) / 100, complete: done === sections.length };
};

/** The items of a section in an assessment ([] when incomplete). */
export const itemsOf = (assessment: PrdAssessment, section: PrdSection): string[] => assessment.sections.find((s) => s.section === section)?.items ?? [];
