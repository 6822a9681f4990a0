/**
 * Synthetic people for local mode's seed data, made by the system's own rules: each person's form posts go
 * through `interpretSubmission` and every step of their history (a form post, a confirmation link, the
 * preference centre, an unsubscribe) through `decideChange`, exactly as the real flows would. Nobody is
 * real: names come from short lists and addresses are on the reserved `example.*` domains.
 *
 * Person `n` of seed `s` depends only on `(s, n)`, so any range can be generated on its own and again.
 * The mix (`SEED_MIX`, percent of people):
 *
 * | kind | history |
 * |---|---|
 * | `consent` 34 | the consent form, confirmed by its double opt-in link (or consent at once without one) |
 * | `soft_opt_in` 28 | the quote form, opt-out not taken (PECR soft opt-in) |
 * | `both` 12 | both of the above, in either order |
 * | `pending` 6 | the consent form within `pendingDays`, not confirmed yet |
 * | `withdrawn` 6 | a grant, later switched off in the preference centre (one topic of two, or the only one) |
 * | `suppressed` 5 | a grant, then the unsubscribe link: everything withdrawn and the address suppressed |
 * | `expired` 4 | a grant whose retention has run out: TTL has passed and the sweeper will delete it |
 * | `restricted` 2 | a consent or soft opt-in, restricted by the privacy lead (kept, listed nowhere) |
 * | `refused` 3 | the quote form with the opt-out ticked: an enquiry and a suppression entry, no contact |
 *
 * Grants are spread over each basis' retention period, so `since` varies. A person with no live
 * permission is kept only `withdrawnDays`, so single withdrawals are made within that window (older ones
 * would have left nothing but the suppression entry). Each form post within `enquiryMonths` leaves its
 * enquiry. A person's steps are written as one new contact: items, events and suppression are what the
 * steps decided, but the profile reads as created at the last step (version 1), and every topic item
 * carries the last step's `source`.
 */
import type { FormConfig, RuntimeConfig } from '../shared/config/schema.ts';
import { ALL_TOPICS, type EventSource, isMailable, type MailableStatus } from '../shared/domain/consent.ts';
import {
  type ChangeContext,
  type ConsentEvent,
  type ContactChange,
  type ContactSnapshot,
  decideChange,
  type RequestedEvent,
  type TopicPermission,
} from '../shared/domain/contact-change.ts';
import { interpretSubmission } from '../shared/domain/enquiry.ts';
import type { EmailHasher } from '../shared/domain/hashing.ts';
import { addMonths, expiryFor, toEpochSeconds } from '../shared/domain/retention.ts';
import type { ContactWrite, ImportedEnquiry, StoredEnquiry } from '../shared/ports/contacts-store.ts';
import { requestsFor } from '../shared/use-cases/submit-enquiry.ts';
import {
  type Identity,
  makeIdentity,
  personRandom,
  pickWeighted,
  type Random,
  uuidFrom,
} from './seed-identities.ts';

export type SeedKind =
  | 'consent'
  | 'soft_opt_in'
  | 'both'
  | 'pending'
  | 'withdrawn'
  | 'suppressed'
  | 'expired'
  | 'restricted'
  | 'refused';

/** Percent of people of each kind (kinds the config cannot produce are left out, the rest scaled up). */
export const SEED_MIX: Readonly<Record<SeedKind, number>> = {
  consent: 34,
  soft_opt_in: 28,
  both: 12,
  pending: 6,
  withdrawn: 6,
  suppressed: 5,
  expired: 4,
  restricted: 2,
  refused: 3,
};

export const SEED_KINDS = Object.keys(SEED_MIX) as SeedKind[];

export interface SeedOptions {
  readonly seed: number;
  /** Histories end at this time; what is mailable is as of it. */
  readonly now: Date;
  readonly config: RuntimeConfig;
  readonly hasher: EmailHasher;
}

export interface MailableTopic {
  readonly topic: string;
  readonly basis: MailableStatus;
}

