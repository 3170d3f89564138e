import { assessPrd, judgeAnswer, parseSpeed, sectionOfQuestion, sectionsFor, splitItems, type PrdAnswerRecord, type PrdSection } from './prd-engine.ts';

const answer = (section: PrdSection, text: string, questionId = section.toLowerCase()): PrdAnswerRecord => {
  const j = judgeAnswer(section, text);
  return { questionId, section, answer: text, vague: j.vague, issues: j.issues };
};

describe('prd engine: sections and questions', () => {
  it('requires integrations for chatbots and voice for voicebots', () => {
    expect(sectionsFor('CHATBOT')).toEqual(['OBJECTIVES', 'USE_CASES', 'KPIS', 'EDGE_CASES', 'ESCALATION_RULES', 'INTEGRATIONS']);
    expect(sectionsFor('VOICEBOT').at(-1)).toBe('VOICE');
    expect(sectionOfQuestion('kpis.clarify', 'CHATBOT')).toBe('KPIS');
    expect(sectionOfQuestion('voice', 'CHATBOT')).toBeNull();
    expect(sectionOfQuestion('nope', 'VOICEBOT')).toBeNull();
  });

  it('asks every section first, with completeness 0', () => {
    const a = assessPrd('CHATBOT', []);
    expect(a.openQuestions.map((q) => q.id)).toEqual(['objectives', 'use_cases', 'kpis', 'edge_cases', 'escalation_rules', 'integrations']);
    expect(a.openQuestions.every((q) => !q.followUp)).toBe(true);
    expect(a.completeness).toBe(0);
    expect(a.complete).toBe(false);
  });

  it('follows up on a vague KPI and counts the section only once a number is given', () => {
    const vague = answer('KPIS', 'happier customers');
    expect(vague.vague).toBe(true);
    expect(vague.issues[0]).toContain('without a numeric target');
    let a = assessPrd('CHATBOT', [answer('OBJECTIVES', 'Resolve most order questions without an agent'), vague]);
    expect(a.completeness).toBe(0.17); // 1 of 6
    const kpiQuestion = a.openQuestions.find((q) => q.section === 'KPIS');
    expect(kpiQuestion).toMatchObject({ id: 'kpis.clarify', followUp: true });
    expect(kpiQuestion?.reason).toContain('happier customers');
    a = assessPrd('CHATBOT', [answer('OBJECTIVES', 'Resolve most order questions without an agent'), vague, answer('KPIS', 'automation rate 80%, CSAT 4.5', 'kpis.clarify')]);
    expect(a.completeness).toBe(0.33); // 2 of 6
    expect(a.sections.find((s) => s.section === 'KPIS')).toEqual({ section: 'KPIS', complete: true, items: ['automation rate 80%', 'CSAT 4.5'], issues: [] });
  });

  it('is complete when all six sections have specific answers', () => {
    const a = assessPrd('CHATBOT', [
      answer('OBJECTIVES', 'Resolve order questions without an agent'),
      answer('USE_CASES', 'track an order, start a return'),
      answer('KPIS', 'automation rate 80%'),
      answer('EDGE_CASES', 'customer has no order number: ask for email'),
      answer('ESCALATION_RULES', 'when a refund is over $500 hand off to the billing team'),
      answer('INTEGRATIONS', 'Shopify and Zendesk'),
    ]);
    expect(a.complete).toBe(true);
    expect(a.completeness).toBe(1);
    expect(a.openQuestions).toEqual([]);
    expect(a.sections.find((s) => s.section === 'INTEGRATIONS')?.items).toEqual(['Shopify', 'Zendesk']);
  });
});

describe('prd engine: vagueness rules', () => {
  it('flags placeholders in every section', () => {
    for (const section of ['OBJECTIVES', 'USE_CASES', 'KPIS', 'EDGE_CASES', 'ESCALATION_RULES', 'INTEGRATIONS', 'VOICE'] as const) {
      expect(judgeAnswer(section, 'TBD').vague).toBe(true);
    }
  });

  it('judges each section by its own rule', () => {
    expect(judgeAnswer('OBJECTIVES', 'be better').vague).toBe(true);
    expect(judgeAnswer('USE_CASES', 'everything').vague).toBe(true);
    expect(judgeAnswer('USE_CASES', 'book an appointment').vague).toBe(false);
    expect(judgeAnswer('EDGE_CASES', 'none').vague).toBe(true);
    const noTarget = judgeAnswer('ESCALATION_RULES', 'when the customer is angry');
    expect(noTarget.issues).toEqual(['Escalation rule without a target (to whom?): "when the customer is angry".']);
    const noTrigger = judgeAnswer('ESCALATION_RULES', 'the support team');
    expect(noTrigger.issues).toEqual(['Escalation rule without a trigger (when?): "the support team".']);
    expect(judgeAnswer('INTEGRATIONS', 'some CRM').vague).toBe(true);
    expect(judgeAnswer('INTEGRATIONS', 'none')).toEqual({ vague: false, issues: [], items: [] });
    expect(judgeAnswer('VOICE', 'warm and friendly').issues).toEqual(['No speaking speed given (a number between 0.5x and 2.0x).']);
    expect(judgeAnswer('VOICE', '2.5x, warm').issues).toEqual(['Speaking speed 2.5x is outside 0.5x–2.0x.']);
    expect(judgeAnswer('VOICE', '1.2x, warm')).toEqual({ vague: false, issues: [], items: ['1.2x, warm'] });
    expect(judgeAnswer('KPIS', 'resolution rate tbd, CSAT 4.5').vague).toBe(true);
  });

  it('splits lists and parses speeds', () => {
    expect(splitItems('- one\n2) two; three.')).toEqual(['one', 'two', 'three']);
    expect(splitItems('a, b', true)).toEqual(['a', 'b']);
    expect(parseSpeed('speak at 1.25x')).toBe(1.25);
    expect(parseSpeed('fast')).toBeNull();
  });
});
