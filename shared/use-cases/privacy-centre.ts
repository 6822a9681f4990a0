/**
 * The privacy centre: a person asks for a link by email, and the link (signed for this purpose only, for
 * 24 hours, naming the address's contact id) shows what we hold and lets them download it, correct it,
 * change their address (the new one confirms first), restrict processing or lift it, stop all marketing
 * or have everything deleted. Each action is a request in the register, made on the web, identity shown
 * by the link, carried out at once and confirmed by email. Reading changes nothing.
 */
import type { AccessBundle } from '../domain/access-bundle.ts';
import type { FieldErrors, SubmittedFields } from '../domain/enquiry.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { interpretLinkRequest } from '../domain/people-forms.ts';
import type { RequestType } from '../domain/subject-request.ts';
import { verifyToken } from '../domain/tokens.ts';
import { requestDoneEmail } from '../email/privacy-centre-emails.ts';
import { countMetric, log } from '../log.ts';
import type { PersonLinkMessage } from '../ports/mailer.ts';
import type { HeldRecords } from '../ports/personal-data.ts';
import type { RequestInput } from '../ports/subject-requests.ts';
import { checkBot, type PeoplePagesDeps } from './people-pages-deps.ts';
import { queuedEmail } from './queued-email.ts';
import { gatherAccessBundle } from './rights/access.ts';
import type { Person } from './rights/marketing-rights.ts';
import { parseChanges } from './subject-request-input.ts';
import { receivePersonRequest } from './subject-requests.ts';

export type { PeoplePagesDeps };

/** How the register records the identity check of a request made in the privacy centre. */
const VERIFIED_BY = 'privacy_centre_link';

/**
 * Emails a privacy centre link to the address given. The same work and the same answer whether or not we
 * hold anything on it, so the form tells nobody whether an address is known.
 */
export async function sendPrivacyCentreLink(
  deps: PeoplePagesDeps,
  fields: SubmittedFields,
  baseUrl: string,
): Promise<void> {
  const form = interpretLinkRequest(deps.config.peoplePages, fields);
  if (form.kind === 'invalid') throw new InvalidInputError(form.fields);
  if (form.kind === 'spam') {
    // Answered exactly like a success so bots learn nothing; nothing is sent.
    log.info('privacy_centre_link_discarded', { reason: 'honeypot' });
    return;
  }
  await checkBot(deps, form.turnstileToken);
  const hasher = await deps.emailHasher();
  const now = deps.clock();
  const contactId = hasher.contactId(form.email);
  // The mailer signs the link when it sends, so no usable link waits in the table.
  const link: PersonLinkMessage = {
    kind: 'privacy_centre_link',
    to: form.email,
    subjectId: contactId,
    issuedAt: now.toISOString(),
    baseUrl: deps.config.publicBaseUrl ?? baseUrl,
  };
  await deps.mailQueue.queue([queuedEmail(deps.newId(), now, link, contactId)]);
  countMetric('PrivacyCentreLinksSent', 1);
}

/** The person a link was sent for, and what we hold; `nothing` when we hold nothing on the address. */
type Opened =
  | { readonly kind: 'invalid' }
  | { readonly kind: 'nothing' }
  | { readonly kind: 'held'; readonly person: Person; readonly records: HeldRecords };

async function openLink(deps: PeoplePagesDeps, token: unknown): Promise<Opened> {
  const check = verifyToken(await deps.linkKeys(), token, 'privacy', deps.clock());
  if (!check.ok) {
    log.info('link_refused', { purpose: 'privacy', reason: check.reason });
    return { kind: 'invalid' };
  }
  const { contactId } = check.claims;
  // The link carries only the contact id (no address in a URL); the address is read from what we hold.
  const found = await deps.personalData.findHeld(contactId, undefined);
  const email = found.profile?.email ?? found.enquiries.find((enquiry) => enquiry.fields.email)?.fields.email;
  if (!email) return { kind: 'nothing' };
  const hasher = await deps.emailHasher();
  // A link from one address never acts on another: the address found must be the one the link names.
  if (hasher.contactId(email) !== contactId) return { kind: 'nothing' };
  const suppressionHash = hasher.suppressionHash(email);
  const records = await deps.personalData.findHeld(contactId, suppressionHash);
  return { kind: 'held', person: { email, contactId, suppressionHash }, records };
}

export type PrivacyCentreView =
  | { readonly kind: 'invalid' }
  | { readonly kind: 'nothing' }
  | { readonly kind: 'held'; readonly bundle: AccessBundle };

/** What the page shows. Reads only. */
export async function viewPrivacyCentre(deps: PeoplePagesDeps, token: unknown): Promise<PrivacyCentreView> {
  const opened = await openLink(deps, token);
  if (opened.kind !== 'held') return opened;
  return { kind: 'held', bundle: await gatherAccessBundle(deps, opened.person, opened.records) };
}

/**
 * The bundle as JSON text, or `undefined` for a link that does not work. `record`: the person pressed the
 * download button (a POST), which is an access request in the register; a GET only reads.
 */
