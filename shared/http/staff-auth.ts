/**
 * Who is calling a staff route, from the claims API Gateway's Cognito authorizer put on the event. The
 * authorizer has already checked the token; this is the function's own check behind it, so a route
 * deployed or invoked without the authorizer still admits nobody.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ForbiddenError, UnauthorizedError } from '../domain/errors.ts';
import { parseGroupsClaim, type StaffGroup, type StaffIdentity } from '../domain/staff-access.ts';

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