export interface SeedPerson {
  readonly index: number;
  readonly kind: SeedKind;
  /** Absent when nothing about the person is kept but a suppression entry. */
  readonly contact: ContactWrite | undefined;
  readonly enquiries: readonly ImportedEnquiry[];
  /** What the marketing lists must show for this person at `now`. */
  readonly mailable: readonly MailableTopic[];
}

/** The demo pages forms are posted from (origin and path, as recorded on consent events). */
const PAGE_ORIGIN = 'https://www.example.co.uk';

/** Every kind once, first: any seed of this many people or more shows the whole mix. */
const FIRST_KINDS: readonly SeedKind[] = [
  'consent',
  'soft_opt_in',
  'both',
  'pending',
  'withdrawn',
  'suppressed',
  'expired',
  'restricted',
  'refused',
];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** People `from` to `from + count - 1` of the seed. */
export function* seedPeople(options: SeedOptions, from: number, count: number): Generator<SeedPerson> {
  const forms = marketingForms(options.config);
  const kinds = FIRST_KINDS.filter((kind) => canMake(kind, forms));
  const weights = kinds.map((kind) => SEED_MIX[kind]);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  for (let index = from; index < from + count; index++) {
    const random = personRandom(options.seed, index);
    const kind =
      index < kinds.length ? (kinds[index] as SeedKind) : pickWeighted(kinds, weights, total, random);
    yield makePerson(options, forms, index, kind, random);
  }
}

interface MarketingForms {
  /** The form that asks for express consent (`marketing_consent`), if any. */
  readonly consent: FormConfig | undefined;
  /** The sales form that offers the soft opt-in's opt-out, if any. */
  readonly softOptIn: FormConfig | undefined;
}

function marketingForms(config: RuntimeConfig): MarketingForms {
  const forms = {
    consent: config.forms.find((form) => form.marketing.mode === 'consent'),
    softOptIn: config.forms.find((form) => form.marketing.mode === 'soft_opt_in'),
  };
  if (!forms.consent && !forms.softOptIn)
    throw new Error('The config has no form that records marketing permission: nothing to seed');
  return forms;
}

function canMake(kind: SeedKind, forms: MarketingForms): boolean {
  switch (kind) {
    case 'consent':
      return forms.consent !== undefined;
    case 'pending':
      return (
        forms.consent?.marketing.mode === 'consent' &&
        forms.consent.marketing.confirmation === 'double_opt_in'
      );
    case 'soft_opt_in':
    case 'refused':
      return forms.softOptIn !== undefined;
    case 'both':
      return forms.consent !== undefined && forms.softOptIn !== undefined;
    default:
      return true;
  }
}

/** One thing that happens to a person, in time order. */
type Step =
  | { readonly at: Date; readonly kind: 'form'; readonly form: FormConfig; readonly optOut?: boolean }
  | { readonly at: Date; readonly kind: 'confirm' }
  | { readonly at: Date; readonly kind: 'preferences_off'; readonly topic: string }
  | { readonly at: Date; readonly kind: 'unsubscribe' };

