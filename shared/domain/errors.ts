/**
 * The errors the core raises: domain rules, use cases and adapters throw these and never an HTTP error.
 * `shared/http/errors.ts` (`asHttpError`) is the one place that turns them into statuses and bodies.
 * Messages are fixed text: they never carry an address, a name or any other submitted value.
 */
import type { FieldErrors } from './enquiry.ts';

/** The thing asked for does not exist, or the caller may not learn whether it does. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(options?: ErrorOptions) {
    super('Not found', options);
  }
}

/** The change collides with the current state of what it changes. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  constructor(options?: ErrorOptions) {
    super('The change conflicts with the current state', options);
  }
}

/** Input that breaks a rule, field by field. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  /** Field name -> reason. Never the submitted values. */
  readonly fields: FieldErrors;

  constructor(fields: FieldErrors, options?: ErrorOptions) {
    super('The input has invalid fields', options);
    this.fields = fields;
  }
}

/** No identity at all: nobody signed in. */
export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError';
  constructor(options?: ErrorOptions) {
    super('Sign in to use the staff API', options);
  }
}

/** A known caller whose role does not admit them to this. */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
  constructor(options?: ErrorOptions) {
    super('Your staff groups do not give access to this', options);
  }
}

/** The outside services the core cannot proceed without; each names the error code callers see. */
export type Dependency = 'verification';

/** A dependency we must not proceed without (e.g. bot verification) did not answer, or not in time. */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  readonly dependency: Dependency;

  constructor(dependency: Dependency, options?: ErrorOptions) {
    super(`The ${dependency} service is unavailable`, options);
    this.dependency = dependency;
  }
}
