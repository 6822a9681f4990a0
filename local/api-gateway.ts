/**
 * What API Gateway (REST API, Lambda proxy integration) does around a function: the request becomes an
 * `APIGatewayProxyEvent`, the function's `APIGatewayProxyResult` becomes the response. Pure functions, so
 * the local server stays a thin shell around them.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { BINARY_MEDIA_TYPES, type FunctionSpec } from '../infra/routes.ts';

export const LOCAL_STAGE = 'local';

/** A request as the Node server received it. */
export interface RawRequest {
  readonly method: string;
  /** The request target: path and query string, as sent. */
  readonly url: string;
  /** Node's flat `[name, value, name, value, ...]` list, with the client's casing and every repeat. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
}

export interface EventTarget {
  /** The matched route's path template, e.g. `/contacts/{id}`. */
  readonly resource: string;
  readonly pathParameters: Readonly<Record<string, string>> | null;
  readonly requestId: string;
  readonly receivedAt: Date;
  /** What the staff authorizer returned; absent on public routes. */
  readonly authorizer?: APIGatewayProxyEvent['requestContext']['authorizer'];
}

/** A response ready to write: every header value listed, body decoded. */
export interface RawResponse {
  readonly statusCode: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
}

export function toProxyEvent(request: RawRequest, target: EventTarget): APIGatewayProxyEvent {
  const { pathname, search } = splitTarget(request.url);
  const { headers, multiValueHeaders } = groupHeaders(request.rawHeaders);
  const query = parseQueryString(search);
  const contentType = headerValue(headers, 'content-type');
  const binary = contentType !== undefined && isBinaryMediaType(contentType);
  const userAgent = headerValue(headers, 'user-agent') ?? null;
  return {
    resource: target.resource,
    path: pathname,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: query?.single ?? null,
    multiValueQueryStringParameters: query?.multi ?? null,
    pathParameters: target.pathParameters ? { ...target.pathParameters } : null,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: target.authorizer,
      domainName: headerValue(headers, 'host') ?? 'localhost',
      extendedRequestId: target.requestId,
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent,
        userArn: null,
      },
      path: pathname,
      protocol: 'HTTP/1.1',
      requestId: target.requestId,
      requestTime: formatRequestTime(target.receivedAt),
      requestTimeEpoch: target.receivedAt.getTime(),
      resourceId: 'local',
      resourcePath: target.resource,
      stage: LOCAL_STAGE,
    },
    // API Gateway passes `null`, not an empty string, when there is no body.
    body: request.body.length === 0 ? null : request.body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary && request.body.length > 0,
  };
}

/** A result API Gateway would refuse (it answers 502 to the caller). */
export class InvalidProxyResultError extends Error {
  override name = 'InvalidProxyResultError';
}

export function fromProxyResult(result: unknown): RawResponse {
  if (!isRecord(result)) throw new InvalidProxyResultError('the result is not an object');
  const { statusCode, body, isBase64Encoded } = result;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599)
    throw new InvalidProxyResultError('statusCode is not an HTTP status');
  if (body !== undefined && body !== null && typeof body !== 'string')
    throw new InvalidProxyResultError('body is not a string');
  const merged = new Map<string, { name: string; values: string[] }>();
  const add = (name: string, value: unknown, replace: boolean) => {
    if (!['string', 'number', 'boolean'].includes(typeof value))
      throw new InvalidProxyResultError(`header ${name} has a value that is not a string, number or boolean`);
    const key = name.toLowerCase();
    const entry = merged.get(key);
    if (entry && !replace) entry.values.push(String(value));
    else merged.set(key, { name, values: [String(value)] });
  };
  for (const [name, value] of Object.entries(recordOrEmpty(result.headers, 'headers')))
    add(name, value, true);
  // Like API Gateway: a name in both maps is sent with the multi-value list only.
  const multi = recordOrEmpty(result.multiValueHeaders, 'multiValueHeaders');
  for (const [name, values] of Object.entries(multi)) {
    if (!Array.isArray(values))
      throw new InvalidProxyResultError(`multiValueHeaders.${name} is not an array`);
    values.forEach((value, index) => {
      add(name, value, index === 0);
    });
  }
  if (!merged.has('content-type'))
    merged.set('content-type', { name: 'Content-Type', values: ['application/json'] });
  const text = typeof body === 'string' ? body : '';
  return {
    statusCode,
    headers: [...merged.values()].flatMap(({ name, values }) => values.map((v) => [name, v] as const)),
    body: Buffer.from(text, isBase64Encoded === true ? 'base64' : 'utf8'),
  };
}

/** The context Lambda gives a function, as far as a handler may look at it. */
export function createLambdaContext(
  functionName: string,
  spec: FunctionSpec,
  requestId: string,
  startedAt: number,
): Context {
  const deadline = startedAt + spec.timeoutSeconds * 1000;
  const unsupported = () => {
    throw new Error('Callback-style completion is not supported: return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-2:000000000000:function:${functionName}`,
    memoryLimitInMB: String(spec.memorySize),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** Whether API Gateway would base64-encode a request body of this type (`binaryMediaTypes`). */
export function isBinaryMediaType(contentType: string): boolean {
  const mediaType = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  const [type] = mediaType.split('/', 1);
  const binaryTypes: readonly string[] = BINARY_MEDIA_TYPES;
  return binaryTypes.some((binary) => binary === mediaType || binary === '*/*' || binary === `${type}/*`);
}

/**
 * Query string as API Gateway passes it: names and values percent-decoded, `+` left as it is, the last
 * value of a repeated name in the single-value map. `undefined` when there are no parameters.
 */
export function parseQueryString(
  search: string,
): { single: Record<string, string>; multi: Record<string, string[]> } | undefined {
  const query = search.startsWith('?') ? search.slice(1) : search;
  if (query === '') return undefined;
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = decode(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? '' : decode(pair.slice(equals + 1));
    single[name] = value;
    multi[name] = [...(multi[name] ?? []), value];
  }
  return Object.keys(single).length === 0 ? undefined : { single, multi };
}

function groupHeaders(rawHeaders: readonly string[]) {
  // Header names are case-insensitive: repeats in any casing are one header, named as first sent.
  const byKey = new Map<string, { name: string; values: string[] }>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const key = name.toLowerCase();
    const entry = byKey.get(key) ?? { name, values: [] };
    entry.values.push(rawHeaders[i + 1] as string);
    byKey.set(key, entry);
  }
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const { name, values } of byKey.values()) {
    headers[name] = values.at(-1) as string;
    multiValueHeaders[name] = values;
  }
  return { headers, multiValueHeaders };
}

function headerValue(headers: Record<string, string>, lowerCaseName: string): string | undefined {
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() === lowerCaseName) return value;
  return undefined;
}

function splitTarget(url: string): { pathname: string; search: string } {
  const question = url.indexOf('?');
  return question === -1
    ? { pathname: url, search: '' }
    : { pathname: url.slice(0, question), search: url.slice(question) };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestTime`, e.g. `09/Apr/2015:12:34:56 +0000`. */
function formatRequestTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function recordOrEmpty(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new InvalidProxyResultError(`${field} is not an object`);
  return value;
}
