/**
 * The MailChimp emulator's errors: API errors answered as MailChimp's problem documents, and the
 * refusals of the `/__local/mailchimp/*` helpers.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { LocalResponse } from '../services.ts';

const PROBLEM_TYPE = 'https://mailchimp.com/developer/marketing/docs/errors/';

/** A helper refused: no such member, or the member cannot take that action. */
export class MailchimpEmulatorError extends Error {
  override readonly name = 'MailchimpEmulatorError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** An API error, answered as MailChimp's problem document. */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: { field: string; message: string }[],
  ) {
    super(title);
  }
}

export const notFound = () =>
  new ProblemError(404, 'Resource Not Found', 'The requested resource could not be found.');

export const tooManyRequests = () =>
  new ProblemError(429, 'Too Many Requests', 'You have exceeded the limit of 10 simultaneous connections.');

export const invalidResource = (errors: { field: string; message: string }[]) =>
  new ProblemError(
    400,
    'Invalid Resource',
    "The resource submitted could not be validated. For field-specific details, see the 'errors' array.",
    errors,
  );

export const complianceState = (email: string) =>
  new ProblemError(
    400,
    'Member In Compliance State',
    `${email} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.`,
  );

export const forgottenEmail = (email: string) =>
  new ProblemError(
    400,
    'Forgotten Email Not Subscribed',
    `${email} was permanently deleted and cannot be re-imported. The contact must re-subscribe to get back on the list.`,
  );

export function problemResponse(problem: ProblemError): LocalResponse {
  return {
    statusCode: problem.status,
    headers: { 'Content-Type': 'application/problem+json; charset=utf-8' },
    body: JSON.stringify({
      type: PROBLEM_TYPE,
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      instance: randomUUID(),
      ...(problem.errors ? { errors: problem.errors } : {}),
    }),
  };
}

/** The body as `schema` reads it, or MailChimp's "Invalid Resource" with one error per issue. */
export function validate<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw invalidResource(
    parsed.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message })),
  );
}
