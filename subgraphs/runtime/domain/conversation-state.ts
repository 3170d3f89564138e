/**
 * Conversation lifecycle and cross-product coordination (chat ↔ voice) as a pure state machine.
 * A voice conversation that needs an image pauses, a linked chat conversation receives the upload,
 * and the voice conversation resumes with the image result — the same conversation, so continuity holds.
 */

export type ConversationChannel = 'CHAT' | 'VOICE';
export type ConversationStatus = 'ACTIVE' | 'PAUSED' | 'ENDED';
export type HandoffStatus = 'AWAITING_IMAGE' | 'COMPLETED';

export interface Handoff {
  status: HandoffStatus;
  reason: string;
  chatConversationId: string;
  requestedAt: string;
  completedAt: string | null;
  imageResult: string | null;
}

export interface ConversationState {
  channel: ConversationChannel;
  status: ConversationStatus;
  handoff: Handoff | null;
}

export type Transition =
  | { ok: true; state: ConversationState }
  | { ok: false; field: string; message: string; hint: string };

const reject = (field: string, message: string, hint: string): Transition => ({ ok: false, field, message, hint });

/** Messages are accepted only while the conversation is ACTIVE. */
export const canReceiveMessage = (state: ConversationState): Transition =>
  state.status === 'ACTIVE' ? { ok: true, state } : reject('input.conversationId', `The conversation is ${state.status}`, state.status === 'PAUSED' ? 'Resume the conversation first (resumeConversation).' : 'Start a new conversation.');

/** Voice pauses for an image that the chat channel receives (linked chat conversation `chatConversationId`). */
export const pauseForImage = (state: ConversationState, input: { reason: string; chatConversationId: string; at: string }): Transition => {
  if (state.channel !== 'VOICE') return reject('input.conversationId', 'Only voice conversations pause for an image', 'Images are uploaded in chat; pass the id of the voice conversation.');
  if (state.status !== 'ACTIVE') return reject('input.conversationId', `The conversation is ${state.status}`, 'Only an ACTIVE voice conversation can pause for an image.');
  return {
    ok: true,
    state: { ...state, status: 'PAUSED', handoff: { status: 'AWAITING_IMAGE', reason: input.reason, chatConversationId: input.chatConversationId, requestedAt: input.at, completedAt: null, imageResult: null } },
  };
};

/** Resumes a paused conversation; a pending image handoff completes with the image result. */
export const resume = (state: ConversationState, input: { imageResult: string | null; at: string }): Transition => {
  if (state.status !== 'PAUSED') return reject('input.conversationId', `The conversation is ${state.status}`, 'Only a PAUSED conversation can be resumed.');
  const pending = state.handoff?.status === 'AWAITING_IMAGE' ? state.handoff : null;
  if (!pending && input.imageResult !== null) return reject('input.imageResult', 'No image handoff is pending', 'Omit imageResult, or pause with pauseForImage first.');
  return {
    ok: true,
    state: { ...state, status: 'ACTIVE', handoff: pending ? { ...pending, status: 'COMPLETED', completedAt: input.at, imageResult: input.imageResult } : state.handoff },
  };
};

export const end = (state: ConversationState): Transition =>
  state.status === 'ENDED' ? reject('id', 'The conversation has already ended', 'Start a new conversation.') : { ok: true, state: { ...state, status: 'ENDED' } };

/** Handoff duration in milliseconds, once completed. */
export const handoffDurationMs = (handoff: Handoff | null): number | null =>
  handoff?.completedAt ? Math.max(0, Date.parse(handoff.completedAt) - Date.parse(handoff.requestedAt)) : null;
