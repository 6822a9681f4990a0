/**
 * The emulated MailChimp account: one audience (members, fields, webhooks) behind the Marketing API, and
 * the actions MailChimp's users take (a subscriber who unsubscribes, an address that bounces, a profile or
 * address change), each firing the list's webhooks the way MailChimp does.
 */
import type { LocalResponse } from '../services.ts';
import { type EmulatorApiRequest, marketingApi } from './api-routes.ts';
import { AudienceFields } from './audience-fields.ts';
import { type FaultMode, Faults } from './faults.ts';
import { type MemberJson, MemberStore, type MemberStoreState } from './members.ts';
import { MailchimpEmulatorError, ProblemError } from './problems.ts';
import { type WebhookDelivery, Webhooks } from './webhooks.ts';

export const DEFAULT_EMULATOR_LIST_ID = 'local-list';

/** Longer than the official client's default timeout (120 s), so a held call always times out. */
const DEFAULT_TIMEOUT_HOLD_MS = 130_000;

export interface MailchimpEmulatorOptions {
  /** The key the client must present (HTTP Basic, any user name). */
  readonly apiKey: string;
  /** The one audience the emulator holds; every other list id is 404. Default `local-list`. */
  readonly listId?: string;
  readonly listName?: string;
  /** Time for `last_changed` and webhooks; the service uses the local clock when this is absent. */
  readonly now?: () => Date;
  /** When set, webhook POSTs carry `X-Mailchimp-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`. */
  readonly webhookSigningSecret?: string;
  /** How long a `timeout` fault holds its response. */
  readonly timeoutHoldMs?: number;
}

export interface HelperResult {
  readonly member: MemberJson;
  readonly deliveries: WebhookDelivery[];
}

export class MailchimpEmulator {
  readonly listId: string;
  readonly #fields: AudienceFields;
  readonly #members: MemberStore;
  readonly #webhooks: Webhooks;
  readonly #faults: Faults;
  readonly #api: (request: EmulatorApiRequest) => Promise<LocalResponse>;

  constructor(options: MailchimpEmulatorOptions) {
    this.listId = options.listId ?? DEFAULT_EMULATOR_LIST_ID;
    const now = options.now ?? (() => new Date());
    this.#fields = new AudienceFields(this.listId);
    this.#members = new MemberStore(this.listId, this.#fields, now);
    this.#webhooks = new Webhooks({
      listId: this.listId,
      fields: this.#fields,
      now,
      signingSecret: options.webhookSigningSecret,
    });
    this.#faults = new Faults(options.timeoutHoldMs ?? DEFAULT_TIMEOUT_HOLD_MS);
    this.#api = marketingApi({
      listId: this.listId,
      listName: options.listName ?? 'Local audience',
      apiKey: options.apiKey,
      members: this.#members,
      fields: this.#fields,
      webhooks: this.#webhooks,
    });
  }

  /** The audience's members, as plain data for local mode's `--persist`. */
  savedMembers(): MemberStoreState {
    return this.#members.saved();
  }

  restoreMembers(state: MemberStoreState): void {
    this.#members.restore(state);
  }

  /** Forgets every member, field, interest and webhook, and any pending fault. */
  reset(): void {
    this.#members.reset();
    this.#webhooks.reset();
    this.#faults.inject('none');
    // A new MailChimp audience comes with FNAME and LNAME.
    this.#fields.reset();
  }

  /** Answers the calls a `timeout` fault is holding at once (so a server can close, or a test move on). */
  releaseHeldCalls(): void {
    this.#faults.releaseHeldCalls();
  }

  /** The next `count` API calls fail as `mode` says; `none` clears. */
  injectFault(mode: FaultMode | 'none', count = 1): void {
    this.#faults.inject(mode, count);
  }

  pendingFault(): { mode: FaultMode; remaining: number } | undefined {
    return this.#faults.pending();
  }

  /** Every member except those permanently deleted, archived ones included, oldest change first. */
  listMembers(): MemberJson[] {
    return this.#members.sorted().map((member) => this.#members.toJson(member));
  }

  /** One API call: the connection limit, any injected fault, authentication, then the route. */
  handleApi(request: EmulatorApiRequest): Promise<LocalResponse> {
    return this.#faults.answerWithFaults(() => this.#api(request));
  }

  /** The subscriber clicks "unsubscribe" in a campaign. */
  async unsubscribe(
    email: string,
    options: { reason?: string; campaignId?: string } = {},
  ): Promise<HelperResult> {
    const member = this.#members.helperMember(email);
    if (member.status !== 'subscribed') {
      throw new MailchimpEmulatorError(409, `The member is ${member.status}, not subscribed`);
    }
    member.status = 'unsubscribed';
    member.unsubscribeReason = options.reason ?? 'N/A (Unsubscribe link)';
    this.#members.touch(member);
    const deliveries = await this.#webhooks.fire(
      'unsubscribe',
      [
        ['data[action]', 'unsub'],
        ['data[reason]', 'manual'],
        ...this.#webhooks.memberFields(member),
        ['data[campaign_id]', options.campaignId ?? ''],
      ],
      'user',
    );
    return { member: this.#members.toJson(member), deliveries };
  }

  /** The address bounces (or its owner reports abuse) and MailChimp cleans it. */
  async clean(
    email: string,
    options: { reason?: 'hard' | 'abuse'; campaignId?: string } = {},
  ): Promise<HelperResult> {
    const member = this.#members.helperMember(email);
    if (member.status === 'cleaned' || member.status === 'archived') {
      throw new MailchimpEmulatorError(409, `The member is ${member.status}`);
    }
    member.status = 'cleaned';
    this.#members.touch(member);
    // Cleaning is MailChimp's own doing, so no source setting filters it out.
    const deliveries = await this.#webhooks.fire(
      'cleaned',
      [
        ['data[list_id]', this.listId],
        ['data[campaign_id]', options.campaignId ?? ''],
        ['data[reason]', options.reason ?? 'hard'],
        ['data[email]', member.emailAddress],
      ],
      undefined,
    );
    return { member: this.#members.toJson(member), deliveries };
  }

  /** The subscriber edits their profile through MailChimp's preferences page. */
  async updateProfile(
    email: string,
    changes: { mergeFields?: Record<string, unknown>; interests?: Record<string, boolean> },
  ): Promise<HelperResult> {
    const member = this.#members.helperMember(email);
    try {
      this.#members.applyFields(member, { merge_fields: changes.mergeFields, interests: changes.interests });
    } catch (error) {
      if (error instanceof ProblemError) throw new MailchimpEmulatorError(400, error.detail);
      throw error;
    }
    this.#members.touch(member);
    const deliveries = await this.#webhooks.fire('profile', this.#webhooks.memberFields(member), 'user');
    return { member: this.#members.toJson(member), deliveries };
  }

  /** The subscriber changes their address through MailChimp's preferences page. */
  async changeEmail(email: string, newEmail: string): Promise<HelperResult> {
    const member = this.#members.helperMember(email);
    const oldEmail = member.emailAddress;
    if (this.#members.isKnown(newEmail)) {
      throw new MailchimpEmulatorError(409, 'The new address is already in the audience');
    }
    this.#members.rekey(member, newEmail);
    this.#members.touch(member);
    const deliveries = await this.#webhooks.fire(
      'upemail',
      [
        ['data[list_id]', this.listId],
        ['data[new_id]', member.id],
        ['data[new_email]', member.emailAddress],
        ['data[old_email]', oldEmail],
      ],
      'user',
    );
    return { member: this.#members.toJson(member), deliveries };
  }
}
