import { terms } from '../../../platform/ai/text.ts';

/**
 * The chatbot's two-node workflow (agent + tools) as a small deterministic state machine:
 * AGENT decides to search the knowledge base → TOOLS runs the search → AGENT answers from the
 * retrieved passages (through the language model) or, with nothing retrieved, answers by rule and
 * escalates. The driver (commands.ts) performs the actions; this module only decides. Pure.
 */

export type WorkflowNode = 'AGENT' | 'TOOLS';

/** Answers below this confidence escalate to a person unless the deployed config says otherwise. */
export const DEFAULT_ESCALATION_THRESHOLD = 0.5;
/** Passages handed to the model as context. */
export const CONTEXT_PASSAGES = 3;
export const NO_ANSWER_TEXT = "I couldn't find this in our knowledge base. I've passed your question to a person who will follow up.";

export interface RetrievedPassage {
  id: string;
  text: string;
  score: number;
}

export interface WorkflowOutcome {
  text: string;
  confidence: number;
  method: 'LLM' | 'RULE';
  citedPassageIds: string[];
  escalate: boolean;
  reason: string;
}

export interface WorkflowState {
  question: string;
  threshold: number;
  passages: RetrievedPassage[] | null;
  outcome: WorkflowOutcome | null;
  path: WorkflowNode[];
}

export type WorkflowAction =
  | { kind: 'CALL_TOOL'; tool: 'knowledge_search'; query: string; first: number }
  | { kind: 'CALL_MODEL'; system: string; prompt: string }
  | { kind: 'FINISH'; outcome: WorkflowOutcome };

export type WorkflowEvent =
  | { type: 'TOOL_RESULT'; passages: RetrievedPassage[] }
  | { type: 'MODEL_RESULT'; text: string; confidence: number; method: 'LLM' | 'RULE' };

export const startWorkflow = (question: string, threshold = DEFAULT_ESCALATION_THRESHOLD): WorkflowState => ({ question, threshold, passages: null, outcome: null, path: ['AGENT'] });

export const ANSWER_SYSTEM = 'You are a support assistant. Answer only from the context. If the context does not contain the answer, say so.';

/** The answer prompt: `Question:` then `Context:` with one passage per line. */
export const answerPrompt = (question: string, passages: readonly RetrievedPassage[]): string =>
  `Question: ${question}\nContext:\n${passages.map((p) => p.text).join('\n')}`;

/** What the agent does next in `state`. */
export const decide = (state: WorkflowState): WorkflowAction => {
  if (state.outcome) return { kind: 'FINISH', outcome: state.outcome };
  if (state.passages === null) return { kind: 'CALL_TOOL', tool: 'knowledge_search', query: state.question, first: CONTEXT_PASSAGES };
  return { kind: 'CALL_MODEL', system: ANSWER_SYSTEM, prompt: answerPrompt(state.question, state.passages) };
};

/**
 * Passages the answer draws on: those sharing at least one content term with the answer text; when
 * none does (e.g. the model paraphrased), every passage given as context is cited.
 */
export const citedPassages = (answer: string, passages: readonly RetrievedPassage[]): string[] => {
  const answerTerms = new Set(terms(answer));
  const used = passages.filter((p) => terms(p.text).some((t) => answerTerms.has(t))).map((p) => p.id);
  return used.length ? used : passages.map((p) => p.id);
};

/** Applies a tool or model result. Invalid transitions throw: the driver has a bug. */
export const advance = (state: WorkflowState, event: WorkflowEvent): WorkflowState => {
  if (state.outcome) throw new Error('workflow already finished');
  if (event.type === 'TOOL_RESULT') {
    if (state.passages !== null) throw new Error('tool result after the tools node already ran');
    const passages = event.passages;
    const outcome: WorkflowOutcome | null = passages.length
      ? null
      : { text: NO_ANSWER_TEXT, confidence: 0, method: 'RULE', citedPassageIds: [], escalate: true, reason: 'no knowledge base passage matched the question' };
    return { ...state, passages, outcome, path: [...state.path, 'TOOLS', 'AGENT'] };
  }
  if (state.passages === null || state.passages.length === 0) throw new Error('model result before retrieval');
  const confidence = Math.min(1, Math.max(0, event.confidence));
  const escalate = confidence < state.threshold;
  return {
    ...state,
    outcome: {
      text: event.text,
      confidence,
      method: event.method,
      citedPassageIds: citedPassages(event.text, state.passages),
      escalate,
      reason: escalate ? `confidence ${confidence} is below the escalation threshold ${state.threshold}` : `confidence ${confidence} meets the escalation threshold ${state.threshold}`,
    },
  };
};
