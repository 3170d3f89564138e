import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * Every error the product reports has one of these codes. The code decides the HTTP status and
 * whether a client may retry. Apollo's own codes (GRAPHQL_PARSE_FAILED, ...) are mapped too.
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: { status: 400, retryable: false },
  GRAPHQL_PARSE_FAILED: { status: 400, retryable: false },
  GRAPHQL_VALIDATION_FAILED: { status: 400, retryable: false },
  BAD_REQUEST: { status: 400, retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  QUERY_TOO_COMPLEX: { status: 400, retryable: false },
  UNAUTHENTICATED: { status: 401, retryable: false },
  INVALID_CREDENTIALS: { status: 401, retryable: false },
  TOKEN_REUSED: { status: 401, retryable: false },
  FORBIDDEN: { status: 403, retryable: false },
  NOT_FOUND: { status: 404, retryable: false },
  CONFLICT: { status: 409, retryable: true },
  ALREADY_EXISTS: { status: 409, retryable: false },
  RATE_LIMITED: { status: 429, retryable: true },
  SUBGRAPH_UNAVAILABLE: { status: 502, retryable: true },
  ENGINE_UNAVAILABLE: { status: 503, retryable: true },
  INTERNAL_SERVER_ERROR: { status: 500, retryable: false },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface DomainErrorOptions {
  /** What the person in front of the widget should read. Defaults to the message. */
  displayMessage?: string;
  /** How to fix it: which field, which value, which step. */
  hint?: string;
  /** The technical cause, safe to show (never secrets, never another tenant's data). */
  rootCause?: string;
  /** For input errors: the path of the offending input field, e.g. `input.email`. */
  field?: string;
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** The one error type domain code throws. The formatter turns it into GraphQL extensions. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly options: DomainErrorOptions;
  constructor(code: ErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.options = options;
  }
}

export const inputError = (field: string, message: string, hint: string): DomainError =>
  new DomainError('BAD_USER_INPUT', message, { field, hint, rootCause: `invalid ${field}` });

export const notFound = (typename: string, hint = `Check the ${typename} id; it may belong to another organization or not exist.`): DomainError =>
  new DomainError('NOT_FOUND', `${typename} not found`, { hint });

export const forbidden = (message: string, hint: string): DomainError => new DomainError('FORBIDDEN', message, { hint });

export const unauthenticated = (message = 'Authentication required', hint = 'Send `Authorization: Bearer <accessToken>` (get one with the signIn mutation).'): DomainError =>
  new DomainError('UNAUTHENTICATED', message, { hint });

export interface ErrorExtensions {
  code: ErrorCode | string;
  correlationId: string;
  displayMessage: string;
  hint: string;
  rootCause: string;
  retryable: boolean;
  retryAfterSeconds?: number;
  field?: string;
  http: { status: number };
  serviceName?: string;
}

const DEFAULT_HINTS: Partial<Record<string, string>> = {
  GRAPHQL_PARSE_FAILED: 'The query is not valid GraphQL. Check braces and quoting; Apollo Sandbox at /graphql validates as you type.',
  GRAPHQL_VALIDATION_FAILED: 'The query does not match the schema. Check field names and argument types in Apollo Sandbox.',
  BAD_USER_INPUT: 'Check the named field and its type in the schema.',
  BAD_REQUEST: 'Send a POST with Content-Type: application/json and a body {"query": "..."}.',
  UNAUTHENTICATED: 'Send `Authorization: Bearer <accessToken>` (get one with the signIn mutation).',
  FORBIDDEN: 'Your role does not allow this in this organization. Ask an Owner or Admin.',
  INTERNAL_SERVER_ERROR: 'Retry later; if it persists, contact support with the correlation id.',
  PERSISTED_QUERY_NOT_FOUND: 'Send the full query text with the persisted query hash.',
  OPERATION_RESOLUTION_FAILURE: 'Name an operation that exists in the document (operationName).',
  INVALID_GRAPHQL: 'The document cannot run as sent: with several operations pass operationName (naming one that exists); subscriptions go over WebSocket (graphql-ws) on /graphql.',
};

export const statusFor = (code: string): number => (code in ERROR_CODES ? ERROR_CODES[code as ErrorCode].status : code === 'PERSISTED_QUERY_NOT_FOUND' ? 200 : 400);

/** Builds the full extension record from any error: DomainError, GraphQLError with a code, or unknown. */
export const errorExtensions = (error: unknown, correlationId: string): { message: string; extensions: ErrorExtensions; masked: boolean } => {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  if (original instanceof DomainError) {
    const spec = ERROR_CODES[original.code];
    return {
      message: original.message,
      masked: false,
      extensions: {
        code: original.code,
        correlationId,
        displayMessage: original.options.displayMessage ?? original.message,
        hint: original.options.hint ?? DEFAULT_HINTS[original.code] ?? '',
        rootCause: original.options.rootCause ?? original.message,
        retryable: spec.retryable,
        ...(original.options.retryAfterSeconds !== undefined ? { retryAfterSeconds: original.options.retryAfterSeconds } : {}),
        ...(original.options.field ? { field: original.options.field } : {}),
        http: { status: spec.status },
      },
    };
  }
  if (error instanceof GraphQLError) {
    const ext = error.extensions ?? {};
    const code = typeof ext.code === 'string' ? ext.code : undefined;
    if (code && code !== 'INTERNAL_SERVER_ERROR') {
      const known = ERROR_CODES[code as ErrorCode];
      return {
        message: error.message,
        masked: false,
        extensions: {
          code,
          correlationId,
          displayMessage: typeof ext.displayMessage === 'string' ? ext.displayMessage : error.message,
          hint: typeof ext.hint === 'string' ? ext.hint : DEFAULT_HINTS[code] ?? '',
          rootCause: typeof ext.rootCause === 'string' ? ext.rootCause : error.message,
          retryable: typeof ext.retryable === 'boolean' ? ext.retryable : known?.retryable ?? false,
          ...(typeof ext.retryAfterSeconds === 'number' ? { retryAfterSeconds: ext.retryAfterSeconds } : {}),
          ...(typeof ext.field === 'string' ? { field: ext.field } : {}),
          http: { status: statusFor(code) },
          ...(typeof ext.serviceName === 'string' ? { serviceName: ext.serviceName } : {}),
        },
      };
    }
    if (!error.originalError && !code) {
      // A GraphQL-level error without a code is a validation problem of the request itself.
      return {
        message: error.message,
        masked: false,
        extensions: {
          code: 'GRAPHQL_VALIDATION_FAILED',
          correlationId,
          displayMessage: error.message,
          hint: DEFAULT_HINTS.GRAPHQL_VALIDATION_FAILED ?? '',
          rootCause: error.message,
          retryable: false,
          http: { status: 400 },
        },
      };
    }
  }
  return {
    message: 'Unexpected error',
    masked: true,
    extensions: {
      code: 'INTERNAL_SERVER_ERROR',
      correlationId,
      displayMessage: 'Something went wrong on our side.',
      hint: DEFAULT_HINTS.INTERNAL_SERVER_ERROR ?? '',
      rootCause: 'internal',
      retryable: false,
      http: { status: 500 },
    },
  };
};

/** Apollo `formatError` shape: keeps locations and path, replaces extensions. */
/**
 * Apollo `formatError` shape: keeps locations and path, replaces extensions. Subgraphs leave out
 * `http` (`includeHttp: false`): the gateway decides the client-facing status, so a partial result
 * still answers 200 while a request that failed as a whole answers with its error's status.
 */
export const formatGraphQLError = (formatted: GraphQLFormattedError, error: unknown, correlationId: string, includeHttp = true): GraphQLFormattedError => {
  const { message, extensions } = errorExtensions(error, correlationId);
  const { http, ...rest } = extensions;
  return {
    message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: includeHttp ? { ...rest, http } : rest,
  };
};
