/**
 * Keeps MailChimp in step with our store, from the table's stream. Each contact touched by a batch is read
 * once and MailChimp is moved to what that state calls for, so replaying any batch (Lambda redelivers after
 * a partial failure) converges on the same MailChimp state. MailChimp's own changes are never echoed back.
 */
import type { ContactSnapshot } from '../domain/contact-change.ts';
import type { EmailHasher } from '../domain/hashing.ts';
import {
  desiredMember,
  expressConsentSince,
  preferencesLinkIssuedAt,
  withdrawalOnMailchimpWord,
} from '../domain/mailchimp-member.ts';
import type { DeploymentSettings } from '../domain/settings.ts';
import type { KeyRing } from '../domain/tokens.ts';
import { signedLink } from '../email/links.ts';
import { countMetric, describeError, log, timeMetric } from '../log.ts';
import type { ContactItemChanged, ContactsRepository } from '../ports/contacts-store.ts';
import type { MailchimpAudience, MailchimpMember, MemberUpsert } from '../ports/mailchimp-audience.ts';
import { isMailchimpError, type MailchimpErrorCode } from '../ports/mailchimp-errors.ts';
import { mapConcurrently } from '../support/concurrency.ts';
import { applyMailchimpChange } from './mailchimp-webhook.ts';

export interface MailchimpSyncDeps {
  readonly config: DeploymentSettings;
  readonly contacts: ContactsRepository;
  readonly audience: MailchimpAudience;
  readonly emailHasher: () => Promise<EmailHasher>;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** Each member carries their signed preferences link in this merge field. */
  readonly memberLinks: {
    readonly mergeTag: string;
    readonly baseUrl: string;
    readonly ring: () => Promise<KeyRing>;
  };
}

