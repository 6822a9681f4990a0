/** The core's errors and their one mapping to HTTP statuses, codes and bodies. */
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  DependencyUnavailableError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  UnauthorizedError,
} from '../../shared/domain/errors.ts';
import { asHttpError, HttpError, InvalidRequestError } from '../../shared/http/errors.ts';

describe('core errors', () => {
  it('name themselves and keep their cause', () => {
    const cause = new Error('socket hang up');
    const error = new DependencyUnavailableError('verification', { cause });
    expect(error.name).toBe('DependencyUnavailableError');
    expect(error.cause).toBe(cause);
    expect(new InvalidInputError({ email: 'invalid' }).name).toBe('InvalidInputError');
  });
});

describe('asHttpError', () => {
  it.each([
    [new NotFoundError(), 404, 'not_found', true],
    [new UnauthorizedError(), 401, 'unauthorized', true],
    [new ForbiddenError(), 403, 'forbidden', true],
    [new ConflictError(), 409, 'conflict', true],
    [new DependencyUnavailableError('verification'), 503, 'verification_unavailable', true],
  ] as const)('maps %s', (error, statusCode, code, expose) => {
    const mapped = asHttpError(error);
    expect(mapped).toMatchObject({ statusCode, code, expose });
    expect(mapped?.cause).toBe(error);
  });

  it('keeps the field reasons of invalid input, and only those', () => {
    const mapped = asHttpError(new InvalidInputError({ email: 'invalid', topics: 'required' }));
    expect(mapped).toBeInstanceOf(InvalidRequestError);
    expect(mapped).toMatchObject({ statusCode: 400, code: 'invalid_request' });
    expect((mapped as InvalidRequestError).fields).toEqual({ email: 'invalid', topics: 'required' });
  });

  it('passes an HttpError through and leaves anything else unmapped', () => {
    const http = new HttpError(415, 'unsupported_media_type', 'No');
    expect(asHttpError(http)).toBe(http);
    for (const other of [new Error('boom'), 'text', undefined, null, { statusCode: 404 }])
      expect(asHttpError(other)).toBeUndefined();
  });
});
