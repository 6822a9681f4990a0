/**
 * The errors a request can end in. Each carries its HTTP status and whether its message may be shown
 * (middy's `statusCode`/`expose` convention); `asHttpError` is the one place an error thrown anywhere is
 * given its HTTP meaning, and `shared/http/error-handler.ts` turns that into a response.
 */
import type { FieldErrors } from '../domain/enquiry.ts';

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

  constructor(fields: FieldErrors) {
    super(400, 'invalid_request', 'The request has invalid fields');
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

/** No staff identity on the request. API Gateway's authorizer refuses these first; this is the backstop. */
export class UnauthorizedError extends HttpError {
  override readonly name = 'UnauthorizedError';
  constructor() {
    super(401, 'unauthorized', 'Sign in to use the staff API');
  }
}

/** A signed-in member of staff whose groups the route does not admit. */
export class ForbiddenError extends HttpError {
  override readonly name = 'ForbiddenError';
  constructor() {
    super(403, 'forbidden', 'Your staff groups do not give access to this');
  }
}

export class NotFoundError extends HttpError {
  override readonly name = 'NotFoundError';
  constructor() {
    super(404, 'not_found', 'Not found');
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

/** The HTTP meaning of an error thrown by a handler or use case; undefined for anything unexpected (a 500). */
export function asHttpError(error: unknown): HttpError | undefined {
  return error instanceof HttpError ? error : undefined;
}
