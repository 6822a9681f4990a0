/**
 * Routing by API Gateway resource and method, with @middy/http-router. The router matches `path`, but a
 * REST API's `path` gains a custom domain's base path; its `resource` is the template API Gateway itself
 * matched (`/contacts/{id}`), so that is what the router is given to match.
 */
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { NotFoundError } from '../domain/errors.ts';

type Method = 'GET' | 'HEAD' | 'POST';

export interface ResourceRoute<TEvent extends APIGatewayProxyEvent> {
  readonly method: Method;
  readonly resource: string;
  readonly handler: (event: TEvent, context: Context) => Promise<APIGatewayProxyResult>;
}

/** What the router sees: the method and resource to match, and the request to hand the matching route. */
interface RoutingKey<TEvent> {
  readonly httpMethod: string;
  readonly path: string;
  readonly request: TEvent;
}

export function routeByResource<TEvent extends APIGatewayProxyEvent>(
  routes: readonly ResourceRoute<TEvent>[],
): (event: TEvent, context: Context) => Promise<APIGatewayProxyResult> {
  const router = httpRouterHandler({
    routes: routes.map((route) => ({
      method: route.method,
      path: route.resource,
      handler: (key: RoutingKey<TEvent>, context: Context) => route.handler(key.request, context),
    })),
    // Our own 404, so it is answered like every other: `{"error":"not_found"}` or the HTML page.
    notFoundResponse: () => {
      throw new NotFoundError();
    },
  } as unknown as Parameters<typeof httpRouterHandler>[0]);
  return async (event, context) =>
    (await router(
      { httpMethod: event.httpMethod, path: event.resource, request: event } as never,
      context,
    )) as APIGatewayProxyResult;
}

/** The same handler for GET and HEAD: API Gateway drops a HEAD answer's body itself. */
export function getOrHead<TEvent extends APIGatewayProxyEvent>(
  resource: string,
  handler: ResourceRoute<TEvent>['handler'],
): ResourceRoute<TEvent>[] {
  return [
    { method: 'GET', resource, handler },
    { method: 'HEAD', resource, handler },
  ];
}
