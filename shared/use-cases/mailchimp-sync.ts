/**
 * Keeps MailChimp in step with our store, from the table's stream. Each contact touched by a batch is read
 * once and MailChimp is moved to what that state calls for, so replaying any batch (Lambda redelivers after
 * a partial failure) converges on the same MailChimp state. MailChimp's own changes are never echoed back.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import type { ContactsRepository } from '../adapters/dynamodb/contacts-repository.ts';
import { keys } from '../adapters/dynamodb/table.ts';
import type { MailchimpAudience } from '../adapters/mailchimp/audience.ts';
import { isMailchimpError, type MailchimpErrorCode } from '../adapters/mailchimp/errors.ts';
import type { RuntimeConfig } from '../config/schema.ts';
import { ALL_TOPICS } from '../domain/consent.ts';
import type { EmailHasher } from '../domain/hashing.ts';
import { desiredMember } from '../domain/mailchimp-member.ts';
import { describeError, log } from '../log.ts';
import { applyMailchimpChange } from './mailchimp-webhook.ts';

export interface MailchimpSyncDeps {
  readonly config: RuntimeConfig;
  readonly contacts: ContactsRepository;
  readonly audience: MailchimpAudience;
  readonly emailHasher: () => Promise<EmailHasher>;
  readonly clock: () => Date;
  readonly newId: () => string;
}

export interface SyncResult {
  /** Lambda's `ReportBatchItemFailures` answer: every record of each contact that is to be tried again. */
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

type ContactOutcome =
  | 'subscribed'
  | 'unsubscribed'
  | 'archived'
  | 'absent'
  | 'withdrawn_by_mailchimp'
  | 'rejected'
  | 'failed';

/** Contacts synced at once; the adapter's own limiter bounds the MailChimp connections. */
const PARALLEL_CONTACTS = 5;
/** DynamoDB's identity on the REMOVE records of TTL deletions. */
const TTL_PRINCIPAL = 'dynamodb.amazonaws.com';
/** MailChimp states in which it will not mail the person whatever we send it. */
const NOT_MAILABLE_THERE = new Set(['unsubscribed', 'cleaned']);

const CONTACT_PREFIX = keys.contact('').pk;
const PROFILE_SK = keys.contact('').sk;

interface ContactWork {
  readonly contactId: string;
  readonly records: DynamoDBRecord[];
  /** The address of a profile that DynamoDB's TTL deleted: its member is archived. */
  expiredEmail: string | undefined;
  /** Some record calls for reading the contact and converging MailChimp on it. */
  converge: boolean;
}

export async function syncStreamBatch(
  deps: MailchimpSyncDeps,
  records: readonly DynamoDBRecord[],
): Promise<SyncResult> {
  const work = groupByContact(records);
  const outcomes = new Map<ContactWork, ContactOutcome>();
  const queue = [...work.values()];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift())
      outcomes.set(next, await syncContact(deps, next));
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_CONTACTS, queue.length) }, worker));

  const counts: Record<string, number> = { records: records.length, contacts: work.size };
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const [contact, outcome] of outcomes) {
    counts[outcome] = (counts[outcome] ?? 0) + 1;
    if (outcome !== 'failed') continue;
    for (const record of contact.records) {
      const sequence = record.dynamodb?.SequenceNumber;
      if (sequence) batchItemFailures.push({ itemIdentifier: sequence });
    }
  }
  log.info('mailchimp_sync_batch', counts);
  return { batchItemFailures };
}

function groupByContact(records: readonly DynamoDBRecord[]): Map<string, ContactWork> {
  const work = new Map<string, ContactWork>();
  for (const record of records) {
    const image = record.dynamodb?.NewImage ?? record.dynamodb?.OldImage;
    const pk = record.dynamodb?.Keys?.pk?.S ?? image?.pk?.S;
    const sk = record.dynamodb?.Keys?.sk?.S ?? image?.sk?.S;
    if (!pk?.startsWith(CONTACT_PREFIX) || sk === undefined) continue;
    const contactId = pk.slice(CONTACT_PREFIX.length);
    let contact = work.get(contactId);
    if (!contact) {
      contact = { contactId, records: [], expiredEmail: undefined, converge: false };
      work.set(contactId, contact);
    }
    contact.records.push(record);
    if (sk === PROFILE_SK) {
      if (record.eventName === 'REMOVE' && record.userIdentity?.principalId === TTL_PRINCIPAL) {
        contact.expiredEmail = record.dynamodb?.OldImage?.email?.S ?? contact.expiredEmail;
      } else if (
        record.eventName !== 'REMOVE' &&
        record.dynamodb?.OldImage?.email?.S !== record.dynamodb?.NewImage?.email?.S
      ) {
        contact.converge = true;
      }
      // Other profile updates come with the topic changes that matter; any other removal is an erasure,
      // which deals with MailChimp itself.
    } else if (sk.startsWith(keys.topicPrefix)) {
      // A change MailChimp told us about is already true there.
      if (record.dynamodb?.NewImage?.source?.S !== 'mailchimp') contact.converge = true;
    }
    // Consent events accompany topic changes, which already say what MailChimp needs.
  }
  return work;
}

async function syncContact(deps: MailchimpSyncDeps, work: ContactWork): Promise<ContactOutcome> {
  try {
    let outcome: ContactOutcome = 'absent';
    if (work.expiredEmail !== undefined) {
      await deps.audience.archive(work.expiredEmail);
      outcome = 'archived';
    }
    if (work.converge) outcome = (await converge(deps, work.contactId)) ?? outcome;
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

async function converge(deps: MailchimpSyncDeps, contactId: string): Promise<ContactOutcome | undefined> {
  const { contact, snapshot } = await deps.contacts.readContact(contactId, deps.clock());
  if (!contact) return undefined;
  const desired = desiredMember(snapshot.topics, deps.config);
  if (desired.kind === 'unsubscribed') {
    await deps.audience.unsubscribe(contact.email);
    return 'unsubscribed';
  }
  try {
    // An upsert never subscribes an existing member, so an unsubscribe made in MailChimp would pass
    // silently: look first, and take MailChimp's "no" as the person's withdrawal here too.
    const member = await deps.audience.getMember(contact.email);
    if (member && NOT_MAILABLE_THERE.has(member.status)) {
      await withdrawLocally(deps, contact.email, 'complianceState');
      return 'withdrawn_by_mailchimp';
    }
    await deps.audience.upsertMember(contact.email, { statusIfNew: 'subscribed' });
    await deps.audience.setTags(contact.email, desired.tags);
    return 'subscribed';
  } catch (error) {
    if (isMailchimpError(error, 'complianceState') || isMailchimpError(error, 'forgotten')) {
      await withdrawLocally(
        deps,
        contact.email,
        error.code === 'forgotten' ? 'forgotten' : 'complianceState',
      );
      return 'withdrawn_by_mailchimp';
    }
    throw error;
  }
}

/**
 * MailChimp will not mail this person again on our say-so: record that as a withdrawal from everything,
 * sourced from MailChimp, so our lists agree with it and the stream does not bring it back here.
 */
async function withdrawLocally(
  deps: MailchimpSyncDeps,
  email: string,
  code: Extract<MailchimpErrorCode, 'complianceState' | 'forgotten'>,
): Promise<void> {
  const reason = code === 'forgotten' ? 'mailchimp_forgotten' : 'mailchimp_compliance_state';
  const outcome = await applyMailchimpChange(deps, email, {
    requests: () => [{ type: 'withdrawn', topic: ALL_TOPICS }],
    reason,
  });
  if (outcome === 'applied') log.info('mailchimp_sync_withdrawn_locally', { reason });
}
