import { chainOf, checkRequest, checkSlaSeconds, countdownSeconds, escalationOf, mayDecide, routeApproval } from './approvals.ts';

describe('approval routing', () => {
  it('auto-approves LOW risk under 1,000 only', () => {
    expect(routeApproval({ type: 'REFUND', risk: 'LOW', amount: 999 }).outcome).toBe('AUTO_APPROVED');
    const r = routeApproval({ type: 'REFUND', risk: 'LOW', amount: 1000 });
    expect(r).toMatchObject({ outcome: 'PENDING', role: 'SUPPORT_SPECIALIST', level: 0, slaSeconds: 86_400 });
  });
  it('routes by type, then raises the level by risk and amount', () => {
    expect(routeApproval({ type: 'DISCOUNT', risk: 'MEDIUM', amount: 5000 })).toMatchObject({ role: 'SALES_SPECIALIST', level: 0, chain: ['SALES_SPECIALIST', 'ADMIN', 'OWNER'], slaSeconds: 28_800 });
    expect(routeApproval({ type: 'CONFIG_CHANGE', risk: 'MEDIUM', amount: 10_000 })).toMatchObject({ role: 'ADMIN', level: 1 });
    expect(routeApproval({ type: 'CONFIG_CHANGE', risk: 'HIGH', amount: 0 })).toMatchObject({ role: 'ADMIN', level: 1, slaSeconds: 7200 });
    expect(routeApproval({ type: 'CONTRACT', risk: 'HIGH', amount: 50_000 })).toMatchObject({ role: 'OWNER', level: 2 });
    expect(routeApproval({ type: 'SPEND', risk: 'MEDIUM', amount: 10 })).toMatchObject({ role: 'ADMIN', level: 0, chain: ['ADMIN', 'OWNER'] });
    expect(routeApproval({ type: 'SPEND', risk: 'HIGH', amount: 10 }, { LOW: 10, MEDIUM: 20, HIGH: 3 })).toMatchObject({ role: 'ADMIN', slaSeconds: 3 });
  });
  it('escalates up the chain and stops at the top', () => {
    const chain = chainOf('REFUND');
    expect(escalationOf(chain, 0)).toEqual({ level: 1, role: 'ADMIN' });
    expect(escalationOf(chain, 1)).toEqual({ level: 2, role: 'OWNER' });
    expect(escalationOf(chain, 2)).toBeNull();
  });
  it('counts down whole seconds, negative when overdue', () => {
    const now = new Date('2026-11-24T10:00:00.000Z');
    expect(countdownSeconds('2026-11-24T12:00:00.000Z', now)).toBe(7200);
    expect(countdownSeconds('2026-11-24T09:59:58.500Z', now)).toBe(-2);
  });
  it('lets the assigned role or a higher one decide', () => {
    const chain = chainOf('DISCOUNT');
    expect(mayDecide(['SALES_SPECIALIST'], chain, 'SALES_SPECIALIST')).toBe(true);
    expect(mayDecide(['OWNER'], chain, 'SALES_SPECIALIST')).toBe(true);
    expect(mayDecide(['SALES_SPECIALIST'], chain, 'ADMIN')).toBe(false);
    expect(mayDecide(['MEMBER'], chain, 'SALES_SPECIALIST')).toBe(false);
    expect(mayDecide(['PLATFORM_ADMIN'], chain, 'OWNER')).toBe(true);
  });
  it('rejects bad input naming the field', () => {
    expect(() => checkRequest({ type: 'DISCOUNT', risk: 'LOW', amount: -1 })).toThrow(/amount/);
    expect(() => checkSlaSeconds({ LOW: 0, MEDIUM: 1, HIGH: 1 })).toThrow(/LOW SLA/);
  });
});
