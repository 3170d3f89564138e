import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';

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
