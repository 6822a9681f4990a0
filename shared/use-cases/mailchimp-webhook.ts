/**
 * Applying what MailChimp tells us. Unsubscribes and cleaned addresses withdraw and suppress. A subscribe
 * confirms a double opt-in we started, or records express consent given in MailChimp's own signup form,
 * never for a suppressed or withdrawn topic. A profile change renames the contact; an address change moves
 * it, with its history, to the new address. No webhook can make a suppressed or withdrawn topic mailable.
 */
import { ALL_TOPICS } from '../domain/consent.ts';
import {
  type ContactSnapshot,
  decideChange,
  type RequestedEvent,
  suppressionOnlyChange,
} from '../domain/contact-change.ts';
import { decideEmailChange } from '../domain/contact-move.ts';
import { isValidEmail, normaliseEmail } from '../domain/email.ts';
import type { EmailHasher } from '../domain/hashing.ts';
import {
  emailChange,
  field,
  firedAt,
  MAILCHIMP_SIGNUP_METHOD,
  MAILCHIMP_SIGNUP_STATEMENT,
  mergedName,
  notSuperseded,
  signupTopics,
  subscribeRequests,
  type WebhookDelivery,
} from '../domain/mailchimp-webhook.ts';
import { addDays, toEpochSeconds } from '../domain/retention.ts';
import type { DeploymentSettings, MarketingStatement } from '../domain/settings.ts';
import { TOKEN_LIFETIME_SECONDS } from '../domain/tokens.ts';
import { log } from '../log.ts';
import type { ContactsRepository } from '../ports/contacts-store.ts';
import { type ContactDecision, changeContact, retryOnConflict } from './retry-on-conflict.ts';

export interface WebhookDeps {
  readonly config: DeploymentSettings;
  readonly contacts: ContactsRepository;
  readonly emailHasher: () => Promise<EmailHasher>;
  readonly clock: () => Date;
  readonly newId: () => string;
}

export type WebhookOutcome = 'applied' | 'unchanged' | 'ignored';

/** MailChimp retries a delivery for about 75 minutes; a week of memory covers it with room to spare. */
const DELIVERY_MEMORY_DAYS = 7;
/** Links already sent name a moved contact's old id; it forwards for as long as the longest link lives. */
const FORWARD_SECONDS = Math.max(...Object.values(TOKEN_LIFETIME_SECONDS));

export async function applyWebhook(
  deps: WebhookDeps,
  delivery: WebhookDelivery,
  deliveryId: string,
): Promise<WebhookOutcome> {
  const outcome = await dispatch(deps, delivery, deliveryId);
  if (outcome === 'applied') log.info('mailchimp_webhook_applied', { type: delivery.type });
  return outcome;
}

async function dispatch(
  deps: WebhookDeps,
  delivery: WebhookDelivery,
  deliveryId: string,
): Promise<WebhookOutcome> {
  if (delivery.type === 'upemail') {
    const change = emailChange(delivery);
    if (!change) return ignored(delivery, false);
    return change.from === change.to ? 'unchanged' : changeEmail(deps, change, deliveryId);
  }
  const email = normaliseEmail(field(delivery, 'email') ?? '');
  if (!isValidEmail(email)) return ignored(delivery, email !== '');
  switch (delivery.type) {
    case 'unsubscribe':
    case 'cleaned':
      return applyMailchimpChange(deps, email, {
        requests: () => [{ type: 'withdrawn', topic: ALL_TOPICS }],
        reason: withdrawalReason(delivery),
        deliveryId,
        firedAt: firedAt(delivery),
      });
    case 'subscribe': {
      const topics = signupTopics(deps.config);
      return applyMailchimpChange(deps, email, {
        requests: (snapshot) => subscribeRequests(snapshot, topics),
        reason: undefined,
        deliveryId,
        firedAt: firedAt(delivery),
        consentGiven: { statement: MAILCHIMP_SIGNUP_STATEMENT, method: MAILCHIMP_SIGNUP_METHOD },
        name: mergedName(delivery) || undefined,
      });
    }
    case 'profile': {
      const name = mergedName(delivery);
      if (name === undefined) return ignored(delivery, true);
      return rename(deps, email, name, deliveryId);
    }
    default:
      return ignored(delivery, true);
  }
}

