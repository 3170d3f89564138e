import { canReceiveMessage, end, handoffDurationMs, pauseForImage, resume, type ConversationState } from './conversation-state.ts';

const voice: ConversationState = { channel: 'VOICE', status: 'ACTIVE', handoff: null };
const at = '2026-11-23T10:00:00.000Z';
const later = '2026-11-23T10:00:12.500Z';

describe('conversation state machine and cross-product coordination', () => {
  it('accepts messages only while active', () => {
    expect(canReceiveMessage(voice).ok).toBe(true);
    const paused = canReceiveMessage({ ...voice, status: 'PAUSED' });
    expect(paused).toMatchObject({ ok: false, field: 'input.conversationId', message: 'The conversation is PAUSED' });
    expect(canReceiveMessage({ ...voice, status: 'ENDED' }).ok).toBe(false);
  });

  it('pauses an active voice conversation for an image and resumes it with the result', () => {
    const paused = pauseForImage(voice, { reason: 'upload prescription', chatConversationId: 'chat1', at });
    expect(paused).toEqual({ ok: true, state: { channel: 'VOICE', status: 'PAUSED', handoff: { status: 'AWAITING_IMAGE', reason: 'upload prescription', chatConversationId: 'chat1', requestedAt: at, completedAt: null, imageResult: null } } });
    if (!paused.ok) throw new Error('unreachable');
    const resumed = resume(paused.state, { imageResult: 'Amoxicillin 500 mg', at: later });
    expect(resumed).toMatchObject({ ok: true, state: { status: 'ACTIVE', handoff: { status: 'COMPLETED', completedAt: later, imageResult: 'Amoxicillin 500 mg', chatConversationId: 'chat1' } } });
    if (!resumed.ok) throw new Error('unreachable');
    expect(handoffDurationMs(resumed.state.handoff)).toBe(12_500);
    expect(handoffDurationMs(paused.state.handoff)).toBeNull();
    expect(handoffDurationMs(null)).toBeNull();
  });

  it('refuses to pause chat, or a voice conversation that is not active', () => {
    expect(pauseForImage({ ...voice, channel: 'CHAT' }, { reason: 'r', chatConversationId: 'c', at })).toMatchObject({ ok: false, field: 'input.conversationId' });
    expect(pauseForImage({ ...voice, status: 'PAUSED' }, { reason: 'r', chatConversationId: 'c', at }).ok).toBe(false);
  });

  it('resumes only paused conversations, and takes an image result only for a pending handoff', () => {
    expect(resume(voice, { imageResult: null, at }).ok).toBe(false);
    const manual: ConversationState = { ...voice, status: 'PAUSED' };
    expect(resume(manual, { imageResult: 'x', at })).toMatchObject({ ok: false, field: 'input.imageResult' });
    expect(resume(manual, { imageResult: null, at })).toEqual({ ok: true, state: { ...voice, status: 'ACTIVE' } });
  });

  it('ends once', () => {
    const ended = end(voice);
    expect(ended).toEqual({ ok: true, state: { ...voice, status: 'ENDED' } });
    if (!ended.ok) throw new Error('unreachable');
    expect(end(ended.state).ok).toBe(false);
    expect(end({ ...voice, status: 'PAUSED' }).ok).toBe(true);
  });
});
