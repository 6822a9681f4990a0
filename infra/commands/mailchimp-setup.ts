/**
 * `npm run mailchimp:setup`: prepares the MailChimp audience for Consent Desk after a deploy. It checks the
 * API key, creates the merge field for each member's preferences link if it is missing, then registers our
 * webhook once: re-running finds both and changes nothing.
 *
 * The webhook URL carries the `urlKey` from the `MailchimpWebhookSecret` secret, because MailChimp does not
 * sign its deliveries and offers no signing to turn on. So neither the API key nor that key is ever printed.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  type AudienceSetup,
  type AudienceWebhook,
  createMailchimpAudience,
  isMailchimpError,
  type MergeField,
  type RetryPolicy,
  type WebhookSettings,
} from '../../shared/adapters/mailchimp/index.ts';
import { SOFT_OPT_IN_TAG, topicTag } from '../../shared/domain/mailchimp-member.ts';

export const USAGE = `Usage: npm run mailchimp:setup -- --webhook-url <url> [options]

Checks the MailChimp API key, creates the merge field that carries each member's preferences link
(mailchimp.preferencesMergeTag, default PREFSURL) if it is missing, then registers Consent Desk's webhook
on the audience (once: running it again changes nothing).

  --webhook-url <url>  <api url>/webhooks/mailchimp?key=<urlKey>, urlKey from the MailchimpWebhookSecret
                       secret (required; https, or http on a loopback address for the local emulator)
  --skip-webhook       instead of --webhook-url: check the key and the merge field only (local mode with
                       real MailChimp, whose webhooks cannot reach this machine)
  --api-key <key>      or MAILCHIMP_API_KEY (prefer the variable: arguments show up in the process list)
  --server <dc>        or MAILCHIMP_SERVER; default mailchimp.server from the config, else the key's suffix
  --list <id>          or MAILCHIMP_LIST_ID; default mailchimp.listId from the config
  --base-path <url>    another API base, e.g. http://127.0.0.1:3000/mailchimp/3.0 for the local emulator
  --replace            delete our webhooks with another key or other settings, after registering this one
  --dry-run            check and report; change nothing
  --help               show this text

The config is consent-desk.config.json, or the file CONSENT_DESK_CONFIG names.`;

const WEBHOOK_PATH = '/webhooks/mailchimp';

export const DEFAULT_PREFERENCES_MERGE_TAG = 'PREFSURL';

/** The merge field the sync fills with each member's signed preferences link. */
export function preferencesMergeField(tag: string): MergeField {
  // Not required, so members added in MailChimp's own forms need no value; hidden from those forms.
  return { tag, name: 'Preferences link', type: 'url', required: false, public: false };
}

/** Types that hold a link as it is; any other type would reject or mangle it. */
const LINK_FIELD_TYPES: ReadonlySet<string> = new Set(['url', 'text']);

/** What the webhook handler acts on; `campaign` is not. */
export const WEBHOOK_SETTINGS: Omit<WebhookSettings, 'url'> = {
  events: {
    subscribe: true,
    unsubscribe: true,
    profile: true,
    cleaned: true,
    upemail: true,
    campaign: false,
  },
  // Not `api`: our own sync calls the API, and hearing those changes back would only add noise.
  sources: { user: true, admin: true, api: false },
};

// MailChimp's validation GET to our API counts against this; a cold start can take seconds.
const SETUP_TIMEOUT_MS = 30_000;

export interface SetupOptions {
  readonly apiKey: string;
  readonly server: string;
  readonly listId: string;
  /** Undefined: leave webhooks alone (`--skip-webhook`). */
  readonly webhookUrl: string | undefined;
  readonly basePath?: string | undefined;
  readonly replace: boolean;
  readonly dryRun: boolean;
  /** Topic ids from the config, to name the tags the sync will use. */
  readonly topicIds?: readonly string[];
  /** `mailchimp.preferencesMergeTag` from the config; default PREFSURL. */
  readonly preferencesMergeTag?: string;
  readonly retry?: RetryPolicy;
  readonly timeoutMs?: number;
}

export interface SetupIo {
  readonly out: (line: string) => void;
}

export type SetupOutcome = 'unchanged' | 'registered' | 'replaced' | 'dry-run' | 'webhook-skipped';

/** A failure the person running the command can act on; the message is safe to print. */
export class SetupError extends Error {
  override readonly name = 'SetupError';
}