function ignored(delivery: WebhookDelivery, hasEmail: boolean): WebhookOutcome {
  log.info('mailchimp_webhook_ignored', { type: delivery.type, hasEmail });
  return 'ignored';
}

/**
 * Applies a change that MailChimp reported (a webhook, a reconciliation, an answer to our sync) to the
 * address's contact and suppression entry, re-deciding if the contact changed meanwhile. With a
 * `deliveryId`, a marker written in the same transaction makes a repeat of the same news a no-op, however
 * the contact changed since (MailChimp retries anything but a 2xx). With `firedAt`, what we changed after
 * MailChimp's change stands (see `notSuperseded`).
 */
export async function applyMailchimpChange(
  deps: WebhookDeps,
  email: string,
  change: {
    readonly requests: (snapshot: ContactSnapshot) => RequestedEvent[];
    readonly reason: string | undefined;
    readonly deliveryId?: string | undefined;
    /** When MailChimp made the change, if it said. */
    readonly firedAt?: Date | undefined;
    /** How express consent in this change was collected; recorded only with `consent_given`. */
    readonly consentGiven?: { readonly statement: MarketingStatement; readonly method: string } | undefined;
    /** The name of a contact this change creates; an existing contact keeps its own. */
    readonly name?: string | undefined;
  },
): Promise<'applied' | 'unchanged'> {
  const hasher = await deps.emailHasher();
  const contactId = hasher.contactId(email);
  const suppressionHash = hasher.suppressionHash(email);

  return changeContact(deps, {
    locate: () => ({ contactId, suppressionHash }),
    decide: ({ state, snapshot }, now): ContactDecision<'applied' | 'unchanged'> => {
      const requests = notSuperseded(snapshot, change.requests(snapshot), change.firedAt);
      const given = requests.some((request) => request.type === 'consent_given')
        ? change.consentGiven
        : undefined;
      const decided = decideChange(snapshot, requests, {
        now,
        retention: deps.config.retention,
        allTopics: deps.config.topics.map((topic) => topic.id),
        source: 'mailchimp',
        actor: 'mailchimp',
        reason: change.reason,
        method: given?.method,
        statement: given?.statement,
        newEventId: deps.newId,
      });
      if (decided.events.length === 0 && !decided.suppression) return { outcome: 'unchanged' };
      return {
        outcome: 'applied',
        write: {
          contact: {
            now,
            contactId,
            suppressionHash,
            // The address itself for a contact this change creates (a signup in MailChimp's form).
            email: state.contact?.email ?? email,
            name: state.contact?.name ?? change.name,
            snapshot,
            change: decided,
            source: 'mailchimp',
            reason: change.reason,
          },
          ...(change.deliveryId ? { delivery: deliveryMarker(change.deliveryId, now) } : {}),
        },
      };
    },
    // The marker's condition failed: this delivery was applied already (by an earlier try or a retry).
    onConflict: async () => {
      const { deliveryId } = change;
      return deliveryId && (await deps.contacts.hasDelivery(deliveryId, deps.clock()))
        ? 'unchanged'
        : undefined;
    },
  });
}

/** A name changed in MailChimp's profile page; an address we hold nothing for changes nothing. */
async function rename(
  deps: WebhookDeps,
  email: string,
  name: string,
  deliveryId: string,
): Promise<'applied' | 'unchanged'> {
  const contactId = (await deps.emailHasher()).contactId(email);
  return retryOnConflict(
    async () => {
      const now = deps.clock();
      const { contact, snapshot } = await deps.contacts.readContact(contactId, now);
      if (!contact || !snapshot.contact || (contact.name ?? '') === name) return 'unchanged';
      await deps.contacts.setName({
        now,
        contactId,
        version: snapshot.contact.version,
        topics: [...snapshot.topics.keys()],
        name: name === '' ? undefined : name,
        source: 'mailchimp',
        delivery: deliveryMarker(deliveryId, now),
      });
      return 'applied';
    },
    // A concurrent change, or a retry of this delivery: read again (the name then matches).
    async () => ((await deps.contacts.hasDelivery(deliveryId, deps.clock())) ? 'unchanged' : undefined),
  );
}

