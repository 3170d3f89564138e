import { describe, expect, it } from '@jest/globals';
import { MessageType, parseMessage, stringifyMessage } from 'graphql-ws';
import { nextFrame, nextFramePrefix, nextPayloadJson, type Resolved } from './frames.ts';
import type { RefetchPlan } from './refetch.ts';

const plan = (overrides: Partial<RefetchPlan> = {}): RefetchPlan => ({
  spec: { field: 'alerts', topics: ['impact_events'], types: null, refetch: 'alert' },
  responseKey: 'alerts',
  query: 'query LiveRefetch($liveId: ID!) { alert(id: $liveId) { id severity live_filter_severity: severity } }',
  variables: {},
  args: {},
  kinds: null,
  after: null,
  filters: [],
  ...overrides,
});

describe('pre-serialized next frames', () => {
  it('are byte-identical to what graphql-ws stringifies for the same message, for any id', () => {
    const resolved: Resolved = { value: { id: 'A1', severity: 'HIGH', text: 'quote " backslash \\ unicode é \u2028 done' } };
    for (const id of ['1', 'b6f5c1c8-3d8a-4c1e-9a8e-4a4f0f0f2b11', 'weird "id" \\ é']) {
      const frame = nextFrame(nextFramePrefix(id), nextPayloadJson(plan(), resolved) ?? 'null');
      expect(frame).toBe(stringifyMessage({ id, type: MessageType.Next, payload: { data: { alerts: resolved.value } } }));
      expect(parseMessage(frame)).toEqual({ id, type: MessageType.Next, payload: { data: { alerts: resolved.value } } });
    }
  });

  it('carry partial errors with the path rewritten to the subscriber’s response key, like graphql-ws would send them', () => {
    const resolved: Resolved = {
      value: { id: 'A1', note: null },
      errors: [
        { message: 'Note unavailable', path: ['alert', 'note'], extensions: { code: 'NOTE_UNAVAILABLE' } },
        { message: 'no path', extensions: { code: 'X' } },
      ],
    };
    const json = nextPayloadJson(plan({ responseKey: 'mine' }), resolved);
    const payload = {
      data: { mine: { id: 'A1', note: null } },
      errors: [
        { message: 'Note unavailable', path: ['mine', 'note'], extensions: { code: 'NOTE_UNAVAILABLE' } },
        { message: 'no path', extensions: { code: 'X' } },
      ],
    };
    expect(nextFrame(nextFramePrefix('7'), json ?? '')).toBe(stringifyMessage({ id: '7', type: MessageType.Next, payload }));
  });

  it('apply the plan’s result filters: a filtered-out value is null, a kept one loses the private aliases', () => {
    const filtered = plan({ filters: [{ arg: 'severities', field: 'severity', alias: 'live_filter_severity', values: ['HIGH', 'CRITICAL'] }] });
    expect(nextPayloadJson(filtered, { value: { id: 'A1', severity: 'LOW', live_filter_severity: 'LOW' } })).toBeNull();
    expect(nextPayloadJson(filtered, { value: { id: 'A2', severity: 'HIGH', live_filter_severity: 'HIGH' } })).toBe('{"data":{"alerts":{"id":"A2","severity":"HIGH"}}}');
  });
});
