/**
 * The MailChimp audience as the core sees it. `MailchimpAudience` is what keeping it in step needs (the sync,
 * the webhook and the reconciliation); `AudienceSetup` is what the one-off setup command needs.
 * `shared/adapters/mailchimp` implements both; failures are `MailchimpError`s (./mailchimp-errors.ts).
 */
export type NewMemberStatus = 'subscribed' | 'pending' | 'unsubscribed';

export interface MemberUpsert {
  /** Applies only when MailChimp creates the member. */
  readonly statusIfNew: NewMemberStatus;
  /**
   * Changes an existing member's status. Never `subscribed` as such: sending it to someone who unsubscribed
   * would either subscribe them again against their wishes or fail in compliance state.
   * - `unsubscribed`;
   * - `pending`: MailChimp's way back for someone it has as unsubscribed: it emails them its own
   *   confirmation, and only their click subscribes them;
   * - `restoreArchived`: for a member the caller has just read as archived, back to subscribed. MailChimp
   *   keeps the status from before the archive and refuses (compliance state) if that was an unsubscribe.
   */
  readonly status?: 'unsubscribed' | 'pending' | 'restoreArchived';
  readonly mergeFields?: Readonly<Record<string, string>>;
  readonly interests?: Readonly<Record<string, boolean>>;
}

export interface MemberTag {
  readonly name: string;
  readonly active: boolean;
}

export type MemberStatus =
  | 'subscribed'
  | 'unsubscribed'
  | 'cleaned'
  | 'pending'
  | 'transactional'
  | 'archived';
export type ChangedStatus = 'unsubscribed' | 'cleaned';

export interface MailchimpMember {
  readonly email: string;
  readonly status: MemberStatus;
  readonly lastChanged: string;
  readonly unsubscribeReason?: string;
  readonly mergeFields: Readonly<Record<string, unknown>>;
  readonly interests: Readonly<Record<string, boolean>>;
  readonly tags: readonly string[];
}

export interface ChangedMember {
  readonly email: string;
  readonly status: ChangedStatus;
  readonly lastChanged: string;
  readonly unsubscribeReason?: string;
}

export interface ChangedMembersPage {
  readonly members: readonly ChangedMember[];
  /** Members MailChimp matched; `offset` counts through these. Done when `offset + count >= total`. */
  readonly total: number;
}

export type WebhookEvent = 'subscribe' | 'unsubscribe' | 'profile' | 'cleaned' | 'upemail' | 'campaign';
export type WebhookSource = 'user' | 'admin' | 'api';

export interface WebhookSettings {
  readonly url: string;
  /** An event MailChimp does not report is taken as off. */
  readonly events: Readonly<Record<WebhookEvent, boolean>>;
  readonly sources: Readonly<Record<WebhookSource, boolean>>;
}

export interface AudienceWebhook extends WebhookSettings {
  readonly id: string;
}

/** A merge field (MailChimp's custom contact field), by its tag. */
export interface MergeField {
  readonly tag: string;
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  /** Shown on MailChimp's signup and profile forms. */
  readonly public: boolean;
}

/** Members: what the sync, the webhook and the reconciliation do with the audience. */
export interface MailchimpAudience {
  /** Creates the member with `statusIfNew`, or updates an existing one without ever subscribing them. */
  upsertMember(email: string, upsert: MemberUpsert): Promise<void>;
  setTags(email: string, tags: readonly MemberTag[]): Promise<void>;
  /** Succeeds when there is no such member (or it was permanently deleted): nothing to unsubscribe. */
  unsubscribe(email: string): Promise<void>;
  /**
   * Moves the member at `from` to the address `to` (MailChimp's PATCH of `email_address`), keeping its
   * status, tags and fields; `absent` when there is no member at `from`. MailChimp refuses (a
   * `MailchimpError`) when `to` is already a member or was permanently deleted.
   */
  changeEmail(from: string, to: string): Promise<'moved' | 'absent'>;
  /** Archives (MailChimp's DELETE). Succeeds when there is no such member. */
  archive(email: string): Promise<void>;
  /** Permanently deletes: the address can then only come back by signing up again itself. */
  forget(email: string): Promise<void>;
  getMember(email: string): Promise<MailchimpMember | undefined>;
  /**
   * Members whose status is one of `statuses` and who changed since `sinceIso`, oldest change first so that
   * paging by offset stays stable while new changes arrive. With several statuses MailChimp cannot filter
   * (its `status` takes one value): the page is filtered here, and `total` counts every member changed since.
   */
  changedSince(
    sinceIso: string,
    statuses: readonly ChangedStatus[],
    page: { readonly count: number; readonly offset: number },
  ): Promise<ChangedMembersPage>;
}

/** What the setup command needs: check the key, and register the webhook and merge field. */
export interface AudienceSetup {
  /** Resolves when MailChimp answers and accepts the key. */
  ping(): Promise<void>;
  /** Every webhook registered on the audience, ours or not. */
  listWebhooks(): Promise<AudienceWebhook[]>;
  /**
   * MailChimp saves the webhook only once a GET to its URL answers 2xx. Not idempotent: after a timeout the
   * webhook may exist, so list before creating again.
   */
  createWebhook(settings: WebhookSettings): Promise<AudienceWebhook>;
  /** Succeeds when there is no such webhook. */
  deleteWebhook(webhookId: string): Promise<void>;
  /** Every merge field of the audience. */
  listMergeFields(): Promise<MergeField[]>;
  createMergeField(field: MergeField): Promise<MergeField>;
}