export async function runSetup(options: SetupOptions, io: SetupIo): Promise<SetupOutcome> {
  const wanted = options.webhookUrl === undefined ? undefined : webhookUrl(options.webhookUrl);
  const audience = createMailchimpAudience({
    apiKey: options.apiKey,
    server: options.server,
    listId: options.listId,
    basePath: options.basePath,
    timeoutMs: options.timeoutMs ?? SETUP_TIMEOUT_MS,
    ...(options.retry === undefined ? {} : { retry: options.retry }),
  });

  await step('check the API key', () => audience.ping());
  io.out('API key: accepted by MailChimp.');

  await ensureMergeField(audience, options.preferencesMergeTag ?? DEFAULT_PREFERENCES_MERGE_TAG, options, io);

  let outcome: SetupOutcome;
  if (wanted === undefined) {
    io.out('Webhook: not checked (--skip-webhook); reconciliation still applies MailChimp unsubscribes.');
    outcome = 'webhook-skipped';
  } else {
    outcome = await ensureWebhook(audience, wanted, options, io);
  }

  const tags = [...(options.topicIds ?? ['<id>']).map(topicTag), SOFT_OPT_IN_TAG].join(', ');
  io.out(`Groups: none needed. The sync uses tags (${tags}), which MailChimp creates on first use.`);
  return outcome;
}

/**
 * The merge field campaigns use to link to our preference centre (`*|PREFSURL|*`). Created when missing;
 * one of the same tag but another type is left alone and reported, as changing it could break campaigns.
 */
async function ensureMergeField(
  audience: AudienceSetup,
  tag: string,
  options: SetupOptions,
  io: SetupIo,
): Promise<void> {
  const wanted = preferencesMergeField(tag);
  const fields = await step(`read the merge fields of audience ${options.listId}`, () =>
    audience.listMergeFields(),
  );
  const existing = fields.find((field) => field.tag.toUpperCase() === tag);
  if (existing !== undefined) {
    if (!LINK_FIELD_TYPES.has(existing.type)) {
      throw new SetupError(
        `Merge field ${tag} exists as a ${existing.type} field; the preferences link needs a url or text ` +
          'field. Choose another tag with mailchimp.preferencesMergeTag in the config.',
      );
    }
    io.out(`Merge field ${tag}: present (${existing.type}); the sync fills it with each preferences link.`);
    return;
  }
  if (options.dryRun) {
    io.out(`Merge field ${tag}: would create it (url, not required, hidden from signup forms).`);
    return;
  }
  await step(`create merge field ${tag}`, () => audience.createMergeField(wanted));
  io.out(
    `Merge field ${tag}: created (url, not required, hidden from signup forms); campaigns can link to ` +
      `*|${tag}|*, each member's preference centre.`,
  );
}

async function ensureWebhook(
  audience: AudienceSetup,
  wanted: URL,
  options: SetupOptions,
  io: SetupIo,
): Promise<SetupOutcome> {
  const shown = maskedUrl(wanted);
  const webhooks = await step(`read the webhooks of audience ${options.listId}`, () =>
    audience.listWebhooks(),
  );
  const { current, outdated, others } = sortWebhooks(webhooks, wanted);
  if (others > 0) io.out(`Other webhooks on the audience: ${others}, left alone.`);
  for (const webhook of outdated) {
    io.out(
      `Outdated webhook ${webhook.id}: ${maskedUrl(new URL(webhook.url))} (${differences(webhook, wanted)}).`,
    );
  }

  let outcome: SetupOutcome;
  if (current !== undefined && outdated.length === 0) {
    io.out(`Webhook: already registered as ${current.id} for ${shown}.`);
    outcome = 'unchanged';
  } else if (outdated.length > 0 && !options.replace) {
    throw new SetupError(
      `${outdated.length} outdated webhook(s) for ${WEBHOOK_PATH} found; nothing changed. ` +
        'Run again with --replace to register the new URL and delete them.',
    );
  } else if (options.dryRun) {
    if (current === undefined) io.out(`Webhook: would register ${shown}.`);
    for (const webhook of outdated) io.out(`Webhook: would delete ${webhook.id}.`);
    outcome = 'dry-run';
  } else {
    // Register first, then delete: if MailChimp refuses the new URL, the old webhook still delivers.
    // A webhook with the same URL but other settings must go first, as MailChimp refuses a duplicate URL.
    const sameUrl = outdated.filter((webhook) => sameHref(webhook.url, wanted));
    for (const webhook of sameUrl) await remove(audience, webhook);
    if (current === undefined) {
      const created = await register(audience, wanted);
      io.out(`Webhook: registered ${created.id} for ${shown} (MailChimp's validation request was answered).`);
    }
    for (const webhook of outdated.filter((w) => !sameUrl.includes(w))) await remove(audience, webhook);
    for (const webhook of outdated) io.out(`Webhook: deleted ${webhook.id}.`);
    outcome = outdated.length > 0 ? 'replaced' : 'registered';
  }

  io.out(
    'Events: subscribe, unsubscribe, profile, cleaned, upemail; sources: user and admin, not api, ' +
      'so changes made by the sync are not sent back.',
  );
  io.out(
    'Signing: MailChimp does not sign webhooks and has no option for it; the key in the URL is the check.',
  );
  return outcome;
}

