/**
 * The one place that loads `@mailchimp/mailchimp_marketing` (and superagent with it). Only functions that
 * talk to MailChimp may import this folder: the enquiry and links functions must not, and an infra test
 * checks their bundles contain neither library.
 *
 * The official client is a module singleton: configuration (key, server, base path, timeout) is global to
 * the process. We deploy one MailChimp account per stack, so one process talks to one account. A connection
 * configures the client when it is created and reapplies its settings only if another connection in the same
 * process (tests, local mode) has changed them since: each call reads the configuration synchronously while
 * it builds its request, so a call can never go out with another connection's key.
 */
// Before the client: contains its two deprecation warnings (see the file).
import './client-deprecations.ts';
import mailchimp from '@mailchimp/mailchimp_marketing';

/** Settings the client has at runtime but its type definitions omit. */
interface ClientSettings {
  basePath: string;
  timeout: number;
}

const client = mailchimp as typeof mailchimp & ClientSettings;
const MAILCHIMP_BASE_PATH = client.basePath;
// The client builds the host by replacing the first "server" in the URL with the configured server.
const SERVER_PLACEHOLDER = 'server';
const SERVER_SHAPE = /^[a-z]{2,4}\d{1,3}$/;

export interface MailchimpConnectionOptions {
  readonly apiKey: string;
  /** The data centre, e.g. `us21` (the part of the key after the dash). Ignored when `basePath` is set. */
  readonly server: string;
  /** Another base URL, e.g. `http://127.0.0.1:4010/3.0` for a local emulator. */
  readonly basePath?: string | undefined;
  readonly timeoutMs: number;
}

/** The raw calls we use, returning MailChimp's JSON as `unknown` for the caller to read. */
export interface MailchimpApi {
  setListMember(listId: string, hash: string, body: object): Promise<unknown>;
  updateListMember(listId: string, hash: string, body: object): Promise<unknown>;
  updateListMemberTags(listId: string, hash: string, body: object): Promise<unknown>;
  deleteListMember(listId: string, hash: string): Promise<unknown>;
  deleteListMemberPermanent(listId: string, hash: string): Promise<unknown>;
  getListMember(listId: string, hash: string, opts: { fields: string[] }): Promise<unknown>;
  getListMembersInfo(listId: string, opts: ListMembersQuery): Promise<unknown>;
  getListWebhooks(listId: string): Promise<unknown>;
  createListWebhook(listId: string, body: object): Promise<unknown>;
  deleteListWebhook(listId: string, webhookId: string): Promise<unknown>;
  getListMergeFields(listId: string, opts: { count: number; fields: string[] }): Promise<unknown>;
  addListMergeField(listId: string, body: object): Promise<unknown>;
  ping(): Promise<unknown>;
}

/** Query options of GET /lists/{id}/members, in the client's camelCase. */
export interface ListMembersQuery {
  readonly sinceLastChanged: string;
  readonly status?: string;
  readonly count: number;
  readonly offset: number;
  readonly sortField: 'last_changed';
  readonly sortDir: 'ASC' | 'DESC';
  readonly fields: string[];
}

interface AppliedSettings {
  readonly config: { apiKey: string; server: string };
  readonly basePath: string;
  readonly timeoutMs: number;
}

let active: AppliedSettings | undefined;

export function connectMailchimp(options: MailchimpConnectionOptions): MailchimpApi {
  if (options.apiKey.trim() === '') throw new Error('The MailChimp API key is empty');
  if (options.basePath === undefined && !SERVER_SHAPE.test(options.server)) {
    throw new Error('The MailChimp server must be a data centre such as us21');
  }
  if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new Error('The MailChimp timeout must be a positive whole number of milliseconds');
  }
  const settings: AppliedSettings = {
    config: {
      apiKey: options.apiKey,
      // With a base path of our own there is no placeholder to fill; replacing "server" with itself keeps
      // the client from rewriting some other part of the URL.
      server: options.basePath === undefined ? options.server : SERVER_PLACEHOLDER,
    },
    basePath: (options.basePath ?? MAILCHIMP_BASE_PATH).replace(/\/+$/, ''),
    timeoutMs: options.timeoutMs,
  };
  const apply = () => {
    if (active === settings) return;
    client.setConfig(settings.config);
    client.basePath = settings.basePath;
    client.timeout = settings.timeoutMs;
    active = settings;
  };
  apply();
  const call = <T>(request: () => Promise<T>): Promise<T> => {
    apply();
    return request();
  };

  // The type definitions are incomplete (tags, query options); the bodies follow MailChimp's API reference.
  const lists = client.lists as unknown as {
    setListMember(listId: string, hash: string, body: object): Promise<unknown>;
    updateListMember(listId: string, hash: string, body: object): Promise<unknown>;
    updateListMemberTags(listId: string, hash: string, body: object): Promise<unknown>;
    deleteListMember(listId: string, hash: string): Promise<unknown>;
    deleteListMemberPermanent(listId: string, hash: string): Promise<unknown>;
    getListMember(listId: string, hash: string, opts: object): Promise<unknown>;
    getListMembersInfo(listId: string, opts: object): Promise<unknown>;
    getListWebhooks(listId: string): Promise<unknown>;
    createListWebhook(listId: string, body: object): Promise<unknown>;
    deleteListWebhook(listId: string, webhookId: string): Promise<unknown>;
    getListMergeFields(listId: string, opts: object): Promise<unknown>;
    addListMergeField(listId: string, body: object): Promise<unknown>;
  };
  return {
    setListMember: (listId, hash, body) => call(() => lists.setListMember(listId, hash, body)),
    updateListMember: (listId, hash, body) => call(() => lists.updateListMember(listId, hash, body)),
    updateListMemberTags: (listId, hash, body) => call(() => lists.updateListMemberTags(listId, hash, body)),
    deleteListMember: (listId, hash) => call(() => lists.deleteListMember(listId, hash)),
    deleteListMemberPermanent: (listId, hash) => call(() => lists.deleteListMemberPermanent(listId, hash)),
    getListMember: (listId, hash, opts) => call(() => lists.getListMember(listId, hash, opts)),
    getListMembersInfo: (listId, opts) => call(() => lists.getListMembersInfo(listId, opts)),
    getListWebhooks: (listId) => call(() => lists.getListWebhooks(listId)),
    createListWebhook: (listId, body) => call(() => lists.createListWebhook(listId, body)),
    deleteListWebhook: (listId, webhookId) => call(() => lists.deleteListWebhook(listId, webhookId)),
    getListMergeFields: (listId, opts) => call(() => lists.getListMergeFields(listId, opts)),
    addListMergeField: (listId, body) => call(() => lists.addListMergeField(listId, body)),
    ping: () => call(() => client.ping.get()),
  };
}
