/**
 * The emulated audience's webhooks, delivered MailChimp's way: registered only once their URL answers a
 * validation GET, then one form-encoded POST per matching URL, with MailChimp's `data[...]` fields.
 *
 * MailChimp does not sign its webhooks (it recommends a secret in the webhook URL). The optional
 * `X-Mailchimp-Signature` header (`webhookSigningSecret`) is this emulator's own addition.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { WebhookType } from '../../shared/domain/mailchimp-webhook.ts';
import type { AudienceFields } from './audience-fields.ts';
import type { Member } from './members.ts';
import { invalidResource, notFound, validate } from './problems.ts';

/** MailChimp gives up on a webhook URL that takes longer than this (and on a validation request). */
const WEBHOOK_TIMEOUT_MS = 10_000;

export type WebhookSource = 'user' | 'admin' | 'api';

export interface Webhook {
  readonly id: string;
  readonly url: string;
  readonly events: Record<WebhookType, boolean>;
  readonly sources: Record<WebhookSource, boolean>;
  readonly list_id: string;
}

/** What a helper's webhook POST got back from each registered URL. */
export interface WebhookDelivery {
  readonly url: string;
  readonly status?: number;
  readonly error?: string;
}

const eventFlags = z
  .object({
    subscribe: z.boolean(),
    unsubscribe: z.boolean(),
    profile: z.boolean(),
    cleaned: z.boolean(),
    upemail: z.boolean(),
    campaign: z.boolean(),
  })
  .partial();

const sourceFlags = z.object({ user: z.boolean(), admin: z.boolean(), api: z.boolean() }).partial();

const webhookBody = z.object({
  url: z.url({ protocol: /^https?$/ }),
  events: eventFlags.optional(),
  sources: sourceFlags.optional(),
});

export interface WebhookSettings {
  readonly listId: string;
  readonly fields: AudienceFields;
  readonly now: () => Date;
  readonly signingSecret: string | undefined;
}

export class Webhooks {
  #webhooks: Webhook[] = [];

  constructor(private readonly settings: WebhookSettings) {}

  get all(): readonly Webhook[] {
    return this.#webhooks;
  }

  reset(): void {
    this.#webhooks = [];
  }

  find(webhookId: string | undefined): Webhook {
    const webhook = this.#webhooks.find((w) => w.id === webhookId);
    if (!webhook) throw notFound();
    return webhook;
  }

  remove(webhookId: string | undefined): void {
    const webhook = this.find(webhookId);
    this.#webhooks = this.#webhooks.filter((w) => w !== webhook);
  }

  /** POST /webhooks: saved only after its URL answers a GET, as MailChimp does. */
  async register(body: unknown): Promise<Webhook> {
    const input = validate(webhookBody, body);
    if (this.#webhooks.some((w) => w.url === input.url)) {
      throw invalidResource([
        { field: 'url', message: 'A webhook with this URL already exists on the list.' },
      ]);
    }
    if (!(await urlAnswers(input.url))) {
      throw invalidResource([
        { field: 'url', message: 'The URL did not answer the validation request with a 2xx status.' },
      ]);
    }
    const webhook: Webhook = {
      id: randomBytes(5).toString('hex'),
      url: input.url,
      events: {
        subscribe: true,
        unsubscribe: true,
        profile: true,
        cleaned: true,
        upemail: true,
        campaign: true,
        ...definedOnly(input.events ?? {}),
      },
      sources: { user: true, admin: true, api: false, ...definedOnly(input.sources ?? {}) },
      list_id: this.settings.listId,
    };
    this.#webhooks.push(webhook);
    return webhook;
  }

  /** The fields MailChimp sends about a member in subscribe, unsubscribe and profile webhooks. */
  memberFields(member: Member): [string, string][] {
    const { fields } = this.settings;
    const result: [string, string][] = [
      ['data[id]', member.id],
      ['data[email]', member.emailAddress],
      ['data[email_type]', member.emailType],
      ['data[ip_opt]', member.ipOpt],
      ['data[web_id]', String(member.webId)],
      ['data[merges][EMAIL]', member.emailAddress],
    ];
    for (const field of fields.mergeFields) {
      result.push([`data[merges][${field.tag}]`, webhookValue(member.mergeFields[field.tag])]);
    }
    const chosen = fields.interests.filter((interest) => member.interests[interest.id]);
    if (fields.interests.length > 0) {
      result.push(['data[merges][INTERESTS]', chosen.map((interest) => interest.name).join(', ')]);
    }
    result.push(['data[list_id]', this.settings.listId]);
    return result;
  }

  /** Posts one event to every webhook that wants its type from its source (undefined: MailChimp's own). */
  async fire(
    type: WebhookType,
    fields: [string, string][],
    source: WebhookSource | undefined,
  ): Promise<WebhookDelivery[]> {
    const body = new URLSearchParams([
      ['type', type],
      ['fired_at', firedAt(this.settings.now())],
      ...fields,
    ]).toString();
    const targets = this.#webhooks.filter(
      (webhook) => webhook.events[type] && (source === undefined || webhook.sources[source]),
    );
    return Promise.all(targets.map((webhook) => this.#deliver(webhook.url, body)));
  }

  async #deliver(url: string, body: string): Promise<WebhookDelivery> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
      'User-Agent': 'MailChimp.com',
    };
    const { signingSecret } = this.settings;
    if (signingSecret !== undefined) {
      headers['X-Mailchimp-Signature'] = webhookSignature(signingSecret, body, this.settings.now());
    }
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      return { url, status: response.status };
    } catch (error) {
      return { url, error: error instanceof Error ? error.message : String(error) };
    }
  }
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`: the emulator's optional signature. */
export function webhookSignature(secret: string, rawBody: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/** Webhooks' `fired_at`: `YYYY-MM-DD HH:MM:SS`. */
function firedAt(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

function definedOnly<T extends object>(flags: T): Partial<T> {
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function webhookValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

async function urlAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      headers: { 'User-Agent': 'MailChimp.com WebHook Validator' },
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}
