/**
 * The MailChimp emulator as a local service: the Marketing API under `/mailchimp/3.0` on the local server
 * (the official client works against it once its `basePath` points there), and the `/__local/mailchimp/*`
 * helpers that play the parts MailChimp's users play, plus `/__local/mailchimp/faults`.
 */
import { z } from 'zod';
import {
  jsonResponse,
  type LocalClock,
  type LocalRequest,
  type LocalResponse,
  type LocalRoute,
  type LocalService,
} from '../services.ts';
import { MailchimpEmulator, type MailchimpEmulatorOptions } from './emulator.ts';
import { MailchimpEmulatorError } from './problems.ts';

/** Where the API answers on the local server; the official client's `basePath` is the server URL plus this. */
export const MAILCHIMP_EMULATOR_PREFIX = '/mailchimp/3.0';

export function mailchimpEmulatorBasePath(localBaseUrl: string): string {
  return `${localBaseUrl.replace(/\/+$/, '')}${MAILCHIMP_EMULATOR_PREFIX}`;
}

export interface MailchimpEmulatorService extends LocalService {
  readonly emulator: MailchimpEmulator;
  /** The official client's `basePath` (the local server's URL plus `/mailchimp/3.0`), once started. */
  readonly apiBaseUrl: string;
}

/** The emulator as a local service: the API under `/mailchimp/3.0` and the `/__local/mailchimp/*` helpers. */
export function mailchimpEmulatorService(options: MailchimpEmulatorOptions): MailchimpEmulatorService {
  let clock: LocalClock | undefined;
  let apiBaseUrl: string | undefined;
  const emulator = new MailchimpEmulator({
    ...options,
    now: options.now ?? (() => clock?.now() ?? new Date()),
  });

  const api = (method: LocalRoute['method']): LocalRoute => ({
    method,
    path: `${MAILCHIMP_EMULATOR_PREFIX}/{path+}`,
    handle: (request) =>
      emulator.handleApi({
        method: request.method,
        path: request.pathname.slice(MAILCHIMP_EMULATOR_PREFIX.length),
        query: request.query,
        headers: request.headers,
        body: request.body,
      }),
  });

  const helper = <T>(schema: z.ZodType<T>, act: (input: T) => Promise<unknown> | unknown) => {
    return async (request: LocalRequest): Promise<LocalResponse> => {
      let json: unknown;
      try {
        json = JSON.parse(request.body.toString('utf8'));
      } catch {
        return jsonResponse(400, { message: 'The body must be JSON' });
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) return jsonResponse(400, { message: z.prettifyError(parsed.error) });
      try {
        return jsonResponse(200, await act(parsed.data));
      } catch (error) {
        if (error instanceof MailchimpEmulatorError)
          return jsonResponse(error.statusCode, { message: error.message });
        throw error;
      }
    };
  };

  const email = z.email();
  return {
    name: 'mailchimp-emulator',
    emulator,
    get apiBaseUrl() {
      if (apiBaseUrl === undefined) throw new Error('The MailChimp emulator has not been started');
      return apiBaseUrl;
    },
    routes: [
      api('GET'),
      api('POST'),
      api('PUT'),
      api('PATCH'),
      api('DELETE'),
      {
        method: 'GET',
        path: '/__local/mailchimp/members',
        handle: () => jsonResponse(200, emulator.listMembers()),
      },
      {
        method: 'POST',
        path: '/__local/mailchimp/unsubscribe',
        handle: helper(
          z.object({ email, reason: z.string().optional(), campaignId: z.string().optional() }),
          ({ email, ...options }) => emulator.unsubscribe(email, options),
        ),
      },
      {
        method: 'POST',
        path: '/__local/mailchimp/clean',
        handle: helper(
          z.object({
            email,
            reason: z.enum(['hard', 'abuse']).optional(),
            campaignId: z.string().optional(),
          }),
          ({ email, ...options }) => emulator.clean(email, options),
        ),
      },
      {
        method: 'POST',
        path: '/__local/mailchimp/profile',
        handle: helper(
          z.object({
            email,
            // Shorthands for the FNAME and LNAME merge fields every audience starts with.
            firstName: z.string().optional(),
            lastName: z.string().optional(),
            mergeFields: z.record(z.string(), z.unknown()).optional(),
            interests: z.record(z.string(), z.boolean()).optional(),
          }),
          ({ email, firstName, lastName, mergeFields, interests }) =>
            emulator.updateProfile(email, {
              mergeFields: {
                ...mergeFields,
                ...(firstName === undefined ? {} : { FNAME: firstName }),
                ...(lastName === undefined ? {} : { LNAME: lastName }),
              },
              interests,
            }),
        ),
      },
      ...['/__local/mailchimp/change-email', '/__local/mailchimp/upemail'].map(
        (path): LocalRoute => ({
          method: 'POST',
          path,
          handle: helper(z.object({ email, newEmail: email }), ({ email, newEmail }) =>
            emulator.changeEmail(email, newEmail),
          ),
        }),
      ),
      {
        method: 'POST',
        path: '/__local/mailchimp/faults',
        handle: helper(
          z.object({
            mode: z.enum(['503', '429', '403-bare', 'timeout', 'none']),
            count: z.number().int().min(1).max(1000).optional(),
          }),
          ({ mode, count }) => {
            emulator.injectFault(mode, count ?? 1);
            return { pending: emulator.pendingFault() ?? null };
          },
        ),
      },
    ],
    async start(context) {
      clock = context.clock;
      apiBaseUrl = mailchimpEmulatorBasePath(context.baseUrl);
    },
    async stop() {
      emulator.releaseHeldCalls();
    },
  };
}