function webhookUrl(given: string): URL {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new SetupError(`--webhook-url is not a URL; expected <api url>${WEBHOOK_PATH}?key=<urlKey>`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new SetupError(
      'The webhook URL must be https (http only for a loopback address, the local emulator)',
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new SetupError('The webhook URL must not carry a user name or password');
  }
  if (!url.pathname.endsWith(WEBHOOK_PATH)) {
    throw new SetupError(
      `The webhook URL must end in ${WEBHOOK_PATH}, the route that receives MailChimp's events`,
    );
  }
  if ((url.searchParams.get('key') ?? '') === '') {
    throw new SetupError('The webhook URL must carry ?key=<urlKey> from the MailchimpWebhookSecret secret');
  }
  return url;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Every query value hidden: the key, and anything else a URL might hold. */
export function maskedUrl(url: URL): string {
  const masked = new URL(url.href);
  masked.username = '';
  masked.password = '';
  for (const name of new Set(masked.searchParams.keys())) masked.searchParams.set(name, '****');
  return masked.href;
}

function sameHref(given: string, wanted: URL): boolean {
  return parsedUrl(given)?.href === wanted.href;
}

function parsedUrl(given: string): URL | undefined {
  try {
    return new URL(given);
  } catch {
    return undefined;
  }
}

function hasWantedSettings(webhook: AudienceWebhook): boolean {
  const { events, sources } = WEBHOOK_SETTINGS;
  return (
    Object.entries(events).every(([event, on]) => webhook.events[event as keyof typeof events] === on) &&
    Object.entries(sources).every(([source, on]) => webhook.sources[source as keyof typeof sources] === on)
  );
}

/** Ours: same origin and path. Current: also the same URL and settings. The rest belongs to someone else. */
function sortWebhooks(webhooks: readonly AudienceWebhook[], wanted: URL) {
  let current: AudienceWebhook | undefined;
  const outdated: AudienceWebhook[] = [];
  let others = 0;
  for (const webhook of webhooks) {
    const url = parsedUrl(webhook.url);
    if (url === undefined || url.origin !== wanted.origin || url.pathname !== wanted.pathname) {
      others += 1;
    } else if (current === undefined && url.href === wanted.href && hasWantedSettings(webhook)) {
      current = webhook;
    } else {
      outdated.push(webhook);
    }
  }
  return { current, outdated, others };
}

function differences(webhook: AudienceWebhook, wanted: URL): string {
  if (!sameHref(webhook.url, wanted)) return 'another key';
  return hasWantedSettings(webhook) ? 'a duplicate' : 'other events or sources';
}

async function register(audience: AudienceSetup, wanted: URL): Promise<AudienceWebhook> {
  try {
    return await audience.createWebhook({ url: wanted.href, ...WEBHOOK_SETTINGS });
  } catch (error) {
    // A timed-out or retried creation may have been saved after all.
    const saved = await audience.listWebhooks().then(
      (webhooks) => webhooks.find((webhook) => sameHref(webhook.url, wanted)),
      () => undefined,
    );
    if (saved !== undefined) return saved;
    if (isMailchimpError(error, 'invalidRequest')) {
      throw new SetupError(
        `MailChimp refused the webhook URL (${error.message}). It saves a webhook only after a GET to the URL ` +
          'answers 2xx: check that the API is deployed and reachable from the internet.',
        { cause: error },
      );
    }
    throw failure('register the webhook', error);
  }
}

async function remove(audience: AudienceSetup, webhook: AudienceWebhook): Promise<void> {
  await step(`delete webhook ${webhook.id}`, () => audience.deleteWebhook(webhook.id));
}

async function step<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw failure(what, error);
  }
}

