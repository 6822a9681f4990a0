/**
 * Which MailChimp local mode talks to: the emulator by default, or a real audience when the developer sets
 * `MAILCHIMP_API_KEY` and the config names the audience (`mailchimp.server`, `mailchimp.listId`). With real
 * MailChimp the emulator's local routes stay mounted but answer 404 saying why, so a script written for the
 * emulator fails clearly instead of silently doing nothing.
 */
import type { AppConfig } from '../shared/config/schema.ts';
import { MAILCHIMP_EMULATOR_PREFIX } from './mailchimp-emulator/index.ts';
import { jsonResponse, type LocalRoute, type LocalService } from './services.ts';

export type LocalMailchimp =
  | {
      readonly kind: 'emulator';
      /** Why a key that was set is not used, for the banner. */
      readonly note?: string;
    }
  | { readonly kind: 'real'; readonly apiKey: string; readonly server: string; readonly listId: string };

/** MailChimp keys end in their data centre: `<32 hex>-us21`. */
const KEY_DATA_CENTRE = /-([a-z]{2,4}\d{1,3})$/;

export function chooseLocalMailchimp(
  env: Readonly<Record<string, string | undefined>>,
  config: Pick<AppConfig, 'mailchimp'>,
): LocalMailchimp {
  const apiKey = env.MAILCHIMP_API_KEY?.trim() ?? '';
  if (apiKey === '') return { kind: 'emulator' };
  if (config.mailchimp === undefined) {
    return {
      kind: 'emulator',
      note: 'MAILCHIMP_API_KEY is set, but the config has no mailchimp section naming the audience',
    };
  }
  const { server, listId } = config.mailchimp;
  const keyServer = KEY_DATA_CENTRE.exec(apiKey)?.[1];
  // The key never appears in the message: only the data centres.
  if (keyServer !== undefined && keyServer !== server) {
    throw new Error(
      `MAILCHIMP_API_KEY belongs to data centre ${keyServer}, but mailchimp.server in the config is ${server}`,
    );
  }
  return { kind: 'real', apiKey, server, listId };
}

/** Stands in for the emulator while real MailChimp is in use: its routes answer 404 with the reason. */
export function mailchimpEmulatorOffService(): LocalService {
  const message =
    'Local mode is using real MailChimp (MAILCHIMP_API_KEY is set), so the MailChimp emulator and its ' +
    '/__local/mailchimp routes are off. Look at the audience in MailChimp itself, or unset ' +
    'MAILCHIMP_API_KEY and restart to use the emulator.';
  const off = (method: LocalRoute['method'], path: string): LocalRoute => ({
    method,
    path,
    handle: () => jsonResponse(404, { message }),
  });
  return {
    name: 'mailchimp-emulator-off',
    routes: (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).flatMap((method) => [
      off(method, '/__local/mailchimp/{path+}'),
      off(method, `${MAILCHIMP_EMULATOR_PREFIX}/{path+}`),
    ]),
  };
}
