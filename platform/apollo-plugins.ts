import type { ApolloServerPlugin } from '@apollo/server';

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