function makePerson(
  options: SeedOptions,
  forms: MarketingForms,
  index: number,
  kind: SeedKind,
  random: Random,
): SeedPerson {
  const identity = makeIdentity(options.seed, index, random);
  const steps = historyOf(kind, options, forms, random);
  const email = identity.email;
  const contactId = options.hasher.contactId(email);
  const suppressionHash = options.hasher.suppressionHash(email);
  const newId = () => uuidFrom(random);

  let snapshot: ContactSnapshot = { contact: undefined, topics: new Map(), suppression: undefined };
  const events: ConsentEvent[] = [];
  const enquiries: ImportedEnquiry[] = [];
  let last:
    | { change: ContactChange; step: Step; source: EventSource; reason: string | undefined }
    | undefined;
  let statement: ContactChange['statement'];
  let refused = 0;
  let checksSuppression = false;
  const linkEpochs: LinkEpochs = { latestEmail: 0, confirmation: 0 };

  for (const step of steps) {
    const decided = decideStep(options, step, snapshot, identity, linkEpochs, newId);
    const { change } = decided;
    if (
      decided.enquiry &&
      expiryFor('enquiry', step.at, options.config.retention) > toEpochSeconds(options.now)
    )
      enquiries.push({
        enquiryId: newId(),
        formId: decided.enquiry.formId,
        receivedAt: step.at.toISOString(),
        fields: decided.enquiry.fields,
        contactId: change.writesContact ? contactId : undefined,
        expiresAt: expiryFor('enquiry', step.at, options.config.retention),
        // Every seeded post has an address: its reference goes to that person, as the intake's does.
        sender: contactId,
      });
    events.push(...change.events);
    statement = change.statement ?? statement;
    refused += change.refused;
    checksSuppression ||= change.requiresUnchangedSuppression;
    snapshot = after(snapshot, change);
    if (step.kind === 'form' && change.events.length > 0 && step.form.marketing.mode !== 'none') {
      // The confirmation or welcome email this post sets off carries the epoch it was sent at.
      linkEpochs.latestEmail = change.contactEpoch;
      if (step.form.marketing.mode === 'consent') linkEpochs.confirmation = change.contactEpoch;
    }
    last = { change, step, source: decided.source, reason: decided.reason };
  }
  if (!last) throw new Error(`No history for a ${kind} person`);

  const restricted = kind === 'restricted';
  const contactKept = snapshot.contact !== undefined;
  const change: ContactChange = {
    topics: contactKept ? [...snapshot.topics.values()] : [],
    events: contactKept ? events : [],
    suppression: snapshot.suppression,
    writesContact: contactKept,
    contactEpoch: snapshot.contact?.epoch ?? 0,
    contactExpiresAt: last.change.contactExpiresAt,
    statement: contactKept ? statement : undefined,
    refused,
    requiresUnchangedSuppression: checksSuppression,
  };
  const nowSeconds = toEpochSeconds(options.now);
  const mailable = restricted
    ? []
    : change.topics
        .filter((topic) => isMailable(topic.status) && topic.expiresAt > nowSeconds)
        .map((topic) => ({ topic: topic.topic, basis: topic.status as MailableStatus }));
  const contact: ContactWrite | undefined =
    contactKept || change.suppression
      ? {
          now: last.step.at,
          contactId,
          suppressionHash,
          email,
          name: identity.name,
          // Written as a new contact: what the steps decided, with nothing read before them.
          snapshot: { contact: undefined, topics: new Map(), suppression: undefined },
          change,
          source: last.source,
          reason: last.reason,
          restricted,
        }
      : undefined;
  return { index, kind, contact, enquiries, mailable };
}

/** The subscription epoch in the links a person holds: those of their latest email, and of the confirmation. */
interface LinkEpochs {
  latestEmail: number;
  confirmation: number;
}

interface DecidedStep {
  readonly change: ContactChange;
  readonly source: EventSource;
  readonly reason: string | undefined;
  readonly enquiry?: { readonly formId: string; readonly fields: StoredEnquiry['fields'] };
}

