/**
 * Who is calling a staff route, from the claims API Gateway's Cognito authorizer put on the event. The
 * authorizer has already checked the token; this is the function's own check behind it, so a route
 * deployed or invoked without the authorizer still admits nobody.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ForbiddenError, UnauthorizedError } from '../domain/errors.ts';
import { parseGroupsClaim, type StaffGroup, type StaffIdentity } from '../domain/staff-access.ts';
import { admittedGroups } from '../domain/staff-routes.ts';

/** Who asked, through which route and in which format: what the staff use cases audit. */
export interface StaffCall {
  readonly identity: StaffIdentity;
  readonly method: string;
  readonly route: string;
  readonly requestId: string | undefined;
  readonly format: 'json' | 'csv';
}

export interface StaffEvent extends APIGatewayProxyEvent {
  staff?: StaffCall;
}

/**
 * Admits only the groups the route names (shared/domain/staff-routes.ts), before any route runs: deny by
 * default, so an unknown route still answers 401/403. `format` says how this function answers the route.
 */
export function staffCaller(
  format: (event: APIGatewayProxyEvent) => 'json' | 'csv' = () => 'json',
): MiddlewareObj<StaffEvent, APIGatewayProxyResult> {
  return {
    before: ({ event }) => {
      const identity = requireStaff(event, admittedGroups(event.httpMethod, event.resource));
      event.staff = {
        identity,
        method: event.httpMethod,
        route: event.resource,
        requestId: event.requestContext?.requestId,
        format: format(event),
      };
    },
  };
}

/** Set by staffCaller before every route; a route reached without it admits nobody. */
export function callerOf(event: StaffEvent): StaffCall {
  if (!event.staff) throw new UnauthorizedError();
  return event.staff;
}

/**
 * The caller, if they belong to one of the `admitted` groups. Deny by default: no claims or no `sub`
 * throws UnauthorizedError (401); no admitted group, or none admitted at all, throws ForbiddenError (403).
 */
export function requireStaff(event: APIGatewayProxyEvent, admitted: readonly StaffGroup[]): StaffIdentity {
  const claims = claimsOf(event);
  const subject = claims?.sub;
  if (claims === undefined || typeof subject !== 'string' || subject === '') throw new UnauthorizedError();
  const username = claims['cognito:username'];
  const groups = parseGroupsClaim(claims['cognito:groups']);
  if (!groups.some((group) => admitted.includes(group))) throw new ForbiddenError();
  return { subject, username: typeof username === 'string' && username !== '' ? username : subject, groups };
}

function claimsOf(event: APIGatewayProxyEvent): Record<string, unknown> | undefined {
  const authorizer: unknown = event.requestContext?.authorizer;
  if (!isRecord(authorizer)) return undefined;
  const claims = authorizer.claims;
  return isRecord(claims) ? claims : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
