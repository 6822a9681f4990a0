/**
 * The errors a request can end in, and `asHttpError`: the one place the core's errors
 * (`shared/domain/errors.ts`) get an HTTP status, a code and whether their message may be shown.
 * `shared/http/error-handler.ts` turns the result into a response.
 */
import type { FieldErrors } from '../domain/enquiry.ts';
import {
  ConflictError,
  DependencyUnavailableError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  UnauthorizedError,
} from '../domain/errors.ts';

export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  /** Machine-readable, stable, safe to show: the `error` of a JSON body. */
  readonly code: string;
  readonly statusCode: number;
  /** 4xx are the caller's to see; 5xx bodies stay generic. */
  readonly expose: boolean;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    options?: ErrorOptions & { expose?: boolean },
  ) {
    super(message, options);
    this.statusCode = statusCode;
    this.code = code;
    this.expose = options?.expose ?? statusCode < 500;
  }
}

export class InvalidRequestError extends HttpError {
  override readonly name = 'InvalidRequestError';
  /** Field name -> reason. Never the submitted values. */
  readonly fields: FieldErrors;

  constructor(fields: FieldErrors, options?: ErrorOptions) {
    super(400, 'invalid_request', 'The request has invalid fields', options);
    this.fields = fields;
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor() {
    super(
      415,
      'unsupported_media_type',
      'Send application/x-www-form-urlencoded, multipart/form-data or application/json',
    );
  }
}

export class PayloadTooLargeError extends HttpError {
  override readonly name = 'PayloadTooLargeError';
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', `The body is larger than ${limitBytes} bytes`);
  }
}

/** A dependency we must not proceed without (e.g. bot verification) did not answer in time. */
export class ServiceUnavailableError extends HttpError {
  override readonly name = 'ServiceUnavailableError';
  constructor(code: string, options?: ErrorOptions) {
    // Its code and message are fixed and safe to show: the caller should know to try again.
    super(503, code, 'Service temporarily unavailable, please try again', { ...options, expose: true });
  }
}

/**
 * The HTTP form of `error`: an HttpError as it is, a core error with its status and code, and undefined
 * for anything else (a bug or an outage), which the caller answers with a generic 500.
 */
export function asHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  const options = { cause: error };
  if (error instanceof InvalidInputError) return new InvalidRequestError(error.fields, options);
  if (error instanceof NotFoundError) return new HttpError(404, 'not_found', 'Not found', options);
  if (error instanceof UnauthorizedError)
    return new HttpError(401, 'unauthorized', 'Sign in to use the staff API', options);
  if (error instanceof ForbiddenError)
    return new HttpError(403, 'forbidden', 'Your staff groups do not give access to this', options);
  if (error instanceof ConflictError)
    return new HttpError(409, 'conflict', 'The change conflicts with the current state', options);
  if (error instanceof DependencyUnavailableError)
    return new ServiceUnavailableError(`${error.dependency}_unavailable`, options);
  return undefined;
}
