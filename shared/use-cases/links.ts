/**
 * What the links in our emails do: unsubscribe, the preference centre and double opt-in confirmation.
 * Showing a page never writes (mail scanners fetch every link); only a POST changes anything. A link
 * acts only on permissions granted at or before its epoch, so an old email cannot undo a newer consent,
 * and a link sent before a withdrawal from everything can only ask for consent again (double opt-in).
 */
import { ALL_TOPICS, isMailable } from '../domain/consent.ts';
import {
  type ContactChange,
  type ContactSnapshot,
  decideChange,
  type RequestedEvent,
} from '../domain/contact-change.ts';
import type { EmailHasher } from '../domain/hashing.ts';
import type { TopicChoice } from '../domain/preferences.ts';
import { type DeploymentSettings, type MarketingStatement, topicLabel } from '../domain/settings.ts';
import { type KeyRing, type TokenClaims, type TokenPurpose, verifyToken } from '../domain/tokens.ts';
import { log } from '../log.ts';
import type { ContactState, ContactsRepository } from '../ports/contacts-store.ts';
import type { QueuedMessage } from '../ports/mailer.ts';
import { queuedEmail } from './queued-email.ts';
import { type ContactDecision, changeContact } from './retry-on-conflict.ts';

export interface LinkDeps {
  readonly config: DeploymentSettings;
  readonly contacts: ContactsRepository;
  readonly emailHasher: () => Promise<EmailHasher>;
  readonly linkKeys: () => Promise<KeyRing>;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** The API's own URL, for links in a confirmation email when the config has no `publicBaseUrl`. */
  readonly linkBaseUrl: string;
}

/** A link that does not verify; every reason looks the same from outside. */
export class InvalidLinkError extends Error {
  override readonly name = 'InvalidLinkError';
}

export async function checkLink(
  deps: LinkDeps,
  token: string | undefined,
  purpose: TokenPurpose,
): Promise<TokenClaims> {
  const check = verifyToken(await deps.linkKeys(), token, purpose, deps.clock());
  if (!check.ok) {
    log.info('link_refused', { purpose, reason: check.reason });
    throw new InvalidLinkError(`The ${purpose} link does not verify`);
  }
  return check.claims;
}

export type { TopicChoice };

export type PreferencesView =
  | { readonly kind: 'none' }
  | { readonly kind: 'topics'; readonly topics: readonly TopicChoice[] };

/** The preference centre's current view for the link holder (a read, no write). */
export async function viewPreferences(deps: LinkDeps, claims: TokenClaims): Promise<PreferencesView> {
  const { state } = await readLinkedContact(deps, claims.contactId, deps.clock());
  if (!state.contact) return { kind: 'none' };
  return { kind: 'topics', topics: choices(deps.config, state, claims) };
}

export type LinkResult = 'changed' | 'unchanged';

/** Withdraws every permission the link covers and suppresses the address. Repeats are harmless. */
export async function unsubscribe(deps: LinkDeps, claims: TokenClaims): Promise<LinkResult> {
  return applyChange(deps, claims, 'link', 'unsubscribe_link', (state) => withdrawAllRequests(state, claims));
}

/** Confirms the double opt-in requests the link was sent for. */
export async function confirm(deps: LinkDeps, claims: TokenClaims): Promise<LinkResult> {
  return applyChange(deps, claims, 'link', undefined, (state) =>
    [...state.snapshot.topics.values()]
      .filter((topic) => topic.status === 'pending' && topic.epoch <= claims.epoch)
      .map((topic): RequestedEvent => ({ type: 'consent_confirmed', topic: topic.topic })),
  );
}

/**
 * Applies the preference centre's form: ticked topics the person may now receive (express consent,
 * with the centre's statement), unticked ones withdrawn. `everything: true` is "unsubscribe from all".
 */
export async function savePreferences(
  deps: LinkDeps,
  claims: TokenClaims,
  choice: { readonly everything: boolean; readonly ticked: ReadonlySet<string> },
): Promise<LinkResult> {
  if (choice.everything) {
    return applyChange(deps, claims, 'preference_centre', 'unsubscribe_all', (state) =>
      withdrawAllRequests(state, claims),
    );
  }
  const statement = deps.config.preferenceCentre.statement;
  return applyChange(
    deps,
    claims,
    'preference_centre',
    'preference_centre',
    (state, snapshot) => {
      // Only what the page offers (the deployment's topics, under the centre's statement) can be asked for.
      const grant = sentBeforeWithdrawalFromEverything(snapshot, claims)
        ? 'consent_requested'
        : 'consent_given';
      return choices(deps.config, state, claims).flatMap((topic): RequestedEvent[] => {
        if (topic.newerThanLink) return [];
        const on = isMailable(topic.status) || topic.status === 'pending';
        if (choice.ticked.has(topic.id) && !on) return [{ type: grant, topic: topic.id }];
        if (!choice.ticked.has(topic.id) && on) return [{ type: 'withdrawn', topic: topic.id }];
        return [];
      });
    },
    statement,
  );
}