export async function exportFromPrivacyCentre(
  deps: PeoplePagesDeps,
  token: unknown,
  record: boolean,
): Promise<string | undefined> {
  const opened = await openLink(deps, token);
  if (opened.kind === 'invalid') return undefined;
  if (opened.kind === 'nothing') return JSON.stringify({ held: false }, null, 2);
  const bundle = await gatherAccessBundle(deps, opened.person, opened.records);
  if (record) {
    await logDone(deps, opened.person, 'access', {}, 'Your data was downloaded as a file.');
  }
  return JSON.stringify(bundle, null, 2);
}

export type PrivacyAction =
  | { readonly kind: 'correct'; readonly changes: NonNullable<RequestInput['changes']> }
  | { readonly kind: 'change_email'; readonly email: string }
  | { readonly kind: 'restrict' }
  | { readonly kind: 'lift_restriction' }
  | { readonly kind: 'stop_marketing' }
  | { readonly kind: 'delete'; readonly confirmed: boolean };

const ACTIONS = ['correct', 'change_email', 'restrict', 'lift_restriction', 'stop_marketing', 'delete'];

/** The posted form's action and its fields, checked; reasons name fields, never values. */
export function parsePrivacyAction(fields: SubmittedFields): PrivacyAction {
  const one = (name: string) => {
    const values = fields.get(name) ?? [];
    return values.length === 1 ? values[0]?.trim() : undefined;
  };
  const kind = one('action');
  const errors: FieldErrors = {};
  if (!kind || !ACTIONS.includes(kind)) throw new InvalidInputError({ action: 'invalid' });
  if (kind === 'correct' || kind === 'change_email') {
    const given: Record<string, string> = {};
    for (const name of kind === 'correct' ? ['name', 'phone', 'company'] : ['email']) {
      const value = one(name);
      if (value) given[name] = value;
    }
    const changes = parseChanges(given, errors) ?? {};
    const failed = Object.fromEntries(
      Object.entries(errors).map(([field, reason]) => [
        field.replace(/^changes\.?/, '') || 'changes',
        reason,
      ]),
    ) as FieldErrors;
    if (Object.keys(failed).length > 0) throw new InvalidInputError(failed);
    if (kind === 'change_email') return { kind, email: changes.email ?? '' };
    return { kind, changes };
  }
  if (kind === 'delete') return { kind, confirmed: one('confirm') === 'yes' };
  return { kind } as PrivacyAction;
}

export type PrivacyOutcome =
  | { readonly kind: 'invalid' }
  | { readonly kind: 'nothing' }
  /** Erasure asks once more before anything is deleted. */
  | { readonly kind: 'confirm_delete' }
  | { readonly kind: 'done'; readonly action: PrivacyAction['kind']; readonly reference: string }
  | { readonly kind: 'address_confirmation_sent' };

/** Carries out what the person chose, for the address the link was sent to and no other. */
export async function actInPrivacyCentre(
  deps: PeoplePagesDeps,
  token: unknown,
  action: PrivacyAction,
  baseUrl: string,
): Promise<PrivacyOutcome> {
  const opened = await openLink(deps, token);
  if (opened.kind !== 'held') return opened;
  const { person } = opened;
  const done = async (type: RequestType, input: RequestInput, outcome: string): Promise<PrivacyOutcome> => ({
    kind: 'done',
    action: action.kind,
    reference: await logDone(deps, person, type, input, outcome),
  });
  switch (action.kind) {
    case 'correct':
      return done('rectification', { changes: action.changes }, 'Your details are corrected.');
    case 'change_email': {
      // Logged now, carried out only when the new address confirms by its own link.
      const entry = await receivePersonRequest(deps, {
        type: 'rectification',
        email: person.email,
        input: { changes: { email: action.email } },
        verifiedBy: undefined,
      });
      const now = deps.clock();
      const confirm: PersonLinkMessage = {
        kind: 'address_change',
        to: action.email,
        subjectId: entry.request.id,
        issuedAt: now.toISOString(),
        baseUrl: deps.config.publicBaseUrl ?? baseUrl,
      };
      await deps.mailQueue.queue([queuedEmail(deps.newId(), now, confirm, person.contactId)]);
      return { kind: 'address_confirmation_sent' };
    }
    case 'restrict':
      return done('restriction', {}, 'We keep your data but no longer use it for anything.');
    case 'lift_restriction':
      return done('restriction', { lift: true }, 'We may use your data again.');
    case 'stop_marketing':
      return done('objection', {}, 'You will get no more marketing emails from us.');
    case 'delete':
      if (!action.confirmed) return { kind: 'confirm_delete' };
      return done(
        'erasure',
        {},
        'We have deleted the personal data we held about you. We keep only a coded fingerprint of your address, so that it is never added to our lists again.',
      );
  }
}

/** Logs the request as made and verified by the link, carries it out, and tells the person. */
async function logDone(
  deps: PeoplePagesDeps,
  person: Person,
  type: RequestType,
  input: RequestInput,
  outcome: string,
): Promise<string> {
  const entry = await receivePersonRequest(deps, {
    type,
    email: person.email,
    input,
    verifiedBy: VERIFIED_BY,
  });
  // Sent to the address held before the change: after an erasure the request no longer names it.
  const email = requestDoneEmail({
    to: person.email,
    organisation: deps.config.organisation.name,
    type,
    reference: entry.request.id,
    outcome,
  });
  await deps.mailQueue.queue([queuedEmail(deps.newId(), deps.clock(), { kind: 'request_done', email })]);
  countMetric('PrivacyCentreRequests', 1, { type });
  return entry.request.id;
}
