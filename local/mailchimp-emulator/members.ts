/**
 * The emulated audience's members and MailChimp's rules for them: statuses and which changes the API may
 * make (an unsubscribe or bounce is a compliance state), archiving, permanent deletion (the address can
 * never be re-imported), tags, and the member as the API returns it.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { MemberStatus } from '../../shared/adapters/mailchimp/audience.ts';
import { subscriberHash } from '../../shared/domain/subscriber-hash.ts';
import type { AudienceFields } from './audience-fields.ts';
import {
  complianceState,
  forgottenEmail,
  invalidResource,
  MailchimpEmulatorError,
  notFound,
  ProblemError,
  validate,
} from './problems.ts';

export type SettableStatus = Exclude<MemberStatus, 'archived'>;

/** A member as the API returns it. */
export interface MemberJson {
  readonly id: string;
  readonly email_address: string;
  readonly unique_email_id: string;
  readonly web_id: number;
  readonly email_type: 'html' | 'text';
  readonly status: MemberStatus;
  readonly unsubscribe_reason?: string;
  readonly merge_fields: Record<string, unknown>;
  readonly interests: Record<string, boolean>;
  readonly ip_signup: string;
  readonly timestamp_signup: string;
  readonly ip_opt: string;
  readonly timestamp_opt: string;
  readonly language: string;
  readonly vip: boolean;
  readonly last_changed: string;
  readonly source: string;
  readonly tags_count: number;
  readonly tags: { id: number; name: string }[];
  readonly list_id: string;
}

export interface Member {
  id: string;
  emailAddress: string;
  readonly uniqueEmailId: string;
  readonly webId: number;
  emailType: 'html' | 'text';
  status: MemberStatus;
  /** Kept so restoring an archived member still respects an earlier unsubscribe or bounce. */
  statusBeforeArchive: SettableStatus | undefined;
  unsubscribeReason: string | undefined;
  mergeFields: Record<string, unknown>;
  interests: Record<string, boolean>;
  readonly tags: Map<string, Date>;
  ipSignup: string;
  timestampSignup: string;
  ipOpt: string;
  timestampOpt: string;
  language: string;
  vip: boolean;
  lastChanged: Date;
  /** Orders members changed within the same second. */
  changeSequence: number;
}

export const settableStatus = z.enum(['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional']);

const memberFields = {
  email_type: z.enum(['html', 'text']).optional(),
  status: settableStatus.optional(),
  merge_fields: z.record(z.string(), z.unknown()).optional(),
  interests: z.record(z.string(), z.boolean()).optional(),
  language: z.string().optional(),
  vip: z.boolean().optional(),
  ip_signup: z.string().optional(),
  timestamp_signup: z.string().optional(),
  ip_opt: z.string().optional(),
  timestamp_opt: z.string().optional(),
};

// Unknown fields (PUT's `tags` among them) are ignored, as MailChimp ignores them.
const putMemberBody = z.object({
  email_address: z.string().min(1),
  status_if_new: settableStatus.optional(),
  ...memberFields,
});

const patchMemberBody = z.object({ email_address: z.string().min(1).optional(), ...memberFields });

const tagsBody = z.object({
  tags: z.array(
    z.object({ name: z.string().trim().min(1).max(100), status: z.enum(['active', 'inactive']) }),
  ),
  is_syncing: z.boolean().optional(),
});

export interface MemberStoreState {
  readonly members: [string, Member][];
  readonly forgotten: string[];
  readonly tagIds: [string, number][];
  readonly nextWebId: number;
  readonly changeSequence: number;
}

export class MemberStore {
  #members = new Map<string, Member>();
  /** Hashes of permanently deleted members: MailChimp refuses to re-import them. */
  #forgotten = new Set<string>();
  #tagIds = new Map<string, number>();
  #nextWebId = 1;
  #changeSequence = 0;

  constructor(
    private readonly listId: string,
    private readonly fields: AudienceFields,
    private readonly now: () => Date,
  ) {}