/** What the real flow for `step` decides: the intake for a form, the link routes for the rest. */
function decideStep(
  options: SeedOptions,
  step: Step,
  snapshot: ContactSnapshot,
  identity: Identity,
  linkEpochs: LinkEpochs,
  newEventId: () => string,
): DecidedStep {
  const { config } = options;
  const base: Omit<ChangeContext, 'source' | 'actor'> = {
    now: step.at,
    retention: config.retention,
    allTopics: config.topics.map((topic) => topic.id),
    newEventId,
  };
  switch (step.kind) {
    case 'form': {
      const submission = interpretSubmission(config, formFields(step.form, identity, step.optOut === true));
      if (submission.kind !== 'valid' || submission.marketing.kind === 'none')
        throw new Error(`The seed's ${step.form.id} form post was not accepted as a marketing choice`);
      const { marketing } = submission;
      const reason = marketing.kind === 'refusal' ? 'refused_at_collection' : undefined;
      const change = decideChange(snapshot, requestsFor(step.form, marketing), {
        ...base,
        source: 'form',
        actor: 'visitor',
        formId: step.form.id,
        page: `${PAGE_ORIGIN}/${step.form.id}`,
        method: 'html_form',
        statement: marketing.statement,
        reason,
      });
      return {
        change,
        source: 'form',
        reason,
        ...(step.form.store ? { enquiry: { formId: step.form.id, fields: submission.fields } } : {}),
      };
    }
    case 'confirm': {
      // As the confirmation link does: the pending requests its email was sent for.
      const epoch = linkEpochs.confirmation;
      const requests = [...snapshot.topics.values()]
        .filter((topic) => topic.status === 'pending' && topic.epoch <= epoch)
        .map((topic): RequestedEvent => ({ type: 'consent_confirmed', topic: topic.topic }));
      const change = decideChange(snapshot, requests, {
        ...base,
        source: 'link',
        actor: 'link holder',
        linkEpoch: epoch,
      });
      return { change, source: 'link', reason: undefined };
    }
    case 'preferences_off': {
      const change = decideChange(snapshot, [{ type: 'withdrawn', topic: step.topic }], {
        ...base,
        source: 'preference_centre',
        actor: 'preference centre',
        statement: config.preferenceCentre.statement,
        reason: 'preference_centre',
        linkEpoch: linkEpochs.latestEmail,
      });
      return { change, source: 'preference_centre', reason: 'preference_centre' };
    }
    case 'unsubscribe': {
      // The link in the latest email: nothing is newer than it, so everything goes, in one event.
      const change = decideChange(snapshot, [{ type: 'withdrawn', topic: ALL_TOPICS }], {
        ...base,
        source: 'link',
        actor: 'link holder',
        reason: 'unsubscribe_link',
        linkEpoch: linkEpochs.latestEmail,
      });
      return { change, source: 'link', reason: 'unsubscribe_link' };
    }
  }
}

/** The state a written change leaves, as the next read would see it. */
function after(snapshot: ContactSnapshot, change: ContactChange): ContactSnapshot {
  const topics = new Map(snapshot.topics);
  for (const topic of change.topics) topics.set(topic.topic, topic);
  const next = change.suppression;
  const suppression = !next
    ? snapshot.suppression
    : next.all || next.topics.size > 0
      ? { ...next, version: (snapshot.suppression?.version ?? 0) + 1 }
      : undefined;
  const contact = change.writesContact
    ? { version: (snapshot.contact?.version ?? 0) + 1, epoch: change.contactEpoch }
    : snapshot.contact;
  return { contact, topics: contact ? topics : new Map<string, TopicPermission>(), suppression };
}

/** What the person types into a form; `interpretSubmission` keeps what the form keeps. */
function formFields(form: FormConfig, identity: Identity, optOut: boolean): Map<string, string[]> {
  const fields = new Map<string, string[]>([
    ['form', [form.id]],
    ['name', [identity.name]],
    ['email', [identity.email]],
    ['phone', [identity.phone]],
    ['message', [identity.message]],
    ['topic', [identity.subject]],
    [form.honeypot, ['']],
  ]);
  if (identity.company) fields.set('company', [identity.company]);
  if (form.marketing.mode === 'consent') fields.set('marketing_consent', ['yes']);
  if (form.marketing.mode === 'soft_opt_in' && optOut) fields.set('marketing_opt_out', ['yes']);
  return fields;
}

