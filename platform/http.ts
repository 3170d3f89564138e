import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import { errorExtensions } from './errors.ts';
import { DomainError } from './errors.ts';
import { randomFillSync } from 'node:crypto';

/** Reads a request body up to `maxBytes`; larger bodies fail with PAYLOAD_TOO_LARGE before buffering them. */
export const readBody = (req: IncomingMessage, maxBytes: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      reject(new DomainError('PAYLOAD_TOO_LARGE', `Request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`, { hint: 'Send a smaller query; put large data in variables split across requests, or use persisted queries.' }));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new DomainError('PAYLOAD_TOO_LARGE', `Request body exceeds the limit of ${maxBytes} bytes`, { hint: 'Send a smaller query.' }));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/** Parses a JSON body; malformed JSON is a clear BAD_REQUEST. */
export const parseJsonBody = (raw: string, contentType: string | undefined): unknown => {
  if (!raw) return undefined;
  if (contentType && !/application\/(graphql-response\+)?json/i.test(contentType)) return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new DomainError('BAD_REQUEST', 'Malformed JSON in request body', { hint: 'The body must be JSON like {"query": "{ __typename }", "variables": {}}.', rootCause: (error as Error).message });
  }
};

export const headerMapOf = (req: IncomingMessage): HeaderMap => {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
};

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const entropy = Buffer.alloc(4096);
let entropyAt = entropy.length;

/**
 * A new correlation id in ULID form (48-bit time, 80 random bits, Crockford base32). Random bytes come
 * from a pooled buffer: the ulid package asks the CSPRNG once per character, which showed up in the
 * gateway's profile at ~1% of busy time. Correlation ids are not secrets and need not be monotonic.
 */
export const newCorrelationId = (): string => {
  if (entropyAt + 16 > entropy.length) {
    randomFillSync(entropy);
    entropyAt = 0;
  }
  let time = Date.now();
  let timePart = '';
  for (let i = 0; i < 10; i++) {
    timePart = CROCKFORD[time % 32] + timePart;
    time = Math.floor(time / 32);
  }
  let randomPart = '';
  for (let i = 0; i < 16; i++) randomPart += CROCKFORD[entropy[entropyAt++] & 31];
  return timePart + randomPart;
};

const SANE_CORRELATION_ID = /^[\w.:-]{1,128}$/;

/** The correlation id of a request: the caller's `x-correlation-id` if sane, else a new one. */
export const correlationIdOf = (req: IncomingMessage): string => {
  const given = req.headers['x-correlation-id'];
  const value = Array.isArray(given) ? given[0] : given;
  return value && SANE_CORRELATION_ID.test(value) ? value : newCorrelationId();
};

/**
 * Writes an Apollo HTTP response (complete or incremental). With `mapStatus` (the gateway), a request
 * that failed as a whole answers with its error's HTTP status; subgraphs always answer 200 to the gateway.
 */
export const sendApolloResponse = async (res: ServerResponse, response: HTTPGraphQLResponse, extraHeaders: Record<string, string> = {}, mapStatus = false): Promise<void> => {
  let status = response.status ?? 200;
  for (const [key, value] of response.headers) res.setHeader(key, value);
  for (const [key, value] of Object.entries(extraHeaders)) res.setHeader(key, value);
  if (response.body.kind === 'complete') {
    let body = response.body.string;
    if (mapStatus) {
      body = withCorrelationId(body, extraHeaders['x-correlation-id']);
      status = statusForBody(status, body);
    }
    res.statusCode = status;
    res.end(body);
    return;
  }
  res.statusCode = status;
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
};

/**
 * GraphQL over HTTP answers 200 when there is data. When a request failed as a whole (no data, or
 * every root field null), the status of its first error decides (401, 403, 404, ...).
 */
const statusForBody = (status: number, body: string): number => {
  if (status === 500 && body.length <= 100_000 && body.startsWith('{"errors"')) return clientStatusOf500(body) ?? status;
  if (status !== 200 || body.length > 100_000 || !body.startsWith('{"errors"')) return status;
  try {
    const parsed = JSON.parse(body) as { data?: Record<string, unknown> | null; errors?: Array<{ extensions?: { http?: { status?: number } } }> };
    // Partial data answers 200; a request whose every root field failed answers with the error's status.
    if (parsed.data && Object.values(parsed.data).some((value) => value !== null)) return status;
    const first = parsed.errors?.[0]?.extensions?.http?.status;
    return typeof first === 'number' && first >= 400 ? first : status;
  } catch {
    return status;
  }
};

/**
 * Apollo answers 500 when the gateway's executor throws, even for a client's mistake (an unknown
 * `operationName`, several operations without one, a subscription over HTTP). When every error is a
 * coded client error (http.status 4xx, not INTERNAL_SERVER_ERROR), the first one's status is the answer.
 */
const clientStatusOf500 = (body: string): number | undefined => {
  try {
    const parsed = JSON.parse(body) as { data?: unknown; errors?: Array<{ extensions?: { code?: string; http?: { status?: number } } }> };
    const errors = parsed.errors ?? [];
    if (parsed.data || !errors.length) return undefined;
    const clientErrors = errors.every((e) => e.extensions?.code && e.extensions.code !== 'INTERNAL_SERVER_ERROR' && (e.extensions.http?.status ?? 500) < 500);
    return clientErrors ? errors[0].extensions?.http?.status : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Errors Apollo reports at the HTTP level (malformed requests, CSRF prevention, batching) go through
 * `formatError` without any request context and carry an empty correlation id; fill in the request's.
 */
const withCorrelationId = (body: string, correlationId: string | undefined): string => {
  if (!correlationId || !body.includes('"correlationId":""')) return body;
  return body.split('"correlationId":""').join(JSON.stringify({ correlationId }).slice(1, -1));
};

/** Answers with a GraphQL error document and the error's HTTP status; used before Apollo runs. */
export const sendError = (res: ServerResponse, error: unknown, correlationId: string, headers: Record<string, string> = {}): void => {
  const { message, extensions } = errorExtensions(error, correlationId);
  res.statusCode = extensions.http.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('x-correlation-id', correlationId);
  for (const [key, value] of Object.entries(headers)) res.setHeader(key, value);
  res.end(JSON.stringify({ errors: [{ message, extensions }] }));
};

export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  for (const [key, value] of Object.entries(headers)) res.setHeader(key, value);
  res.end(JSON.stringify(body));
};
