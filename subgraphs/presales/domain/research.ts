/**
 * The research engine's deterministic part: what the page text says about the company (industry,
 * size, funding, tech stack) and which pain points and automation opportunities follow from it.
 * Plain text in, plain data out; every finding names the signals it came from and a confidence.
 */

export type ResearchIndustry = 'HEALTHCARE' | 'FINANCE' | 'RETAIL' | 'SOFTWARE' | 'HOSPITALITY' | 'EDUCATION' | 'REAL_ESTATE' | 'LOGISTICS' | 'OTHER';

export type CompanySizeBand = 'MICRO' | 'SMALL' | 'MEDIUM' | 'LARGE' | 'ENTERPRISE' | 'UNKNOWN';

export type FindingKind = 'PAIN_POINT' | 'OPPORTUNITY';

export interface RuleFinding {
  kind: FindingKind;
  text: string;
  /** 0–1. */
  confidence: number;
  /** The words or facts of the page that triggered the rule. */
  signals: string[];
  /** The rule's id, for provenance. */
  rule: string;
}

/** Industry keywords; a page's industry is the one with the most keyword hits. */
export const INDUSTRY_KEYWORDS: Readonly<Record<Exclude<ResearchIndustry, 'OTHER'>, readonly string[]>> = {
  HEALTHCARE: ['patient', 'patients', 'clinic', 'clinics', 'hospital', 'medical', 'health', 'healthcare', 'doctor', 'doctors', 'dental', 'therapy', 'pharmacy', 'care'],
  FINANCE: ['bank', 'banking', 'loan', 'loans', 'insurance', 'fintech', 'payments', 'investment', 'investing', 'credit', 'mortgage', 'wealth', 'accounting', 'claims'],
  RETAIL: ['shop', 'store', 'stores', 'cart', 'ecommerce', 'e-commerce', 'retail', 'products', 'shipping', 'returns', 'fashion', 'order', 'orders'],
  SOFTWARE: ['software', 'saas', 'platform', 'api', 'cloud', 'developers', 'integration', 'integrations', 'app', 'dashboard'],
  HOSPITALITY: ['hotel', 'hotels', 'restaurant', 'restaurants', 'booking', 'bookings', 'reservation', 'reservations', 'guests', 'travel', 'menu'],
  EDUCATION: ['school', 'schools', 'students', 'student', 'courses', 'course', 'university', 'learning', 'teachers', 'tuition', 'enrollment'],
  REAL_ESTATE: ['property', 'properties', 'real estate', 'tenants', 'rent', 'rental', 'listings', 'realtor', 'apartments', 'leasing'],
  LOGISTICS: ['logistics', 'freight', 'delivery', 'deliveries', 'warehouse', 'fleet', 'shipment', 'shipments', 'tracking', 'carrier'],
};

/** Technologies recognized on a page (case-insensitive, whole words). */
export const TECH_KEYWORDS: readonly string[] = [
  'Shopify', 'WordPress', 'Magento', 'WooCommerce', 'Salesforce', 'HubSpot', 'Zendesk', 'Intercom', 'Freshdesk', 'Stripe', 'PayPal',
  'Twilio', 'React', 'Angular', 'Vue', 'Node.js', 'Python', 'AWS', 'Azure', 'Google Cloud', 'Kubernetes', 'Epic', 'Cerner', 'SAP',
  'Oracle', 'Slack', 'Microsoft Teams', 'Mailchimp', 'Calendly', 'OpenTable', 'Square', 'QuickBooks', 'Xero', 'Zoho',
];

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const wordRegex = (word: string, flags = 'gi'): RegExp => new RegExp(`(?<![\\p{L}\\p{N}])${escape(word)}(?![\\p{L}\\p{N}])`, `${flags}u`);
const countOf = (text: string, word: string): number => (text.match(wordRegex(word)) ?? []).length;
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

export interface IndustryDetection {
  industry: ResearchIndustry;
  /** Share of all industry keyword hits that went to the winner (0 when none). */
  confidence: number;
  signals: string[];
}

/** The industry with most keyword hits; ties go to the earlier industry in INDUSTRY_KEYWORDS. */
export const detectIndustry = (text: string): IndustryDetection => {
  let best: IndustryDetection = { industry: 'OTHER', confidence: 0, signals: [] };
  let bestHits = 0;
  let total = 0;
  for (const [industry, keywords] of Object.entries(INDUSTRY_KEYWORDS) as Array<[ResearchIndustry, readonly string[]]>) {
    let hits = 0;
    const signals: string[] = [];
    for (const keyword of keywords) {
      const n = countOf(text, keyword);
      if (n > 0) {
        hits += n;
        signals.push(keyword);
      }
    }
    total += hits;
    if (hits > bestHits) {
      bestHits = hits;
      best = { industry, confidence: 0, signals };
    }
  }
  return bestHits === 0 ? best : { ...best, confidence: round3(bestHits / total) };
};

