/**
 * The local stand-in for API Gateway: routes every request in `ROUTES` to the same handler the stack
 * deploys, as a REST proxy event, and serves the local services' own routes beside them.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import {
  CORS_ALLOW_HEADERS,
  CORS_MAX_AGE_SECONDS,
  type FunctionName,
  type FunctionSpec,
  type RouteSpec,
  STAFF_CORS_ALLOW_HEADERS,
} from '../infra/routes.ts';
import { describeError, log } from '../shared/log.ts';
import {
  createLambdaContext,
  fromProxyResult,
  type RawRequest,
  type RawResponse,
  toProxyEvent,
} from './api-gateway.ts';
import { findRoute, matchPath, methodsForPath } from './routing.ts';
import type { LocalResponse, LocalRoute, LocalService } from './services.ts';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<unknown>;

export interface LoadedFunction {
  readonly spec: FunctionSpec;
  readonly handler: ProxyHandler;
}

export interface LocalServerOptions {
  readonly routes: readonly RouteSpec[];
  readonly functions: Readonly<Partial<Record<FunctionName, LoadedFunction>>>;
  readonly services: readonly LocalService[];
  /** Origins the deployed API's CORS preflight allows (config `allowedOrigins`). */
  readonly allowedOrigins: readonly string[];
  /** Protects the local server itself; the handlers enforce the product's own, smaller limits. */
  readonly maxBodyBytes?: number;
}

export const MAX_LOCAL_BODY_BYTES = 1024 * 1024;

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export function createRequestListener(options: LocalServerOptions): RequestListener {
  const localRoutes = options.services.flatMap((service) => service.routes ?? []);
  checkNoOverlap(options.routes, localRoutes);
  const authorizer = options.services.find((service) => service.authorizeStaff)?.authorizeStaff;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_LOCAL_BODY_BYTES;

  async function respond(request: IncomingMessage, body: Buffer): Promise<RawResponse & { route: string }> {
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    if (!url.startsWith('/')) return { route: '-', ...json(400, { message: 'Bad Request' }) };
    const pathname = url.split('?', 1)[0] ?? '/';

    if (method === 'OPTIONS') {
      const methods = methodsForPath(options.routes, pathname);
      if (methods.length === 0) return { route: '-', ...json(404, { message: 'Not Found' }) };
      const staff = options.routes.some(
        (route) => route.access === 'staff' && matchPath(route.path, pathname) !== undefined,
      );
      const allowHeaders = staff ? STAFF_CORS_ALLOW_HEADERS : CORS_ALLOW_HEADERS;
      return {
        route: 'preflight',
        ...preflight(request.headers.origin, methods, allowHeaders, options.allowedOrigins),
      };
    }

    const api = findRoute(options.routes, method, pathname);
    if (api) {
      const loaded = options.functions[api.route.function];
      if (!loaded) throw new Error(`No handler loaded for function ${api.route.function}`);
      const raw: RawRequest = {
        method,
        url,
        rawHeaders: request.rawHeaders,
        body,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      };
      return { route: api.route.path, ...(await invoke(api.route, raw, api.pathParameters, loaded)) };
    }

    const local = findRoute(localRoutes, method, pathname);
    if (local) {
      const response = await local.route.handle({
        method,
        pathname,
        query: new URLSearchParams(url.slice(pathname.length)),
        pathParameters: local.pathParameters,
        headers: request.headers,
        body,
      });
      return { route: local.route.path, ...fromLocalResponse(response) };
    }
    return { route: '-', ...json(404, { message: 'Not Found' }) };
  }

  async function invoke(
    route: RouteSpec,
    raw: RawRequest,
    pathParameters: Record<string, string> | null,
    loaded: LoadedFunction,
  ): Promise<RawResponse> {
    const requestId = randomUUID();
    const startedAt = Date.now();
    const event = toProxyEvent(raw, {
      resource: route.path,
      pathParameters,
      requestId,
      receivedAt: new Date(startedAt),
    });
    if (route.access === 'staff') {
      // Fail closed, as a Cognito authorizer does: no authorizer running means no staff access.
      const claims = authorizer ? await authorizer(event) : undefined;
      if (claims === undefined) {
        return withRequestId(refusedByAuthorizer(event, options.allowedOrigins), requestId);
      }
      event.requestContext.authorizer = claims;
    }
    const functionName = `consent-desk-${route.function}`;
    const context = createLambdaContext(functionName, loaded.spec, requestId, startedAt);
    try {
      const result = await withTimeout(loaded.handler(event, context), loaded.spec.timeoutSeconds * 1000);
      return withRequestId(fromProxyResult(result), requestId);
    } catch (error) {
      log.error('local.function_failed', { function: route.function, requestId, ...describeError(error) });
      // API Gateway's own answer when the integration fails; nothing about the cause reaches the caller.
      return withRequestId(json(502, { message: 'Internal server error' }), requestId);
    }
  }

  return (request, response) => {
    const startedAt = Date.now();
    readBody(request, maxBodyBytes)
      .then((body) =>
        body === 'too large'
          ? { route: '-', ...json(413, { message: 'Request Entity Too Large' }) }
          : respond(request, body),
      )
      .catch((error: unknown) => {
        log.error('local.request_failed', describeError(error));
        return { route: '-', ...json(500, { message: 'Internal server error' }) };
      })
      .then((result) => {
        write(response, result);
        log.info('local.request', {
          method: request.method,
          route: result.route,
          status: result.statusCode,
          ms: Date.now() - startedAt,
        });
      });
  };
}

