import { monotonicFactory } from 'ulid';
import { randomBytes } from 'node:crypto';

const next = monotonicFactory();

/** Opaque, unguessable, time-sortable id (ULID: 48-bit time + 80 random bits). */
export const newId = (): string => next();

/** A random secret for refresh tokens and client secrets: 256 bits, base64url. */
export const newSecret = (): string => randomBytes(32).toString('base64url');