/** Employee count stated on the page ("250 employees", "a team of 40", "over 1,200 staff"): the largest one. */
export const extractEmployeeCount = (text: string): number | null => {
  const counts: number[] = [];
  for (const m of text.matchAll(/(\d{1,3}(?:,\d{3})+|\d+)\s*\+?\s*(?:employees|staff|people|team members|professionals|workers)\b/gi)) counts.push(Number(m[1].replace(/,/g, '')));
  for (const m of text.matchAll(/team of\s+(\d{1,3}(?:,\d{3})+|\d+)/gi)) counts.push(Number(m[1].replace(/,/g, '')));
  const valid = counts.filter((n) => Number.isFinite(n) && n > 0 && n <= 5_000_000);
  return valid.length ? Math.max(...valid) : null;
};

/** Size band by employees: MICRO < 10, SMALL < 50, MEDIUM < 250, LARGE < 1000, ENTERPRISE ≥ 1000. */
export const sizeBandOf = (employees: number | null): CompanySizeBand => {
  if (employees === null) return 'UNKNOWN';
  if (employees < 10) return 'MICRO';
  if (employees < 50) return 'SMALL';
  if (employees < 250) return 'MEDIUM';
  if (employees < 1000) return 'LARGE';
  return 'ENTERPRISE';
};

/** Funding stated on the page ("raised $12 million", "Series B of $40M"), in whole US dollars: the largest. */
export const extractFundingUsd = (text: string): number | null => {
  const amounts: number[] = [];
  const pattern = /(?:raised|funding|series [a-f]|seed round|investment)[^$.]{0,40}\$\s?(\d+(?:\.\d+)?)\s?(million|billion|thousand|[mbk])\b/gi;
  for (const m of text.matchAll(pattern)) {
    const unit = m[2].toLowerCase();
    const factor = unit.startsWith('b') ? 1e9 : unit.startsWith('m') ? 1e6 : 1e3;
    amounts.push(Math.round(Number(m[1]) * factor));
  }
  return amounts.length ? Math.max(...amounts) : null;
};

/** Recognized technologies, in TECH_KEYWORDS order. */
export const extractTechStack = (text: string): string[] => TECH_KEYWORDS.filter((tech) => countOf(text, tech) > 0);

interface SignalRule {
  id: string;
  words: readonly string[];
  painPoint: string;
  opportunity: string;
}

/** Signal rules: page words that point to a pain point and the automation that answers it. */
export const SIGNAL_RULES: readonly SignalRule[] = [
  { id: 'call-volume', words: ['call us', 'phone', 'call center', 'hotline', 'callback'], painPoint: 'Customers reach the company by phone, so call volume ties up staff', opportunity: 'Voice agent that answers routine calls and routes the rest' },
  { id: 'scheduling', words: ['appointment', 'appointments', 'booking', 'bookings', 'reservation', 'reservations', 'schedule'], painPoint: 'Appointments and bookings are arranged by hand', opportunity: 'Conversational booking that checks availability and confirms slots' },
  { id: 'faq', words: ['faq', 'frequently asked', 'questions', 'help center', 'knowledge base'], painPoint: 'Customers ask the same questions repeatedly', opportunity: 'Chatbot that answers FAQs from the knowledge base' },
  { id: 'order-status', words: ['order status', 'track your order', 'tracking', 'shipping', 'returns', 'refund'], painPoint: 'Order status, shipping and return requests flood support', opportunity: 'Self-service order tracking and returns in chat' },
  { id: 'intake', words: ['forms', 'form', 'application', 'claims', 'intake', 'paperwork', 'onboarding'], painPoint: 'Intake relies on forms and manual data entry', opportunity: 'Guided intake that collects and validates details in conversation' },
  { id: 'after-hours', words: ['business hours', 'office hours', 'monday to friday', 'mon-fri', '9am', '9 am'], painPoint: 'Support is only available during office hours', opportunity: '24/7 assistant covering evenings and weekends' },
  { id: 'multilingual', words: ['international', 'multilingual', 'languages', 'worldwide', 'global'], painPoint: 'Customers in several languages and regions must be served', opportunity: 'Multilingual assistant with automatic language detection' },
  { id: 'lead-capture', words: ['contact us', 'request a demo', 'get a quote', 'quote', 'free consultation'], painPoint: 'Leads wait for a human to respond to contact requests', opportunity: 'Instant lead qualification and meeting booking' },
];

