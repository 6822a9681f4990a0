/**
 * Applying what MailChimp tells us. Only news that moves a person towards "do not mail" can reduce their
 * permission (unsubscribe, cleaned); a subscribe can only confirm a double opt-in we started, and never
 * for a suppressed topic. No webhook can make a suppressed or withdrawn person mailable.
 */
import { ContactConflictError, type ContactsRepository } from '../adapters/dynamodb/contacts-repository.ts';
import type { RuntimeConfig } from '../config/schema.ts';
import { ALL_TOPICS, isSuppressed } from '../domain/consent.ts';
import { type ContactSnapshot, decideChange, type RequestedEvent } from '../domain/contact-change.ts';
import { isValidEmail, normaliseEmail } from '../domain/email.ts';
import type { EmailHasher } from '../domain/hashing.ts';
import { field, type WebhookDelivery } from '../domain/mailchimp-webhook.ts';
import { addDays, toEpochSeconds } from '../domain/retention.ts';
import { log } from '../log.ts';

export interface WebhookDeps {
  readonly config: RuntimeConfig;
  readonly contacts: ContactsRepository;
  readonly emailHasher: () => Promise<EmailHasher>;
  readonly clock: () => Date;
  readonly newId: () => string;
}

export type WebhookOutcome = 'applied' | 'unchanged' | 'ignored';

/** MailChimp retries a delivery for about 75 minutes; a week of memory covers it with room to spare. */
const DELIVERY_MEMORY_DAYS = 7;
const MAX_ATTEMPTS = 3;

export async function applyWebhook(
  deps: WebhookDeps,
  delivery: WebhookDelivery,
  deliveryId: string,
): Promise<WebhookOutcome> {
  const email = normaliseEmail(field(delivery, 'email') ?? '');
  const handled =
    delivery.type === 'unsubscribe' || delivery.type === 'cleaned' || delivery.type === 'subscribe';
  if (!handled || !isValidEmail(email)) {
    log.info('mailchimp_webhook_ignored', { type: delivery.type, hasEmail: email !== '' });
    return 'ignored';
  }
  const outcome = await applyMailchimpChange(deps, email, {
    requests: (snapshot) => requestsFor(delivery, snapshot),
    reason: delivery.type === 'subscribe' ? undefined : withdrawalReason(delivery),
    deliveryId,
  });
  if (outcome === 'applied') log.info('mailchimp_webhook_applied', { type: delivery.type });
  return outcome;
}

/**
 * Applies a change that MailChimp reported (a webhook, a reconciliation, an answer to our sync) to the
 * address's contact and suppression entry, re-deciding if the contact changed meanwhile. With a
 * `deliveryId`, a marker written in the same transaction makes a repeat of the same news a no-op.
 */
export async function applyMailchimpChange(
  deps: WebhookDeps,
  email: string,
  change: {
    readonly requests: (snapshot: ContactSnapshot) => RequestedEvent[];
    readonly reason: string | undefined;
    readonly deliveryId?: string | undefined;
  },
): Promise<'applied' | 'unchanged'> {
  const hasher = await deps.emailHasher();
  const contactId = hasher.contactId(email);
  const suppressionHash = hasher.suppressionHash(email);

  for (let attempt = 1; ; attempt++) {
    const now = deps.clock();
    const [state, suppression] = await Promise.all([
      deps.contacts.readContact(contactId, now),
      deps.contacts.readSuppression(suppressionHash),
    ]);
    const snapshot: ContactSnapshot = { ...state.snapshot, suppression };
    const decided = decideChange(snapshot, change.requests(snapshot), {
      now,
      retention: deps.config.retention,
      allTopics: deps.config.topics.map((topic) => topic.id),
      source: 'mailchimp',
      actor: 'mailchimp',
      reason: change.reason,
      newEventId: deps.newId,
    });
    if (decided.events.length === 0 && !decided.suppression) return 'unchanged';
    try {
      await deps.contacts.write({
        contact: {
          now,
          contactId,
          suppressionHash,
          email: state.contact?.email,
          name: state.contact?.name,
          snapshot,
          change: decided,
          source: 'mailchimp',
          reason: change.reason,
        },
        ...(change.deliveryId
          ? {
              delivery: {
                id: change.deliveryId,
                expiresAt: toEpochSeconds(addDays(now, DELIVERY_MEMORY_DAYS)),
              },
            }
          : {}),
      });
      return 'applied';
    } catch (error) {
      // A conflict is a concurrent change, or this very news applied already: decide again.
      if (!(error instanceof ContactConflictError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

function requestsFor(delivery: WebhookDelivery, snapshot: ContactSnapshot): RequestedEvent[] {
  if (delivery.type !== 'subscribe') return [{ type: 'withdrawn', topic: ALL_TOPICS }];
  const suppression = snapshot.suppression ?? { all: false, topics: new Set<string>() };
  return [...snapshot.topics.values()]
    .filter((topic) => topic.status === 'pending' && !isSuppressed(suppression, topic.topic))
    .map((topic): RequestedEvent => ({ type: 'consent_confirmed', topic: topic.topic }));
}

/** e.g. `mailchimp_unsubscribe:manual`, `mailchimp_cleaned:hard`; MailChimp's reason is a short code. */
function withdrawalReason(delivery: WebhookDelivery): string {
  const given = field(delivery, 'reason');
  const code = given && /^[a-z_]{1,30}$/.test(given) ? `:${given}` : '';
  return `mailchimp_${delivery.type}${code}`;
}
