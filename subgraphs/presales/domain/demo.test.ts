import { describe, expect, it } from '@jest/globals';
import { INDUSTRY_KITS, planDemo } from './demo.ts';

describe('demo planning', () => {
  it('uses the industry kit for chatbots', () => {
    const plan = planDemo({ companyName: 'Acme Dental', industry: 'HEALTHCARE', productType: 'CHATBOT', painPoints: ['Calls pile up'], opportunities: ['Voice agent'] });
    expect(plan.tools.map((t) => t.name)).toEqual(['find_appointment_slots', 'book_appointment', 'check_insurance']);
    expect(plan.mockData.map((r) => r.entity)).toEqual(['Provider', 'InsurancePlan']);
    expect(plan.script).toHaveLength(3);
    expect(plan.script[0]).toContain('Acme Dental');
    expect(plan.script[1]).toBe('Scenario 1 — Calls pile up: the chat assistant shows "Voice agent" using find_appointment_slots.');
  });
  it('adds call tools for voicebots and caps scenarios at four', () => {
    const plan = planDemo({ companyName: 'Shop', industry: 'RETAIL', productType: 'VOICEBOT', painPoints: ['a', 'b', 'c', 'd', 'e'], opportunities: ['x'] });
    expect(plan.tools.map((t) => t.name)).toEqual(['track_order', 'start_return', 'product_search', 'transfer_call', 'send_sms_confirmation']);
    // greeting + 4 scenarios + close
    expect(plan.script).toHaveLength(6);
    expect(plan.script[2]).toContain('"x"');
    expect(plan.script[4]).toContain('transfer_call');
  });
  it('copies mock data so plans never share the kit objects', () => {
    const plan = planDemo({ companyName: 'X', industry: 'OTHER', productType: 'CHATBOT', painPoints: [], opportunities: [] });
    plan.mockData[0].fields[0].value = 'changed';
    expect(INDUSTRY_KITS.OTHER.records[0].fields[0].value).toBe('What are your opening hours?');
    expect(plan.script).toHaveLength(2);
  });
});
