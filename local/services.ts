/**
 * The local runner's plug-in contract. Everything that stands in for an AWS or third-party service in
 * local mode (outbox, demo page, stream poller, TTL sweeper, MailChimp emulator, staff authorizer) is a
 * `LocalService`: the server core only starts them, serves their routes and stops them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { AppConfig } from '../shared/config/schema.ts';

export interface LocalClock {
  now(): Date;
}

export interface LocalServiceContext {
  readonly dynamoDb: { readonly endpoint: string; readonly tableName: string };
  readonly clock: LocalClock;
  readonly config: AppConfig;
  /** Where the local API answers, e.g. `http://127.0.0.1:3000`. */
  readonly baseUrl: string;
}

/** A plain HTTP request to a local-only route (not an API Gateway event: these are never deployed). */
export interface LocalRequest {
  readonly method: string;
  readonly pathname: string;
  readonly query: URLSearchParams;
  readonly pathParameters: Readonly<Record<string, string>> | null;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface LocalResponse {
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export interface LocalRoute {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  handle(request: LocalRequest): LocalResponse | Promise<LocalResponse>;
}

/** Claims for the event's `requestContext.authorizer`, or `undefined` to refuse (401, as API Gateway does). */
export type StaffAuthorizer = (
  event: APIGatewayProxyEvent,
) => Promise<APIGatewayProxyEvent['requestContext']['authorizer'] | undefined>;

export interface LocalService {
  readonly name: string;
  readonly routes?: readonly LocalRoute[];
  /** Guards the `staff` routes. Without a service providing one, staff routes answer 401. */
  readonly authorizeStaff?: StaffAuthorizer;
  start?(context: LocalServiceContext): Promise<void>;
  stop?(): Promise<void>;
}

export const jsonResponse = (statusCode: number, body: unknown): LocalResponse => ({
  statusCode,
  headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  body: JSON.stringify(body),
});