/** The steps of a person of `kind`, oldest first. */
function historyOf(kind: SeedKind, options: SeedOptions, forms: MarketingForms, random: Random): Step[] {
  const { now, config } = options;
  const { retention } = config;
  const daysSince = (months: number) => (now.getTime() - addMonths(now, -months).getTime()) / DAY_MS;
  // Live grants: spread over the retention period, a couple of days clear of its end.
  const consentDays = daysSince(retention.consentMonths) - 2;
  const softDays = daysSince(retention.softOptInMonths) - 2;
  const recentDays = Math.max(1, retention.withdrawnDays - 2);
  const ago = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const within = (days: number) => ago(random() * days);
  const between = (from: Date, to: Date) =>
    new Date(from.getTime() + random() * (to.getTime() - from.getTime()));

  const consentAt = (at: Date): Step[] => {
    const form = forms.consent as FormConfig;
    const steps: Step[] = [{ at, kind: 'form', form }];
    if (form.marketing.mode === 'consent' && form.marketing.confirmation === 'double_opt_in') {
      // Most people click the link within the hour; a few take days.
      const delay = random() < 0.8 ? random() * HOUR_MS : random() * 3 * DAY_MS;
      steps.push({ at: new Date(Math.min(at.getTime() + delay, now.getTime())), kind: 'confirm' });
    }
    return steps;
  };
  const softAt = (at: Date, optOut = false): Step[] => [
    { at, kind: 'form', form: forms.softOptIn as FormConfig, optOut },
  ];
  const preferConsent = () => forms.consent !== undefined && (!forms.softOptIn || random() < 0.5);
  /** A consent or soft opt-in given some time before `before` (its confirmation too). */
  const grantBefore = (before: Date): Step[] => {
    const useConsent = preferConsent();
    const spanDays = (useConsent ? consentDays : softDays) - recentDays;
    const at = new Date(before.getTime() - random() * spanDays * DAY_MS - 4 * DAY_MS);
    return useConsent ? consentAt(at) : softAt(at);
  };
  const both = (): Step[] =>
    [...consentAt(within(consentDays)), ...softAt(within(softDays))].sort(
      (a, b) => a.at.getTime() - b.at.getTime(),
    );

  switch (kind) {
    case 'consent':
      return consentAt(within(consentDays));
    case 'soft_opt_in':
      return softAt(within(softDays));
    case 'both':
      return both();
    case 'pending':
      return [
        {
          at: within(Math.max(1, retention.pendingDays - 2)),
          kind: 'form',
          form: forms.consent as FormConfig,
        },
      ];
    case 'refused':
      return softAt(within(daysSince(retention.enquiryMonths) - 2), true);
    case 'restricted':
      return preferConsent() ? consentAt(within(consentDays)) : softAt(within(softDays));
    case 'withdrawn': {
      const softTopics =
        forms.softOptIn?.marketing.mode === 'soft_opt_in' ? forms.softOptIn.marketing.topics : [];
      if (forms.consent && forms.softOptIn && random() < 0.5) {
        // One topic of two switched off: still mailable about the other.
        const steps = both();
        const lastGrant = steps.at(-1)?.at ?? now;
        const topic = softTopics[0] as string;
        return [...steps, { at: between(lastGrant, now), kind: 'preferences_off', topic }];
      }
      const offAt = within(recentDays);
      const grant = grantBefore(offAt);
      const topic = grantedTopics(grant)[0] as string;
      return [...grant, { at: offAt, kind: 'preferences_off', topic }];
    }
    case 'suppressed': {
      const unsubscribedAt = within(recentDays);
      return [...grantBefore(unsubscribedAt), { at: unsubscribedAt, kind: 'unsubscribe' }];
    }
    case 'expired': {
      // The last interaction was longer ago than the basis keeps it: up to half a year past its expiry.
      const useConsent = preferConsent();
      const months = useConsent ? retention.consentMonths : retention.softOptInMonths;
      const at = new Date(addMonths(now, -months).getTime() - (4 + random() * 180) * DAY_MS);
      return useConsent ? consentAt(at) : softAt(at);
    }
  }
}

function grantedTopics(steps: readonly Step[]): readonly string[] {
  const form = steps.find((step) => step.kind === 'form');
  return form?.kind === 'form' && form.form.marketing.mode !== 'none' ? form.form.marketing.topics : [];
}
