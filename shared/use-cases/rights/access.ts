/**
 * The right of access and portability: everything held on an address gathered into one bundle (expired
 * but not yet deleted items included and marked), stored for staff to download for a limited time.
 */
import {
  type AccessBundle,
  buildAccessBundle,
  type HeldData,
  type Recipient,
} from '../../domain/access-bundle.ts';
import type { TopicStatus } from '../../domain/consent.ts';
import { desiredMember } from '../../domain/mailchimp-member.ts';
import { addDays, isExpired, toEpochSeconds } from '../../domain/retention.ts';
import type { HeldRecords } from '../../ports/personal-data.ts';
import type { Person } from './marketing-rights.ts';
import { type RightsDeps, requestSettings } from './rights-deps.ts';

const PROCESSORS: readonly Recipient[] = [
  { name: 'Amazon Web Services (SES)', role: 'processor', purpose: 'Sending the emails we send you' },
  { name: 'Amazon Web Services', role: 'processor', purpose: 'Hosting and storing this data' },
];
const MAILCHIMP: Recipient = {
  name: 'Intuit Mailchimp',
  role: 'processor',
  purpose: 'Sending the marketing emails you agreed to',
};

export interface AccessResult {
  readonly export: string;
  readonly exportAvailableUntil: string;
  readonly topics: number;
  readonly consentEvents: number;
  readonly enquiries: number;
}

export async function provideAccess(
  deps: RightsDeps,
  person: Person,
  requestId: string,
): Promise<AccessResult> {
  const now = deps.clock();
  const bundle = await gatherAccessBundle(deps, person);
  const until = addDays(now, requestSettings(deps.config).exportDays);
  await deps.register.saveExport(requestId, JSON.stringify(bundle, null, 2), toEpochSeconds(until));
  return {
    export: `/subject-requests/${requestId}/export`,
    exportAvailableUntil: until.toISOString(),
    topics: bundle.topics.length,
    consentEvents: bundle.consentHistory.length,
    enquiries: bundle.enquiries.length,
  };
}

/** Everything held on the person, as the bundle (the records already read may be passed in). */
export async function gatherAccessBundle(
  deps: Pick<RightsDeps, 'clock' | 'personalData' | 'reads' | 'mailchimpInUse' | 'config'>,
  person: Person,
  records?: HeldRecords,
): Promise<AccessBundle> {
  const now = deps.clock();
  const held = records ?? (await deps.personalData.findHeld(person.contactId, person.suppressionHash));
  const statements = await deps.reads.readStatements(
    held.history.flatMap((event) => (event.statementHash ? [event.statementHash] : [])),
  );
  const data: HeldData = {
    email: person.email,
    contact: held.profile
      ? {
          contactId: person.contactId,
          name: held.profile.name,
          restricted: held.profile.restricted,
          expiresAt: held.profile.expiresAt,
          relationship: held.profile.relationship,
        }
      : undefined,
    topics: held.topics.map((topic) => ({
      topic: topic.topic,
      status: topic.status,
      since: topic.since,
      formId: topic.formId,
      statementVersion: topic.statementVersion,
      expiresAt: topic.expiresAt,
    })),
    history: held.history.map((event) => ({
      at: event.at,
      type: event.type,
      topic: event.topic,
      source: event.source,
      formId: event.formId,
      page: event.page,
      method: event.method,
      statementVersion: event.statementVersion,
      statementHash: event.statementHash,
      statementText: event.statementHash ? statements.get(event.statementHash)?.text : undefined,
      reason: event.reason,
      ...(event.fields ? { fields: [...event.fields] } : {}),
      expiresAt: event.expiresAt,
    })),
    enquiries: held.enquiries.map((enquiry) => ({
      enquiryId: enquiry.enquiryId,
      formId: enquiry.formId,
      receivedAt: enquiry.receivedAt,
      fields: enquiry.fields,
      expiresAt: enquiry.expiresAt,
    })),
    suppression: held.suppression,
    mailchimp: deps.mailchimpInUse ? lastSynced(deps.config.topics, held, now) : undefined,
  };
  return buildAccessBundle(data, {
    now,
    controller: deps.config.organisation.name,
    recipients: deps.mailchimpInUse ? [...PROCESSORS, MAILCHIMP] : PROCESSORS,
  });
}

/** What the sync holds MailChimp to for this state: what the member had when it was last synced. */
function lastSynced(
  topics: RightsDeps['config']['topics'],
  held: HeldRecords,
  now: Date,
): HeldData['mailchimp'] {
  if (!held.profile || isExpired(held.profile.expiresAt, now)) return undefined;
  if (held.profile.restricted) return { status: 'archived', tags: [] };
  const live = new Map(
    held.topics
      .filter((topic) => !isExpired(topic.expiresAt, now))
      .map((topic) => [topic.topic, { status: topic.status as TopicStatus }]),
  );
  const member = desiredMember(live, { topics });
  return member.kind === 'subscribed'
    ? { status: 'subscribed', tags: member.tags.filter((tag) => tag.active).map((tag) => tag.name) }
    : { status: member.kind, tags: [] };
}