/** MailchimpError messages never quote the key or personal data, so they may be shown as they are. */
function failure(what: string, error: unknown): Error {
  if (!isMailchimpError(error)) return error instanceof Error ? error : new Error(String(error));
  const hint =
    error.code === 'unauthorized'
      ? ' Check the API key, and that the server is the data centre after the dash in the key.'
      : error.code === 'notFound'
        ? ' Check the list id (Audience > Settings > Audience name and defaults > Audience ID).'
        : error.code === 'network' || error.code === 'timeout'
          ? ' Check the server (or --base-path) and the network.'
          : '';
  return new SetupError(`Could not ${what}: ${error.message}.${hint}`, { cause: error });
}

// --- The command line ---

const configSchema = z.object({
  topics: z.array(z.object({ id: z.string() })).optional(),
  mailchimp: z
    .object({
      server: z.string().optional(),
      listId: z.string().optional(),
      preferencesMergeTag: z.string().optional(),
    })
    .optional(),
});

type ConfigDefaults = z.infer<typeof configSchema>;

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Only the parts this command needs; `cdk synth` validates the whole file. */
export function readConfigDefaults(env: NodeJS.ProcessEnv): ConfigDefaults {
  const chosen = env.CONSENT_DESK_CONFIG || 'consent-desk.config.json';
  const path = isAbsolute(chosen) ? chosen : resolve(REPO_ROOT, chosen);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SetupError(`${path} is not valid JSON`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) throw new SetupError(`${path}: the topics or mailchimp section is malformed`);
  return parsed.data;
}

function flags(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'webhook-url': { type: 'string' },
        'api-key': { type: 'string' },
        server: { type: 'string' },
        list: { type: 'string' },
        'base-path': { type: 'string' },
        'skip-webhook': { type: 'boolean', default: false },
        replace: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    throw new SetupError(`${(error as Error).message}\n\n${USAGE}`);
  }
}

/** Flags win over the environment, which wins over the config. Undefined for `--help`. */
export function parseSetupArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  config: ConfigDefaults,
): SetupOptions | undefined {
  const values = flags(argv);
  if (values.help) return undefined;

  const apiKey = values['api-key'] ?? env.MAILCHIMP_API_KEY ?? '';
  if (apiKey.trim() === '') throw new SetupError('Give the API key with MAILCHIMP_API_KEY or --api-key');
  const basePath = values['base-path'];
  const server =
    values.server ??
    env.MAILCHIMP_SERVER ??
    config.mailchimp?.server ??
    /-([a-z]{2,4}\d{1,3})$/.exec(apiKey)?.[1];
  if (server === undefined && basePath === undefined) {
    throw new SetupError(
      'Give the data centre (e.g. us21) with --server, MAILCHIMP_SERVER or mailchimp.server',
    );
  }
  const listId = values.list ?? env.MAILCHIMP_LIST_ID ?? config.mailchimp?.listId;
  if (listId === undefined || listId.trim() === '') {
    throw new SetupError(
      'Give the audience id with --list, MAILCHIMP_LIST_ID or mailchimp.listId in the config',
    );
  }
  const url = values['webhook-url'];
  if (url !== undefined && values['skip-webhook']) {
    throw new SetupError('Give either --webhook-url or --skip-webhook, not both');
  }
  if (url === undefined && !values['skip-webhook']) {
    throw new SetupError(`Give --webhook-url <api url>${WEBHOOK_PATH}?key=<urlKey>\n\n${USAGE}`);
  }
  const mergeTag = config.mailchimp?.preferencesMergeTag;
  return {
    apiKey,
    server: server ?? '',
    listId,
    webhookUrl: url,
    basePath,
    replace: values.replace,
    dryRun: values['dry-run'],
    ...(config.topics === undefined ? {} : { topicIds: config.topics.map((topic) => topic.id) }),
    ...(mergeTag === undefined ? {} : { preferencesMergeTag: mergeTag }),
  };
}

async function main(): Promise<void> {
  try {
    const options = parseSetupArgs(process.argv.slice(2), process.env, readConfigDefaults(process.env));
    if (options === undefined) {
      console.log(USAGE);
      return;
    }
    if (options.dryRun) console.log('Dry run: nothing will be changed.');
    await runSetup(options, { out: (line) => console.log(line) });
  } catch (error) {
    // Messages only, never causes: MailChimp errors keep their messages free of the key and personal data.
    console.error(error instanceof Error ? error.message : 'Setup failed');
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
