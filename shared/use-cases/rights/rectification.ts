/**
 * The right to rectification: name, phone and company corrected on the contact and on the enquiries that
 * kept them; a new address moves the contact with its whole history (the address-move saga, as for
 * MailChimp's own address changes) and the enquiry references follow. With no contact to move, the old
 * address's suppression still follows the person to the new one. The consent history records that the
 * address changed (`address_changed`) and which other fields were corrected (`details_rectified`), never
 * the values; the request's log names the fields changed.
 */

import { suppressionOnlyChange } from '../../domain/contact-change.ts';
import { decideEmailChange } from '../../domain/contact-move.ts';
import { ConflictError } from '../../domain/errors.ts';
import { staffRecordEvent } from '../../domain/record-only-events.ts';
import { toEpochSeconds } from '../../domain/retention.ts';
import { TOKEN_LIFETIME_SECONDS } from '../../domain/tokens.ts';
import type { RequestedChanges } from '../../ports/subject-requests.ts';
import { retryOnConflict } from '../retry-on-conflict.ts';
import type { Person, StaffAction } from './marketing-rights.ts';
import type { RightsDeps } from './rights-deps.ts';

/** Links in emails already sent name the old id: it forwards for as long as the longest link lives. */
const FORWARD_SECONDS = Math.max(...Object.values(TOKEN_LIFETIME_SECONDS));

export interface RectificationResult {
  readonly fieldsChanged: readonly string[];
  readonly enquiriesChanged: number;
  readonly contactFound: boolean;
  /** The contact now lives under the new address's id. */
  readonly movedTo: string | undefined;
}

/** Fields a correction may change besides the address (which the move records on its own). */
const DETAILS = ['name', 'phone', 'company'] as const;

export async function rectifyData(
  deps: RightsDeps,
  person: Person,
  changes: RequestedChanges,
  staff: Omit<StaffAction, 'reason'>,
): Promise<RectificationResult> {
  const fieldsChanged = ([...DETAILS, 'email'] as const).filter((field) => changes[field] !== undefined);
  let contactId = person.contactId;
  let movedTo: string | undefined;
  if (changes.email !== undefined && changes.email !== person.email) {
    const hasher = await deps.emailHasher();
    const to = {
      contactId: hasher.contactId(changes.email),
      suppressionHash: hasher.suppressionHash(changes.email),
    };
    // The saga carries the enquiry references along with the history.
    await moveToAddress(deps, person, { ...to, email: changes.email }, staff);
    contactId = to.contactId;
    movedTo = to.contactId;
  }
  const details = DETAILS.filter((field) => changes[field] !== undefined);
  const contactFound = await correctDetails(deps, contactId, changes, details, staff);
  // A business contact's details are corrected with the rest (a changed address moves only the contact).
  await deps.relationships.correct(
    contactId,
    { phone: changes.phone, company: changes.company },
    deps.clock(),
  );
  const enquiriesChanged = await deps.personalData.rectifyEnquiries(contactId, {
    name: changes.name,
    phone: changes.phone,
    company: changes.company,
    email: changes.email,
  });
  return { fieldsChanged, enquiriesChanged, contactFound, movedTo };
}

/**
 * The name on the contact, and a `details_rectified` event naming the corrected fields (phone and company
 * live only on the enquiries, but the history still says they were corrected). `false` without a contact.
 */
async function correctDetails(
  deps: RightsDeps,
  contactId: string,
  changes: RequestedChanges,
  details: readonly string[],
  staff: Omit<StaffAction, 'reason'>,
): Promise<boolean> {
  return retryOnConflict(async () => {
    const now = deps.clock();
    const state = await deps.contacts.readContact(contactId, now);
    const contact = state.snapshot.contact;
    if (!state.contact || !contact) return false;
    if (details.length === 0) return true;
    const record = staffRecordEvent(
      'details_rectified',
      {
        now,
        retention: deps.config.retention,
        newEventId: deps.newId,
        actor: staff.actor,
        method: staff.channel,
        epoch: contact.epoch,
      },
      details,
    );
    if (changes.name === undefined) {
      await deps.contacts.recordEvent({ contactId, version: contact.version, event: record });
      return true;
    }
    await deps.contacts.setName({
      now,
      contactId,
      version: contact.version,
      topics: [...state.snapshot.topics.keys()],
      name: changes.name,
      // Not MailChimp's own change: the sync sends the new name there.
      source: 'staff',
      record,
    });
    return true;
  });
}

async function moveToAddress(
  deps: RightsDeps,
  person: Person,
  to: { readonly contactId: string; readonly suppressionHash: string; readonly email: string },
  staff: Omit<StaffAction, 'reason'>,
): Promise<void> {
  // A retry after a crash half-way: carry the rest of the history before anything else.
  await deps.contacts.finishMove(person.contactId, deps.clock());
  await retryOnConflict(async () => {
    const now = deps.clock();
    const [fromState, fromSuppression, toState, toSuppression] = await Promise.all([
      deps.contacts.readContact(person.contactId, now),
      deps.contacts.readSuppression(person.suppressionHash),
      deps.contacts.readContact(to.contactId, now),
      deps.contacts.readSuppression(to.suppressionHash),
    ]);
    const decision = decideEmailChange(
      { ...fromState.snapshot, suppression: fromSuppression },
      { ...toState.snapshot, suppression: toSuppression },
      {
        now,
        retention: deps.config.retention,
        reason: 'rectification:suppressed',
        newEventId: deps.newId,
        by: { source: 'staff', actor: staff.actor, method: staff.channel },
      },
    );
    // Two people's records are never merged blindly: staff resolve an address held by someone else.
    if (decision.kind === 'address_in_use') throw new ConflictError();
    if (decision.kind === 'nothing') return;
    if (decision.kind === 'suppress') {
      // Never more mailable than before: the old address's suppression follows the person.
      await deps.contacts.write({
        contact: {
          now,
          contactId: to.contactId,
          suppressionHash: to.suppressionHash,
          snapshot: { ...toState.snapshot, suppression: toSuppression },
          change: suppressionOnlyChange(decision.suppression, now),
          source: 'staff',
          reason: 'rectification',
        },
      });
      return;
    }
    await deps.contacts.moveContact({
      now,
      from: { contactId: person.contactId, version: fromState.snapshot.contact?.version ?? 0 },
      to: { ...to, suppression: toSuppression },
      plan: decision.plan,
      // Not MailChimp's change: the sync moves the member to the new address.
      source: 'staff',
      withdrawalSource: 'suppression',
      reason: 'rectification',
      forwardUntil: toEpochSeconds(now) + FORWARD_SECONDS,
    });
  });
}