export interface SyncResult {
  /** Lambda's `ReportBatchItemFailures` answer: every record of each contact that is to be tried again. */
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

export type ContactOutcome =
  | 'moved'
  | 'subscribed'
  | 'confirmation_requested'
  | 'unsubscribed'
  | 'archived'
  | 'forgotten'
  | 'absent'
  | 'withdrawn_by_mailchimp'
  | 'rejected'
  | 'failed';

/** Contacts synced at once; the adapter's own limiter bounds the MailChimp connections. */
const PARALLEL_CONTACTS = 5;
/** MailChimp states in which it will not mail the person whatever we send it. */
const NOT_MAILABLE_THERE = new Set(['unsubscribed', 'cleaned']);

interface ContactWork {
  readonly contactId: string;
  readonly changes: ContactItemChanged[];
  /** The address of a profile that DynamoDB's TTL deleted: its member is archived. */
  expiredEmail: string | undefined;
  /** The address of a contact being erased: its member is permanently deleted, and nothing else is done. */
  erasedEmail: string | undefined;
  /** The old address of a contact that moved to a new one: its member follows if we made the move. */
  movedAwayEmail: string | undefined;
  /** Some record calls for reading the contact and converging MailChimp on it. */
  converge: boolean;
}

/** Syncs the contacts a stream batch changed; `changes` are its records of contact items, decoded. */
export async function syncStreamBatch(
  deps: MailchimpSyncDeps,
  changes: readonly ContactItemChanged[],
): Promise<SyncResult> {
  const grouped = [...groupByContact(changes).values()];
  // Members follow moves first: the new address's own records would otherwise add a second member there.
  const moves = grouped.filter((contact) => contact.movedAwayEmail !== undefined);
  const others = grouped.filter((contact) => contact.movedAwayEmail === undefined);
  const sync = (contact: ContactWork) => syncContact(deps, contact);
  const work = [...moves, ...others];
  const outcomes = [
    ...(await mapConcurrently(moves, PARALLEL_CONTACTS, sync)),
    ...(await mapConcurrently(others, PARALLEL_CONTACTS, sync)),
  ];

  const counts: Record<string, number> = { records: changes.length, contacts: work.length };
  const batchItemFailures: { itemIdentifier: string }[] = [];
  work.forEach((contact, index) => {
    const outcome = outcomes[index] ?? 'failed';
    counts[outcome] = (counts[outcome] ?? 0) + 1;
    if (outcome !== 'failed') return;
    for (const change of contact.changes) {
      if (change.recordId) batchItemFailures.push({ itemIdentifier: change.recordId });
    }
  });
  log.info('mailchimp_sync_batch', counts);
  countSyncOutcomes(deps, work, outcomes);
  return { batchItemFailures };
}

/** Outcomes in which MailChimp took what we sent. */
const ACCEPTED: ReadonlySet<ContactOutcome> = new Set([
  'subscribed',
  'confirmation_requested',
  'unsubscribed',
  'archived',
  'forgotten',
]);

/**
 * The sync's metrics: failures (retried, or refused for good), and the lag from the oldest change of each
 * contact MailChimp accepted to now, its maximum over the batch (the alarm watches the worst case).
 */
function countSyncOutcomes(
  deps: MailchimpSyncDeps,
  work: readonly ContactWork[],
  outcomes: readonly (ContactOutcome | undefined)[],
): void {
  const failed = outcomes.filter((outcome) => outcome === 'failed' || outcome === undefined).length;
  const rejected = outcomes.filter((outcome) => outcome === 'rejected').length;
  // One metric, no dimension, so one alarm watches it; the log line says which kind each was.
  if (failed + rejected > 0) countMetric('SyncFailures', failed + rejected);
  const now = deps.clock().getTime();
  const lags = work.flatMap((contact, index) => {
    const outcome = outcomes[index];
    if (!outcome || !ACCEPTED.has(outcome)) return [];
    const times = contact.changes.flatMap((change) =>
      change.changedAt === undefined ? [] : [change.changedAt],
    );
    return times.length > 0 ? [now - Math.min(...times)] : [];
  });
  if (lags.length > 0) timeMetric('SyncLag', Math.max(...lags));
}

function groupByContact(changes: readonly ContactItemChanged[]): Map<string, ContactWork> {
  const work = new Map<string, ContactWork>();
  for (const change of changes) {
    const { contactId, before, after } = change;
    let contact = work.get(contactId);
    if (!contact) {
      contact = {
        contactId,
        changes: [],
        expiredEmail: undefined,
        erasedEmail: undefined,
        movedAwayEmail: undefined,
        converge: false,
      };
      work.set(contactId, contact);
    }
    contact.changes.push(change);
    if (change.item === 'profile') {
      if (change.expired) {
        // Expiry is not erasure, even for a profile marked erased: the member is archived, not forgotten.
        contact.expiredEmail = before?.email ?? contact.expiredEmail;
      } else if (change.kind === 'remove') {
        // The erasure deletes the profile it marked; any other removal is a contact moved to a new address.
        if (before?.erased) contact.erasedEmail = before.email ?? contact.erasedEmail;
        else contact.movedAwayEmail = before?.email ?? contact.movedAwayEmail;
      } else if (after?.erased) {
        if (!before?.erased) contact.erasedEmail = after.email ?? contact.erasedEmail;
      } else if (
        // A contact MailChimp itself created or moved (a signup in its form, an address change) is there.
        (before?.email !== after?.email && after?.source !== 'mailchimp') ||
        (before?.restricted === true) !== (after?.restricted === true)
      ) {
        contact.converge = true;
      }
      // Other profile updates come with the topic changes that matter.
    } else if (change.item === 'topic') {
      // A change MailChimp told us about is already true there.
      if (after?.source !== 'mailchimp') contact.converge = true;
    }
    // Consent events accompany topic changes, which already say what MailChimp needs.
  }
  return work;
}

async function syncContact(deps: MailchimpSyncDeps, work: ContactWork): Promise<ContactOutcome> {
  try {
    if (work.erasedEmail !== undefined) {
      // Erasure wins over anything else the batch says about the person: nothing may re-add them.
      await deps.audience.forget(work.erasedEmail);
      return 'forgotten';
    }
    let outcome: ContactOutcome = 'absent';
    if (work.expiredEmail !== undefined) {
      await deps.audience.archive(work.expiredEmail);
      outcome = 'archived';
    }
    if (work.movedAwayEmail !== undefined) {
      outcome = (await followMove(deps, work.contactId, work.movedAwayEmail)) ?? outcome;
    }
    if (work.converge) outcome = (await convergeMember(deps, work.contactId)) ?? outcome;
    return outcome;
  } catch (error) {
    if (isMailchimpError(error, 'invalidRequest')) {
      // MailChimp will refuse the same request every time: retrying would only hold up the shard.
      log.error('mailchimp_sync_rejected', { status: error.status, title: error.title });
      return 'rejected';
    }
    log.warn('mailchimp_sync_contact_failed', {
      ...describeError(error),
      ...(isMailchimpError(error) ? { code: error.code, retryable: error.retryable } : {}),
    });
    return 'failed';
  }
}

/**
 * A contact we moved to a new address (a rectification): MailChimp's member at the old address is moved
 * to the new one, keeping its status, tags and history there. If MailChimp refuses (the new address is a
 * member already, or was permanently deleted), the old member is archived and the new one added in the
 * old one's state, never more mailable than it was. Then the new contact's state is sent as for any
 * change. A move MailChimp made itself (its `upemail`) is already true there and is not echoed.
 */
async function followMove(
  deps: MailchimpSyncDeps,
  oldContactId: string,
  oldEmail: string,
): Promise<ContactOutcome | undefined> {
  const move = await deps.contacts.readMove(oldContactId);
  // No forwarding left (erased since), or MailChimp's own move (an older one without a source included).
  if (!move || move.source === undefined || move.source === 'mailchimp') return undefined;
  const now = deps.clock();
  const contactId = await deps.contacts.currentContactId(move.movedTo, now);
  const { contact } = await deps.contacts.readContact(contactId, now);
  if (!contact || contact.email === oldEmail) return undefined;
  const member = await deps.audience.getMember(oldEmail);
  if (member) {
    try {
      await deps.audience.changeEmail(oldEmail, contact.email);
      log.info('mailchimp_sync_member_moved');
    } catch (error) {
      if (!isMailchimpError(error) || error.retryable) throw error;
      log.warn('mailchimp_sync_member_move_refused', { code: error.code, status: error.status });
      await deps.audience.archive(oldEmail);
      // A permanently deleted new address cannot be added at all: converging withdraws it here.
      if (NOT_MAILABLE_THERE.has(member.status) && error.code !== 'forgotten') {
        await deps.audience.upsertMember(contact.email, {
          statusIfNew: 'unsubscribed',
          status: 'unsubscribed',
        });
      }
    }
  }
  return (await convergeMember(deps, contactId)) ?? 'moved';
}

/**
 * Moves MailChimp to what the contact's current state calls for (also the outward reconciliation's
 * repair); undefined when there is no live contact to converge on.
 */
export async function convergeMember(
  deps: MailchimpSyncDeps,
  contactId: string,
): Promise<ContactOutcome | undefined> {
  const now = deps.clock();
  const { contact, snapshot } = await deps.contacts.readContact(contactId, now);
  // Someone with no marketing permission at all (a business contact held for the relationship) is
  // nothing of MailChimp's: their address is never sent there.
  if (!contact || snapshot.topics.size === 0) return undefined;
  if (contact.restricted) {
    // Restricted processing is out of MailChimp until lifted. Archived, not unsubscribed: an unsubscribe
    // would put the member in MailChimp's compliance state, and lifting the restriction could then not
    // subscribe them again without MailChimp emailing them for a confirmation they never asked for.
    await deps.audience.archive(contact.email);
    return 'archived';
  }
  const desired = desiredMember(snapshot.topics, deps.config);
  if (desired.kind === 'unsubscribed') {
    await deps.audience.unsubscribe(contact.email);
    return 'unsubscribed';
  }
  const mergeFields = await memberMergeFields(deps, contactId, snapshot, now);
  const subscribe = async (status?: MemberUpsert['status']) => {
    await deps.audience.upsertMember(contact.email, {
      statusIfNew: 'subscribed',
      ...(status === undefined ? {} : { status }),
      mergeFields,
    });
    await deps.audience.setTags(contact.email, desired.tags);
  };
  // An upsert never subscribes an existing member, so an unsubscribe made in MailChimp would pass silently:
  // look first.
  const member = await deps.audience.getMember(contact.email);
  try {
    if (member?.status === 'archived') {
      // Archived by an expiry or a restriction: restoring it is the only way back (the upsert alone leaves
      // it archived), and MailChimp refuses it if the person had unsubscribed before.
      await subscribe('restoreArchived');
      return 'subscribed';
    }
    if (member && NOT_MAILABLE_THERE.has(member.status)) {
      return await resubscribeOrWithdraw(deps, contactId, contact.email, member, subscribe);
    }
    await subscribe();
    return 'subscribed';
  } catch (error) {
    if (isMailchimpError(error, 'complianceState') && member?.status === 'archived') {
      return await resubscribeOrWithdraw(deps, contactId, contact.email, member, subscribe);
    }
    if (isMailchimpError(error, 'complianceState') || isMailchimpError(error, 'forgotten')) {
      // MailChimp's answer speaks for no time we know; what was granted after our read stands.
      await withdrawLocally(
        deps,
        contact.email,
        error.code === 'forgotten' ? 'forgotten' : 'complianceState',
        now,
      );
      return 'withdrawn_by_mailchimp';
    }
    throw error;
  }
}

/**
 * MailChimp has the person as unsubscribed (or cleaned). If they gave us express consent after that change,
 * they are re-subscribed the only way MailChimp allows: as `pending`, so MailChimp emails them its own
 * confirmation and mails them once they confirm. Otherwise MailChimp's "no" is newer than anything they
 * told us, and it becomes their withdrawal here too. A soft opt-in never re-subscribes anyone, and an
 * address MailChimp cleaned (it bounced) is never sent a confirmation.
 */
async function resubscribeOrWithdraw(
  deps: MailchimpSyncDeps,
  contactId: string,
  email: string,
  member: MailchimpMember,
  subscribe: (status: MemberUpsert['status']) => Promise<void>,
): Promise<ContactOutcome> {
  if (member.status !== 'cleaned') {
    const history = await deps.contacts.readHistory(contactId);
    if (expressConsentSince(history, member.lastChanged)) {
      try {
        await subscribe('pending');
        log.info('mailchimp_sync_confirmation_requested');
        return 'confirmation_requested';
      } catch (error) {
        // Cleaned before it was archived, or under compliance review: MailChimp will not even ask.
        if (!isMailchimpError(error, 'complianceState')) throw error;
      }
    }
  }
  const changedAt = new Date(member.lastChanged);
  await withdrawLocally(
    deps,
    email,
    'complianceState',
    Number.isNaN(changedAt.getTime()) ? undefined : changedAt,
  );
  return 'withdrawn_by_mailchimp';
}

/** The member's preferences link, signed as of their latest grant so the same state gives the same body. */
async function memberMergeFields(
  deps: MailchimpSyncDeps,
  contactId: string,
  snapshot: ContactSnapshot,
  now: Date,
): Promise<Record<string, string>> {
  const issuedAt = preferencesLinkIssuedAt(snapshot.topics, deps.config.retention, now) ?? now;
  const url = signedLink(
    {
      ring: await deps.memberLinks.ring(),
      baseUrl: deps.memberLinks.baseUrl,
      contactId,
      epoch: snapshot.contact?.epoch ?? 0,
      now: issuedAt,
    },
    'preferences',
  );
  return { [deps.memberLinks.mergeTag]: url };
}

/**
 * MailChimp will not mail this person again on our say-so: record that as a withdrawal from everything,
 * sourced from MailChimp, so our lists agree with it and the stream does not bring it back here. The sync
 * acts on a view that may be stale: a permission granted after `asOf` (MailChimp's change, or our read)
 * is newer than MailChimp's word, and is never withdrawn on it.
 */
async function withdrawLocally(
  deps: MailchimpSyncDeps,
  email: string,
  code: Extract<MailchimpErrorCode, 'complianceState' | 'forgotten'>,
  asOf: Date | undefined,
): Promise<void> {
  const reason = code === 'forgotten' ? 'mailchimp_forgotten' : 'mailchimp_compliance_state';
  const outcome = await applyMailchimpChange(deps, email, {
    requests: (snapshot) => withdrawalOnMailchimpWord(snapshot, asOf),
    reason,
  });
  if (outcome === 'applied') log.info('mailchimp_sync_withdrawn_locally', { reason });
}
