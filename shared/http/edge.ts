/**
 * The middlewares every API function puts in front of its handler, in middy's order: header names
 * lower-cased, our security headers, CORS for allowed origins only, and errors answered as responses.
 */
import type { MiddlewareObj } from '@middy/core';
import httpCors from '@middy/http-cors';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorsAsResponses } from './error-handler.ts';

type HttpMiddleware = MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>;

export function httpEdge(options: {
  readonly allowedOrigins: readonly string[];
  /** API clients rather than browsers: errors are always JSON, whatever the request accepts. */
  readonly jsonOnly?: boolean;
}): HttpMiddleware[] {
  const allowed = new Set(options.allowedOrigins);
  return [
    httpHeaderNormalizer(),
    httpSecurityHeaders(SECURITY_HEADERS),
    // Before http-cors in this list, so its after step runs once CORS has decided.
    varyByAllowedOrigin,
    httpCors({
      // An exact match, so only the configured origins (as written) are ever echoed back.
      getOrigin: (origin: string | undefined) =>
        origin !== undefined && allowed.has(origin) ? origin : null,
    }),
    // It sends the response our own onError below rendered; we log what is ours to log.
    httpErrorHandler({ logger: false }),
    errorsAsResponses({ jsonOnly: options.jsonOnly ?? false }),
  ];
}

/**
 * Only the headers our answers have always carried. Pages bring their own Content-Security-Policy (it
 * allows their inline stylesheet by hash); the rest of helmet's set concerns documents we do not serve.
 */
const SECURITY_HEADERS = {
  contentTypeOptions: { action: 'nosniff' },
  // Our URLs carry signed tokens: never let them leak to another site.
  referrerPolicy: { policy: 'no-referrer' },
  contentSecurityPolicy: false,
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: false,
  dnsPrefetchControl: false,
  downloadOptions: false,
  frameOptions: false,
  originAgentCluster: false,
  permissionsPolicy: false,
  permittedCrossDomainPolicies: false,
  poweredBy: false,
  reportingEndpoints: false,
  reportTo: false,
  strictTransportSecurity: false,
  xssProtection: false,
} as const;

/**
 * http-cors with a getOrigin of our own adds no `Vary: Origin`, and with a list of origins it adds one to
 * every answer; ours vary exactly when an origin was allowed, as they always have.
 */
const varyByAllowedOrigin: HttpMiddleware = {
  after: (request) => addVary(request.response),
  onError: (request) => addVary(request.response),
};

function addVary(response: APIGatewayProxyResult | null | undefined): void {
  if (!response?.headers?.['Access-Control-Allow-Origin']) return;
  response.headers = { ...response.headers, Vary: 'Origin' };
}