const HELPDESK_TOOLS = ['Zendesk', 'Intercom', 'Freshdesk'];

/**
 * Pain points and opportunities from signal rules. Confidence of a rule = 0.5 + 0.1 per distinct signal
 * (≤ 0.9). A help-desk tool in the stack adds a ticket-deflection pair (0.7).
 */
export const ruleFindings = (text: string, techStack: readonly string[]): RuleFinding[] => {
  const findings: RuleFinding[] = [];
  for (const rule of SIGNAL_RULES) {
    const signals = rule.words.filter((w) => countOf(text, w) > 0);
    if (signals.length === 0) continue;
    const confidence = round3(Math.min(0.9, 0.5 + 0.1 * signals.length));
    findings.push({ kind: 'PAIN_POINT', text: rule.painPoint, confidence, signals, rule: rule.id });
    findings.push({ kind: 'OPPORTUNITY', text: rule.opportunity, confidence, signals, rule: rule.id });
  }
  const helpdesk = techStack.filter((t) => HELPDESK_TOOLS.includes(t));
  if (helpdesk.length) {
    findings.push({ kind: 'PAIN_POINT', text: `Ticket volume handled in ${helpdesk.join(', ')} grows with customers`, confidence: 0.7, signals: helpdesk, rule: 'helpdesk' });
    findings.push({ kind: 'OPPORTUNITY', text: `Ticket deflection integrated with ${helpdesk.join(', ')}`, confidence: 0.7, signals: helpdesk, rule: 'helpdesk' });
  }
  return findings;
};

/** The first sentence of the text (up to 300 characters), as a fallback description. */
export const firstSentence = (text: string): string => {
  const clean = text.replace(/\s+/g, ' ').trim();
  const m = /^(.{20,300}?[.!?])(\s|$)/.exec(clean);
  return (m ? m[1] : clean.slice(0, 300)).trim();
};

/**
 * Items a model put into its extraction answer. Accepts the JSON `{fields: {pain_points, automation_opportunities}}`
 * shape (values split on `;`), or plain lines `pain point: ...` / `opportunity: ...`. Anything else yields none.
 */
export const parseModelFindings = (answer: string): Array<{ kind: FindingKind; text: string }> => {
  const out: Array<{ kind: FindingKind; text: string }> = [];
  const push = (kind: FindingKind, value: unknown): void => {
    const values = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/;|\n/) : [];
    for (const v of values) if (typeof v === 'string' && v.trim().length >= 3) out.push({ kind, text: v.trim().slice(0, 300) });
  };
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(answer);
  } catch {
    parsed = null;
  }
  if (parsed && typeof parsed === 'object') {
    const root = parsed as Record<string, unknown>;
    const fields = (root.fields && typeof root.fields === 'object' ? root.fields : root) as Record<string, unknown>;
    push('PAIN_POINT', fields.pain_points ?? fields.painPoints);
    push('OPPORTUNITY', fields.automation_opportunities ?? fields.automationOpportunities ?? fields.opportunities);
    return dedupe(out);
  }
  for (const line of answer.split(/\r?\n/)) {
    const m = /^\s*[-*]?\s*(pain points?|(?:automation )?opportunit(?:y|ies))\s*:\s*(.+)$/i.exec(line);
    if (m) push(/^pain/i.test(m[1]) ? 'PAIN_POINT' : 'OPPORTUNITY', m[2]);
  }
  return dedupe(out);
};

const dedupe = (items: Array<{ kind: FindingKind; text: string }>): Array<{ kind: FindingKind; text: string }> => {
  const seen = new Set<string>();
  return items.filter((i) => {
    const key = `${i.kind}|${i.text.toLowerCase()}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};

export interface RuleAnalysis {
  industry: IndustryDetection;
  employeeCount: number | null;
  sizeBand: CompanySizeBand;
  fundingUsd: number | null;
  techStack: string[];
  findings: RuleFinding[];
}

/** Everything the rules derive from page text. */
export const analyzeText = (text: string): RuleAnalysis => {
  const techStack = extractTechStack(text);
  const employeeCount = extractEmployeeCount(text);
  return { industry: detectIndustry(text), employeeCount, sizeBand: sizeBandOf(employeeCount), fundingUsd: extractFundingUsd(text), techStack, findings: ruleFindings(text, techStack) };
};
