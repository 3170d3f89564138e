import { describe, expect, it } from '@jest/globals';
import { analyzeText, detectIndustry, extractEmployeeCount, extractFundingUsd, extractTechStack, firstSentence, parseModelFindings, ruleFindings, sizeBandOf } from './research.ts';

const DENTAL =
  'Bright Smile Dental is a family dental clinic in Austin caring for over 2,000 patients. Our team of 35 dentists and staff offers cleanings and implants. ' +
  'Book an appointment online or call us at 512-555-0100. Office hours: Monday to Friday, 9am to 5pm. We use Zendesk for patient questions. ' +
  'In 2024 we raised $2.5 million in a seed round.';

describe('industry detection', () => {
  it('picks the industry with most keyword hits and reports its share', () => {
    // HEALTHCARE hits: patient (1, "patient questions"), patients (1), clinic (1), dental (2); "caring" is not "care".
    // No other industry has a hit, so confidence = 5/5 = 1.
    const result = detectIndustry(DENTAL);
    expect(result.industry).toBe('HEALTHCARE');
    expect(result.signals).toEqual(['patient', 'patients', 'clinic', 'dental']);
    expect(result.confidence).toBe(1);
  });
  it('splits confidence when two industries have evidence', () => {
    // FINANCE: bank (1) + loans (1) = 2; SOFTWARE: platform (1), api (1) = 2 → tie goes to FINANCE (earlier); share 2/4.
    const result = detectIndustry('A bank offering loans through a platform with an API.');
    expect(result).toEqual({ industry: 'FINANCE', confidence: 0.5, signals: ['bank', 'loans'] });
  });
  it('reports OTHER with zero confidence without evidence', () => {
    expect(detectIndustry('We make beautiful things.')).toEqual({ industry: 'OTHER', confidence: 0, signals: [] });
  });
});

describe('size, funding, tech stack', () => {
  it('takes the largest stated employee count', () => {
    expect(extractEmployeeCount('We are 40 employees, part of a group of 1,250 staff.')).toBe(1250);
    expect(extractEmployeeCount('A team of 12 builds it.')).toBe(12);
    expect(extractEmployeeCount('No numbers here.')).toBeNull();
  });
  it('bands sizes at 10, 50, 250 and 1000', () => {
    expect([null, 9, 10, 49, 50, 249, 250, 999, 1000].map(sizeBandOf)).toEqual(['UNKNOWN', 'MICRO', 'SMALL', 'SMALL', 'MEDIUM', 'MEDIUM', 'LARGE', 'LARGE', 'ENTERPRISE']);
  });
  it('reads funding amounts in dollars', () => {
    expect(extractFundingUsd(DENTAL)).toBe(2_500_000);
    expect(extractFundingUsd('Series B of $40M led by X; earlier raised $5 million.')).toBe(40_000_000);
    expect(extractFundingUsd('We sell $5 shirts.')).toBeNull();
  });
  it('finds known technologies as whole words', () => {
    expect(extractTechStack('Built on Shopify with Stripe payments and Zendesk support; not Epicurean.')).toEqual(['Shopify', 'Zendesk', 'Stripe']);
  });
});

describe('rule findings', () => {
  it('derives pain point / opportunity pairs with confidence 0.5 + 0.1 per signal', () => {
    const findings = ruleFindings(DENTAL, ['Zendesk']);
    const byRule = (id: string) => findings.filter((f) => f.rule === id);
    // call-volume: "call us" → 1 signal → 0.6
    expect(byRule('call-volume').map((f) => [f.kind, f.confidence])).toEqual([['PAIN_POINT', 0.6], ['OPPORTUNITY', 0.6]]);
    // scheduling: "appointment" → 0.6
    expect(byRule('scheduling')[0].signals).toEqual(['appointment']);
    // after-hours: "office hours", "monday to friday", "9am" → 3 signals → 0.8
    expect(byRule('after-hours')[0].confidence).toBe(0.8);
    // faq: "questions" → 0.6
    expect(byRule('faq')[0].confidence).toBe(0.6);
    expect(byRule('helpdesk').map((f) => f.confidence)).toEqual([0.7, 0.7]);
    expect(byRule('order-status')).toEqual([]);
  });
  it('caps rule confidence at 0.9', () => {
    const findings = ruleFindings('Appointment, appointments, booking, bookings, reservation, reservations and schedule.', []);
    expect(findings[0].confidence).toBe(0.9);
  });
  it('analyzeText combines everything', () => {
    const a = analyzeText(DENTAL);
    expect(a.industry.industry).toBe('HEALTHCARE');
    expect(a.employeeCount).toBe(35);
    expect(a.sizeBand).toBe('SMALL');
    expect(a.techStack).toEqual(['Zendesk']);
    expect(a.findings.length).toBe(10);
  });
});

describe('model output parsing', () => {
  it('reads the JSON fields shape, splitting on semicolons', () => {
    expect(parseModelFindings('{"fields":{"pain_points":"Long hold times; Missed calls","automation_opportunities":"Voice agent"},"entities":{}}')).toEqual([
      { kind: 'PAIN_POINT', text: 'Long hold times' },
      { kind: 'PAIN_POINT', text: 'Missed calls' },
      { kind: 'OPPORTUNITY', text: 'Voice agent' },
    ]);
  });
  it('reads plain lines and ignores anything else', () => {
    expect(parseModelFindings('Pain point: slow replies\n- Opportunity: instant answers\nrandom text')).toEqual([
      { kind: 'PAIN_POINT', text: 'slow replies' },
      { kind: 'OPPORTUNITY', text: 'instant answers' },
    ]);
    expect(parseModelFindings('{"fields":{},"entities":{"emails":["a@b.co"]}}')).toEqual([]);
    expect(parseModelFindings('nothing useful')).toEqual([]);
  });
  it('firstSentence stops at the first full stop', () => {
    expect(firstSentence('Acme builds rockets for everyone. They fly.')).toBe('Acme builds rockets for everyone.');
  });
});
