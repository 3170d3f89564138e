/** Small, deterministic text tools for the local model. No locale-dependent behaviour. */

export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can did do does doing down during each few for from further had has have having he her here hers herself him himself his ' +
    'how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ' +
    'ourselves out over own same she should so some such than that the their theirs them themselves then there these they ' +
    'this those through to too under until up very was we were what when where which while who whom why will with would you ' +
    'your yours yourself yourselves also us per via'
  ).split(' '),
);

/** Lowercased words and numbers (Unicode letters and digits; apostrophes kept inside words). */
export const words = (text: string): string[] => (text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu) ?? []).map((w) => w.replace(/’/g, "'"));

/**
 * A light suffix stripper (not Porter, but enough to bring "escalate", "escalated", "escalation" and
 * "escalating" to one stem, or "crash", "crashes", "crashed"). Words of three letters or fewer are kept.
 */
const SUFFIXES: ReadonlyArray<readonly [string, string]> = [
  ['ational', 'ate'], ['ations', 'ate'], ['ation', 'ate'], ['ingly', ''], ['ings', ''], ['ing', ''], ['edly', ''],
  ['ies', 'y'], ['ied', 'y'], ['ness', ''], ['ments', ''], ['ment', ''], ['ers', ''], ['er', ''], ['ed', ''], ['es', ''], ['ly', ''], ['s', ''],
];
export const stem = (word: string): string => {
  if (word.length <= 3) return word;
  let w = word;
  for (const [suffix, replacement] of SUFFIXES) {
    if (w.endsWith(suffix) && w.length - suffix.length >= 3 && !(suffix === 's' && w.endsWith('ss'))) {
      w = w.slice(0, -suffix.length) + replacement;
      break;
    }
  }
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  // A doubled final consonant left by a suffix ("stopped" → "stopp") is single.
  if (w !== word && /([b-df-hj-km-np-rtv-z])\1$/.test(w)) w = w.slice(0, -1);
  return w;
};

/** Content terms: words without stopwords, stemmed. */
export const terms = (text: string): string[] => words(text).filter((w) => !STOPWORDS.has(w)).map(stem);

/**
 * Sentences: split after . ! ? (when followed by space and an uppercase letter, digit or quote) and at
 * line breaks. Bullets and numbering are kept with their line. Common abbreviations do not split.
 */
export const sentences = (text: string): string[] => {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const parts = trimmed.split(/(?<=[.!?])\s+(?=["'“(\[]?[\p{Lu}\p{N}])/u);
    let carry = '';
    for (const part of parts) {
      const candidate = carry ? `${carry} ${part}` : part;
      if (/\b(?:e\.g|i\.e|etc|vs|mr|mrs|ms|dr|inc|ltd|no)\.$/i.test(candidate)) {
        carry = candidate;
        continue;
      }
      out.push(candidate);
      carry = '';
    }
    if (carry) out.push(carry);
  }
  return out;
};

export const jaccard = (a: ReadonlySet<string>, b: ReadonlySet<string>): number => {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
};

export const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Cuts text to about `maxTokens` (4 characters each) at a word boundary, marking the cut with an ellipsis. */
export const fitTokens = (text: string, maxTokens: number | undefined): string => {
  if (maxTokens === undefined || text.length <= maxTokens * 4) return text;
  const limit = Math.max(1, maxTokens * 4 - 1);
  const cut = text.slice(0, limit);
  const space = cut.lastIndexOf(' ');
  return `${(space > limit / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
};