  /** Everything the store holds, as plain data (Maps and Dates included) that `restore` takes back. */
  saved(): MemberStoreState {
    return {
      members: [...this.#members.entries()],
      forgotten: [...this.#forgotten],
      tagIds: [...this.#tagIds.entries()],
      nextWebId: this.#nextWebId,
      changeSequence: this.#changeSequence,
    };
  }

  /** Replaces everything with what `saved` gave (local mode's `--persist` across a restart). */
  restore(state: MemberStoreState): void {
    this.#members = new Map(state.members);
    this.#forgotten = new Set(state.forgotten);
    this.#tagIds = new Map(state.tagIds);
    this.#nextWebId = state.nextWebId;
    this.#changeSequence = state.changeSequence;
  }

  /** Forgets every member and every permanent deletion. */
  reset(): void {
    this.#members = new Map();
    this.#forgotten = new Set();
    this.#tagIds = new Map();
    this.#nextWebId = 1;
  }

  /** Every member except those permanently deleted, archived ones included, oldest change first. */
  sorted(): Member[] {
    return [...this.#members.values()].sort(
      (a, b) =>
        wholeSeconds(a.lastChanged) - wholeSeconds(b.lastChanged) || a.changeSequence - b.changeSequence,
    );
  }

  count(predicate: (member: Member) => boolean): number {
    return [...this.#members.values()].filter(predicate).length;
  }

  /** The member a path's `subscriber_hash` names (MailChimp also accepts the address itself). */
  existing(subscriberHashOrEmail: string | undefined): Member {
    const member = this.#members.get(hashFrom(subscriberHashOrEmail));
    if (!member) throw notFound();
    return member;
  }

  /** PUT: adds or updates a member, within the status rules. */
  put(subscriberHashOrEmail: string | undefined, body: unknown): Member {
    const hash = hashFrom(subscriberHashOrEmail);
    const input = validate(putMemberBody, body);
    if (subscriberHash(input.email_address) !== hash) throw notFound();
    if (this.#forgotten.has(hash)) throw forgottenEmail(input.email_address);
    const existing = this.#members.get(hash);

    // An archived contact stays archived unless the body names a status: `status_if_new` does not apply.
    if (!existing || (existing.status === 'archived' && input.status !== undefined)) {
      const status = input.status ?? input.status_if_new;
      if (status === undefined) {
        throw invalidResource([{ field: 'status_if_new', message: 'Required for a new member' }]);
      }
      checkTransition(existing?.statusBeforeArchive, status, input.email_address);
      this.#checkRequiredMergeFields(existing?.mergeFields ?? {}, input.merge_fields ?? {});
      const member = existing ?? this.#newMember(hash, input.email_address);
      member.emailAddress = input.email_address;
      this.applyFields(member, input);
      this.#setStatus(member, status);
      member.statusBeforeArchive = undefined;
      if (!existing) this.#members.set(hash, member);
      this.touch(member);
      return member;
    }

    // Here the member is archived only when no status was given.
    const { status } = input;
    if (status !== undefined && existing.status !== 'archived') {
      checkTransition(existing.status, status, input.email_address);
    }
    return this.#update(existing, () => {
      existing.emailAddress = input.email_address;
      this.applyFields(existing, input);
      if (input.status !== undefined) this.#setStatus(existing, input.status);
    });
  }

  /** PATCH: changes an existing member, its address included, within the status rules. */
  patch(subscriberHashOrEmail: string | undefined, body: unknown): Member {
    const member = this.existing(subscriberHashOrEmail);
    const input = validate(patchMemberBody, body);
    const from = member.status === 'archived' ? member.statusBeforeArchive : member.status;
    if (input.status !== undefined) checkTransition(from, input.status, member.emailAddress);
    const newEmail = input.email_address;
    if (newEmail !== undefined && subscriberHash(newEmail) !== member.id) {
      if (this.#members.has(subscriberHash(newEmail))) {
        throw new ProblemError(400, 'Member Exists', `${newEmail} is already a list member.`);
      }
      if (this.#forgotten.has(subscriberHash(newEmail))) throw forgottenEmail(newEmail);
    }
    return this.#update(member, () => {
      this.applyFields(member, input);
      if (newEmail !== undefined) this.rekey(member, newEmail);
      if (input.status !== undefined) {
        this.#setStatus(member, input.status);
        member.statusBeforeArchive = undefined;
      }
    });
  }

  /** DELETE: archives the member, remembering its status for a later restore. */
  archive(subscriberHashOrEmail: string | undefined): void {
    const member = this.existing(subscriberHashOrEmail);
    if (member.status === 'archived') return;
    member.statusBeforeArchive = member.status;
    member.status = 'archived';
    this.touch(member);
  }

  /** Removes the member for good: its address can never be imported again. */
  deletePermanently(subscriberHashOrEmail: string | undefined): void {
    const member = this.existing(subscriberHashOrEmail);
    this.#members.delete(member.id);
    this.#forgotten.add(member.id);
  }

  tagsOf(subscriberHashOrEmail: string | undefined): { id: number; name: string; date_added: string }[] {
    return [...this.existing(subscriberHashOrEmail).tags].map(([name, added]) => ({
      id: this.#tagId(name),
      name,
      date_added: mailchimpTime(added),
    }));
  }

  updateTags(subscriberHashOrEmail: string | undefined, body: unknown): void {
    const member = this.existing(subscriberHashOrEmail);
    const input = validate(tagsBody, body);
    for (const { name, status } of input.tags) {
      if (status === 'inactive') member.tags.delete(name);
      else if (!member.tags.has(name)) member.tags.set(name, this.now());
    }
  }

  /** The member a `/__local/mailchimp/*` helper acts on. */
  helperMember(email: string): Member {
    const member = this.#members.get(subscriberHash(email));
    if (!member) throw new MailchimpEmulatorError(404, 'No such member in the audience');
    return member;
  }

  /** True when the address is a member, or was one and was permanently deleted. */
  isKnown(email: string): boolean {
    const hash = subscriberHash(email);
    return this.#members.has(hash) || this.#forgotten.has(hash);
  }

  applyFields(member: Member, input: z.infer<typeof patchMemberBody>): void {
    const known = new Set(this.fields.mergeFields.map((field) => field.tag));
    const interestIds = new Set(this.fields.interests.map((interest) => interest.id));
    for (const id of Object.keys(input.interests ?? {})) {
      if (!interestIds.has(id))
        throw invalidResource([{ field: 'interests', message: `Invalid interest ID: '${id}'` }]);
    }
    // Values for tags the audience does not have are dropped, as MailChimp drops them.
    for (const [tag, value] of Object.entries(input.merge_fields ?? {})) {
      if (known.has(tag.toUpperCase())) member.mergeFields[tag.toUpperCase()] = value;
    }
    Object.assign(member.interests, input.interests ?? {});
    if (input.email_type !== undefined) member.emailType = input.email_type;
    if (input.language !== undefined) member.language = input.language;
    if (input.vip !== undefined) member.vip = input.vip;
    if (input.ip_signup !== undefined) member.ipSignup = input.ip_signup;
    if (input.timestamp_signup !== undefined) member.timestampSignup = input.timestamp_signup;
    if (input.ip_opt !== undefined) member.ipOpt = input.ip_opt;
    if (input.timestamp_opt !== undefined) member.timestampOpt = input.timestamp_opt;
  }

  rekey(member: Member, newEmail: string): void {
    this.#members.delete(member.id);
    member.id = subscriberHash(newEmail);
    member.emailAddress = newEmail;
    this.#members.set(member.id, member);
  }

  /** Moves `last_changed`, which the reconciliation's `since_last_changed` reads. */
  touch(member: Member): void {
    member.lastChanged = this.now();
    this.#changeSequence += 1;
    member.changeSequence = this.#changeSequence;
  }

  toJson(member: Member): MemberJson {
    const mergeFields: Record<string, unknown> = {};
    for (const field of this.fields.mergeFields) mergeFields[field.tag] = member.mergeFields[field.tag] ?? '';
    const interests: Record<string, boolean> = {};
    for (const interest of this.fields.interests)
      interests[interest.id] = member.interests[interest.id] ?? false;
    return {
      id: member.id,
      email_address: member.emailAddress,
      unique_email_id: member.uniqueEmailId,
      web_id: member.webId,
      email_type: member.emailType,
      status: member.status,
      ...(member.status === 'unsubscribed' && member.unsubscribeReason !== undefined
        ? { unsubscribe_reason: member.unsubscribeReason }
        : {}),
      merge_fields: mergeFields,
      interests,
      ip_signup: member.ipSignup,
      timestamp_signup: member.timestampSignup,
      ip_opt: member.ipOpt,
      timestamp_opt: member.timestampOpt,
      language: member.language,
      vip: member.vip,
      last_changed: mailchimpTime(member.lastChanged),
      source: 'API - Generic',
      tags_count: member.tags.size,
      tags: [...member.tags.keys()].map((name) => ({ id: this.#tagId(name), name })),
      list_id: this.listId,
    };
  }

  /** Applies a change, moving `last_changed` only when the member really changed. */
  #update(member: Member, change: () => void): Member {
    const before = JSON.stringify(this.toJson(member));
    change();
    if (JSON.stringify(this.toJson(member)) !== before) this.touch(member);
    return member;
  }

  #tagId(name: string): number {
    let id = this.#tagIds.get(name);
    if (id === undefined) {
      id = this.#tagIds.size + 1;
      this.#tagIds.set(name, id);
    }
    return id;
  }

  #newMember(id: string, emailAddress: string): Member {
    return {
      id,
      emailAddress,
      uniqueEmailId: randomBytes(5).toString('hex'),
      webId: this.#nextWebId++,
      emailType: 'html',
      status: 'pending',
      statusBeforeArchive: undefined,
      unsubscribeReason: undefined,
      mergeFields: {},
      interests: {},
      tags: new Map(),
      ipSignup: '',
      timestampSignup: '',
      ipOpt: '',
      timestampOpt: '',
      language: '',
      vip: false,
      lastChanged: this.now(),
      changeSequence: 0,
    };
  }

  #setStatus(member: Member, status: SettableStatus): void {
    if (member.status === status) return;
    member.status = status;
    if (status === 'unsubscribed') member.unsubscribeReason = 'N/A (Unsubscribed by an admin)';
    else member.unsubscribeReason = undefined;
    if (status === 'subscribed' && member.timestampOpt === '')
      member.timestampOpt = mailchimpTime(this.now());
  }

  #checkRequiredMergeFields(current: Record<string, unknown>, given: Record<string, unknown>): void {
    const provided = new Set(
      [...Object.entries(current), ...Object.entries(given)]
        .filter(([, value]) => value !== undefined && value !== null && value !== '')
        .map(([tag]) => tag.toUpperCase()),
    );
    const missing = this.fields.mergeFields.filter((field) => field.required && !provided.has(field.tag));
    if (missing.length > 0) {
      throw new ProblemError(
        400,
        'Invalid Resource',
        'Your merge fields were invalid.',
        missing.map((field) => ({ field: field.tag, message: 'Please enter a value' })),
      );
    }
  }
}

function hashFrom(given: string | undefined): string {
  const text = given ?? '';
  // MailChimp also accepts the address itself in place of its hash.
  return text.includes('@') ? subscriberHash(text) : text.toLowerCase();
}

/** MailChimp's status rules: an unsubscribe or bounce cannot be undone through the API. */
function checkTransition(from: SettableStatus | undefined, to: SettableStatus, email: string): void {
  if (to === 'cleaned') {
    throw invalidResource([{ field: 'status', message: 'Only MailChimp cleans an address' }]);
  }
  if (from === 'unsubscribed' && to === 'subscribed') throw complianceState(email);
  if (from === 'cleaned' && (to === 'subscribed' || to === 'pending')) throw complianceState(email);
}

/** MailChimp's timestamps: ISO 8601 to the second with an explicit offset. */
export function mailchimpTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** `last_changed` as MailChimp compares it: to the second. */
export function wholeSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000) * 1000;
}