/**
 * The subscriber changed their address in MailChimp. The contact moves to the new address's id with its
 * history (see `decideEmailChange` for the rules, the repository for how a long history moves safely).
 */
async function changeEmail(
  deps: WebhookDeps,
  change: { readonly from: string; readonly to: string },
  deliveryId: string,
): Promise<WebhookOutcome> {
  const hasher = await deps.emailHasher();
  const from = {
    contactId: hasher.contactId(change.from),
    suppressionHash: hasher.suppressionHash(change.from),
  };
  const to = { contactId: hasher.contactId(change.to), suppressionHash: hasher.suppressionHash(change.to) };
  // A retry after a crash half-way: carry the rest of the history before anything else.
  if (await deps.contacts.finishMove(from.contactId, deps.clock())) log.info('mailchimp_upemail_resumed');
  if (await deps.contacts.hasDelivery(deliveryId, deps.clock())) return 'unchanged';

  return retryOnConflict(
    async () => {
      const now = deps.clock();
      const [fromState, fromSuppression, toState, toSuppression] = await Promise.all([
        deps.contacts.readContact(from.contactId, now),
        deps.contacts.readSuppression(from.suppressionHash),
        deps.contacts.readContact(to.contactId, now),
        deps.contacts.readSuppression(to.suppressionHash),
      ]);
      const toSnapshot: ContactSnapshot = { ...toState.snapshot, suppression: toSuppression };
      const decision = decideEmailChange(
        { ...fromState.snapshot, suppression: fromSuppression },
        toSnapshot,
        {
          now,
          retention: deps.config.retention,
          reason: 'mailchimp_upemail:suppressed',
          newEventId: deps.newId,
        },
      );
      switch (decision.kind) {
        case 'nothing':
          return 'unchanged';
        case 'address_in_use':
          // Two people's records are never merged blindly: see decideEmailChange.
          log.warn('mailchimp_upemail_address_in_use');
          return await applyMailchimpChange(deps, change.from, {
            requests: () => [{ type: 'withdrawn', topic: ALL_TOPICS }],
            reason: 'mailchimp_upemail:address_in_use',
            deliveryId,
          });
        case 'suppress':
          await deps.contacts.write({
            contact: {
              now,
              contactId: to.contactId,
              suppressionHash: to.suppressionHash,
              snapshot: toSnapshot,
              change: suppressionOnlyChange(decision.suppression, now),
              source: 'mailchimp',
              reason: 'mailchimp_upemail',
            },
            delivery: deliveryMarker(deliveryId, now),
          });
          return 'applied';
        case 'move': {
          const version = fromState.snapshot.contact?.version ?? 0;
          await deps.contacts.moveContact({
            now,
            from: { contactId: from.contactId, version },
            to: { ...to, email: change.to, suppression: toSuppression },
            plan: decision.plan,
            source: 'mailchimp',
            withdrawalSource: 'suppression',
            reason: 'mailchimp_upemail',
            forwardUntil: toEpochSeconds(now) + FORWARD_SECONDS,
            delivery: deliveryMarker(deliveryId, now),
          });
          log.info('mailchimp_upemail_moved', {
            topics: decision.plan.topics.length,
            withdrawn: decision.plan.topics.filter((topic) => topic.withdrawnByMove).length,
          });
          return 'applied';
        }
      }
    },
    // The same delivery applied meanwhile (a concurrent retry): done.
    async () => ((await deps.contacts.hasDelivery(deliveryId, deps.clock())) ? 'unchanged' : undefined),
  );
}

function deliveryMarker(id: string, now: Date): { id: string; expiresAt: number } {
  return { id, expiresAt: toEpochSeconds(addDays(now, DELIVERY_MEMORY_DAYS)) };
}

/** e.g. `mailchimp_unsubscribe:manual`, `mailchimp_cleaned:hard`; MailChimp's reason is a short code. */
function withdrawalReason(delivery: WebhookDelivery): string {
  const given = field(delivery, 'reason');
  const code = given && /^[a-z_]{1,30}$/.test(given) ? `:${given}` : '';
  return `mailchimp_${delivery.type}${code}`;
}
