import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * `@apollo/gateway` reports a subgraph's null for a non-null field (typically an entity reference
 * whose owning subgraph knows no such id) only in `extensions.valueCompletion`, and may answer
 * `{"data": null}` with no `errors` at all. Clients then see nothing they can act on. These become
 * ordinary NOT_FOUND errors (code, hint, status), placed first so the HTTP status follows them.
 */
const valueCompletionErrors = (extensions: Record<string, unknown> | undefined): GraphQLFormattedError[] => {
  const entries = extensions?.valueCompletion;
  if (!Array.isArray(entries)) return [];
  return entries.map((entry: { message?: unknown; path?: unknown }) => {
    const message = typeof entry.message === 'string' ? entry.message : 'A referenced object does not exist';
    return {
      message: `A referenced object was not found (${message})`,
      ...(Array.isArray(entry.path) ? { path: entry.path as Array<string | number> } : {}),
      extensions: {
        code: 'NOT_FOUND',
        displayMessage: 'Something this answer refers to was not found.',
        hint: 'An id in the request (or stored with the object) names nothing in your organization. Check the ids you passed.',
        rootCause: message,
        retryable: false,
        http: { status: 404 },
      },
    };
  });
};

/**
 * `formatError` runs without the request context, so it cannot know the correlation id. This plugin
 * stamps every error of the response with the request's correlation id (and the response header).
 */
export const correlationPlugin = <C extends { correlationId: string }>(): ApolloServerPlugin<C> => ({
  async requestDidStart() {
    return {
      async willSendResponse({ response, contextValue }) {
        response.http.headers.set('x-correlation-id', contextValue.correlationId);
        if (response.body.kind !== 'single') return;
        const result = response.body.singleResult;
        const completion = valueCompletionErrors(result.extensions);
        if (completion.length) {
          const { valueCompletion: _moved, ...extensions } = result.extensions ?? {};
          const { errors: existing, ...rest } = result;
          response.body.singleResult = { errors: [...(existing ?? []), ...completion], ...rest, ...(Object.keys(extensions).length ? { extensions } : { extensions: undefined }) };
        }
        const errors = response.body.singleResult.errors;
        if (!errors) return;
        response.body.singleResult.errors = errors.map((error) => ({ ...error, extensions: { ...error.extensions, correlationId: contextValue.correlationId } }));
      },
    };
  },
});

/**
 * Subscriptions are served over graphql-ws on the same path, never over HTTP: an HTTP request for a
 * subscription operation gets a 400 that says where to go, instead of reaching the query planner.
 */
export const subscriptionsOverWebSocketPlugin = <C extends object>(): ApolloServerPlugin<C> => ({
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation !== 'subscription') return;
        // A GraphQLError with its HTTP status: Apollo answers other errors thrown here with a 500.
        throw new GraphQLError('Subscriptions are not served over HTTP', {
          extensions: {
            code: 'BAD_REQUEST',
            hint: 'Open a WebSocket to this same /graphql URL with the graphql-ws protocol (graphql-transport-ws), send connection_init with { authorization: "Bearer <token>" }, then subscribe.',
            http: { status: 400 },
          },
        });
      },
    };
  },
});