/**
 * Whether the link was sent before the person withdrew from everything (a one-click unsubscribe, an
 * objection, MailChimp's unsubscribe). Such a link may be old, forwarded or leaked: a consent through it
 * must be confirmed from the mailbox (double opt-in) before it lifts the suppression. The withdrawal's
 * time is that of the latest withdrawn permission; a link from the same second counts as older.
 */
function sentBeforeWithdrawalFromEverything(snapshot: ContactSnapshot, claims: TokenClaims): boolean {
  if (!snapshot.suppression?.all) return false;
  const withdrawnAt = Math.max(
    0,
    ...[...snapshot.topics.values()]
      .filter((topic) => topic.status === 'withdrawn')
      .map((topic) => Date.parse(topic.since)),
  );
  return withdrawnAt === 0 || claims.issuedAt * 1000 <= withdrawnAt + 999;
}

function withdrawAllRequests(state: ContactState, claims: TokenClaims): RequestedEvent[] {
  const epoch = state.snapshot.contact?.epoch ?? 0;
  // Nothing newer than the link: withdraw everything, present and future, in one event.
  if (claims.epoch >= epoch) return [{ type: 'withdrawn', topic: ALL_TOPICS }];
  return [...state.snapshot.topics.values()]
    .filter((topic) => topic.epoch <= claims.epoch && topic.status !== 'withdrawn')
    .map((topic): RequestedEvent => ({ type: 'withdrawn', topic: topic.topic }));
}

function choices(config: DeploymentSettings, state: ContactState, claims: TokenClaims): TopicChoice[] {
  return config.topics.map((topic) => {
    const held = state.snapshot.topics.get(topic.id);
    return {
      id: topic.id,
      label: topic.label,
      status: held?.status ?? 'none',
      newerThanLink: held !== undefined && held.epoch > claims.epoch && held.status !== 'withdrawn',
    };
  });
}

async function applyChange(
  deps: LinkDeps,
  claims: TokenClaims,
  source: 'link' | 'preference_centre',
  reason: string | undefined,
  requestsFor: (state: ContactState, snapshot: ContactSnapshot) => RequestedEvent[],
  statement?: MarketingStatement,
): Promise<LinkResult> {
  return changeContact(deps, {
    locate: async (now) => {
      const { contactId, state } = await readLinkedContact(deps, claims.contactId, now);
      // Gone (expired or erased): nothing is held, so nothing can be sent. Answered as a success.
      if (!state.contact) return undefined;
      const hasher = await deps.emailHasher();
      return { contactId, state, suppressionHash: hasher.suppressionHash(state.contact.email) };
    },
    decide: (read, now): ContactDecision<LinkResult> => {
      const contact = read?.state.contact;
      if (!read || !contact) return { outcome: 'unchanged' };
      const { contactId, suppressionHash, state, snapshot } = read;
      const change: ContactChange = decideChange(snapshot, requestsFor(state, snapshot), {
        now,
        retention: deps.config.retention,
        allTopics: deps.config.topics.map((topic) => topic.id),
        source,
        actor: source === 'link' ? 'link holder' : 'preference centre',
        statement,
        reason,
        linkEpoch: claims.epoch,
        newEventId: deps.newId,
      });
      if (change.events.length === 0 && !change.suppression) return { outcome: 'unchanged' };
      return {
        outcome: 'changed',
        write: {
          contact: {
            now,
            contactId,
            suppressionHash,
            // Unchanged, but copied onto every topic item written so lists need no second read.
            email: contact.email,
            name: contact.name,
            snapshot,
            change,
            source,
            reason,
          },
          outbox: confirmationFor(deps, { contactId, email: contact.email, change, now }, statement),
        },
        written: () => log.info('link_applied', { source, events: change.events.length, reason }),
      };
    },
  });
}

/**
 * The double opt-in email for the consent a link asked for (its links signed by the mailer), queued with
 * the change: the person is never left pending without it.
 */
function confirmationFor(
  deps: LinkDeps,
  requested: { contactId: string; email: string; change: ContactChange; now: Date },
  statement: MarketingStatement | undefined,
): QueuedMessage[] {
  const asked = requested.change.events.filter((event) => event.type === 'consent_requested');
  if (!statement || asked.length === 0) return [];
  return [
    queuedEmail(deps.newId(), requested.now, {
      kind: 'confirmation',
      to: requested.email,
      contactId: requested.contactId,
      epoch: requested.change.contactEpoch,
      issuedAt: requested.now.toISOString(),
      baseUrl: deps.config.publicBaseUrl ?? deps.linkBaseUrl,
      topicLabels: asked.map((event) => topicLabel(deps.config.topics, event.topic)),
      statement: statement.text,
    }),
  ];
}

/**
 * The contact a link names. If it moved to a new address after the email was sent (MailChimp's address
 * change), the link follows it: it carried its epoch along, so the link still acts only on what it covered.
 */
async function readLinkedContact(
  deps: LinkDeps,
  contactId: string,
  now: Date,
): Promise<{ readonly contactId: string; readonly state: ContactState }> {
  const state = await deps.contacts.readContact(contactId, now);
  if (state.contact) return { contactId, state };
  const current = await deps.contacts.currentContactId(contactId, now);
  if (current === contactId) return { contactId, state };
  return { contactId: current, state: await deps.contacts.readContact(current, now) };
}