/**
 * API Gateway's UNAUTHORIZED gateway response as the stack configures it: CORS headers for the caller's
 * origin, so a browser-based staff tool can see the 401 and sign in again.
 */
function refusedByAuthorizer(event: APIGatewayProxyEvent, allowedOrigins: readonly string[]): RawResponse {
  const response = json(401, { message: 'Unauthorized' });
  const origin = Object.entries(event.headers).find(([name]) => name.toLowerCase() === 'origin')?.[1];
  if (allowedOrigins.length === 0 || !origin) return response;
  return {
    ...response,
    headers: [...response.headers, ['Access-Control-Allow-Origin', origin], ['Vary', 'Origin']],
  };
}

function preflight(
  origin: string | undefined,
  methods: string[],
  allowHeaders: readonly string[],
  allowedOrigins: readonly string[],
): RawResponse {
  const headers: [string, string][] = [['Vary', 'Origin']];
  // An origin outside the list gets no CORS headers, so the browser refuses the call.
  if (origin && allowedOrigins.includes(origin)) {
    headers.push(
      ['Access-Control-Allow-Origin', origin],
      ['Access-Control-Allow-Methods', [...methods, 'OPTIONS'].join(',')],
      ['Access-Control-Allow-Headers', allowHeaders.join(',')],
      ['Access-Control-Max-Age', String(CORS_MAX_AGE_SECONDS)],
    );
  }
  return { statusCode: 204, headers, body: Buffer.alloc(0) };
}

/** Reads the whole body, or reports it too large without keeping more than the limit in memory. */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    let tooLarge = declared > limit;
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      // The rest is read and dropped, so the client can still read the 413.
      if (!tooLarge) chunks.push(chunk);
    });
    request.once('end', () => resolve(tooLarge ? 'too large' : Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

function write(response: ServerResponse, result: RawResponse): void {
  for (const [name, value] of result.headers) response.appendHeader(name, value);
  response.setHeader('Content-Length', result.body.length);
  response.writeHead(result.statusCode);
  response.end(result.body);
}

function json(statusCode: number, body: unknown): RawResponse {
  return {
    statusCode,
    headers: [['Content-Type', 'application/json']],
    body: Buffer.from(JSON.stringify(body)),
  };
}

function withRequestId(response: RawResponse, requestId: string): RawResponse {
  return { ...response, headers: [...response.headers, ['x-amzn-RequestId', requestId]] };
}

function fromLocalResponse(response: LocalResponse): RawResponse {
  const body = response.body ?? '';
  return {
    statusCode: response.statusCode,
    headers: Object.entries(response.headers ?? {}),
    body: typeof body === 'string' ? Buffer.from(body) : body,
  };
}

/** Lambda stops a function at its timeout; API Gateway then answers 502. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Function timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function checkNoOverlap(apiRoutes: readonly RouteSpec[], localRoutes: readonly LocalRoute[]): void {
  for (const local of localRoutes) {
    if (apiRoutes.some((api) => api.method === local.method && api.path === local.path))
      throw new Error(`Local route ${local.method} ${local.path} clashes with an API route`);
  }
}

/** Listens on 127.0.0.1 only; rejects with a readable error when the port is taken. */
export function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `Port ${port} is already in use (another npm start?). Stop it, or choose another with PORT.`,
            )
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
}
