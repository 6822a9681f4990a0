/**
 * The register of data-subject requests: staff log a request, the person confirms it is theirs by an
 * emailed link when staff could not, a verified request is carried out at once, and staff extend, refuse,
 * close or cancel. Every staff read and action is recorded in the audit trail before the answer leaves.
 */
import { ConflictError, InvalidInputError, NotFoundError } from '../domain/errors.ts';
import { expiryFor } from '../domain/retention.ts';
import {
  actOnRequest,
  FINISHED,
  isOverdue,
  type RequestType,
  receiveRequest,
  type SubjectRequest,
} from '../domain/subject-request.ts';
import { verifyToken } from '../domain/tokens.ts';
import { describeError, log } from '../log.ts';
import type { ListPosition } from '../ports/staff-reads.ts';
import type { RegisterEntry, RegisterList, RequestInput } from '../ports/subject-requests.ts';
import { actionEmail, verificationFor } from './register-emails.ts';
import { carryOutRight } from './rights/carry-out.ts';
import { clockRules, type RightsDeps } from './rights/rights-deps.ts';
import { recordStaffAudit, type StaffRequest } from './staff-api.ts';
import { type ParsedAction, parseAction, parseNewRequest } from './subject-request-input.ts';

export type { RightsDeps };

/** A request as staff see it: the register entry, whether it is overdue, and what was done. */
export interface RequestView extends SubjectRequest {
  readonly email: string | null;
  readonly overdue: boolean;
  readonly input: RegisterEntry['input'];
  readonly result: RegisterEntry['result'] | null;
  readonly finishedAt: string | null;
}

export type RegisterSummary = Omit<RequestView, 'email' | 'input' | 'result' | 'log'>;

export async function receiveSubjectRequest(
  deps: RightsDeps,
  staff: StaffRequest,
  body: unknown,
  baseUrl: string,
): Promise<RequestView> {
  const now = deps.clock();
  const parsed = parseNewRequest(body, now, deps.config.topics);
  const hasher = await deps.emailHasher();
  const request = receiveRequest(
    {
      id: deps.newId(),
      type: parsed.type,
      channel: parsed.channel,
      receivedAt: parsed.receivedAt,
      verifiedBy: parsed.verifiedBy,
      actor: staff.identity.username,
    },
    now,
    clockRules(deps.config),
  );
  let entry: RegisterEntry = {
    request,
    email: parsed.email,
    contactId: hasher.contactId(parsed.email),
    input: parsed.input,
    result: undefined,
    finishedAt: undefined,
  };
  // The verification email is queued with the entry: the request is never logged without it.
  const verification =
    request.status === 'awaiting_verification' ? verificationFor(deps, entry, baseUrl, now) : [];
  await deps.register.add(entry, expiry(deps, request), verification);
  await auditAction(deps, staff, entry, 'received');
  if (request.status === 'in_progress') entry = await carryOut(deps, entry, staff.identity.username);
  return view(entry, deps.clock());
}

/**
 * A request the person made themselves on our pages (channel `web`): logged with the person as actor and,
 * when `verifiedBy` names how their identity was shown, carried out at once. Answers the entry as it ends.
 */
export async function receivePersonRequest(
  deps: RightsDeps,
  made: {
    readonly type: RequestType;
    readonly email: string;
    readonly input: RequestInput;
    readonly verifiedBy: string | undefined;
  },
): Promise<RegisterEntry> {
  const now = deps.clock();
  const hasher = await deps.emailHasher();
  const request = receiveRequest(
    {
      id: deps.newId(),
      type: made.type,
      channel: 'web',
      receivedAt: now,
      verifiedBy: made.verifiedBy,
      actor: 'person',
    },
    now,
    clockRules(deps.config),
  );
  const entry: RegisterEntry = {
    request,
    email: made.email,
    contactId: hasher.contactId(made.email),
    input: made.input,
    result: undefined,
    finishedAt: undefined,
  };
  await deps.register.add(entry, expiry(deps, request));
  return request.status === 'in_progress' ? carryOut(deps, entry, 'person') : entry;
}

/** Staff act on a request: verify, extend, refuse, close or cancel. */
export async function actOnSubjectRequest(
  deps: RightsDeps,
  staff: StaffRequest,
  requestId: string,
  kind: ParsedAction['kind'],
  body: unknown,
): Promise<RequestView> {
  const action = parseAction(kind, body);
  const entry = await readEntry(deps, requestId);
  // Identity confirmed but the right not carried out yet (an earlier attempt failed): try again.
  if (action.kind === 'verify' && entry.request.status === 'in_progress') {
    await auditAction(deps, staff, entry, 'retried');
    return view(await carryOut(deps, entry, staff.identity.username), deps.clock());
  }
  const next = await applyAction(deps, entry, action, staff.identity.username);
  await auditAction(deps, staff, next, action.kind);
  if (next.request.status === 'in_progress')
    return view(await carryOut(deps, next, staff.identity.username), deps.clock());
  return view(next, deps.clock());
}

export async function readSubjectRequest(
  deps: RightsDeps,
  staff: StaffRequest,
  requestId: string,
): Promise<RequestView> {
  const entry = await readEntry(deps, requestId);
  await recordStaffAudit(deps, staff, { subject: entry.contactId, rows: 1, filter: { request: requestId } });
  return view(entry, deps.clock());
}

/** The access bundle's JSON text, while it is kept. */
export async function readRequestExport(
  deps: RightsDeps,
  staff: StaffRequest,
  requestId: string,
): Promise<string> {
  const entry = await readEntry(deps, requestId);
  const bundle =
    entry.request.type === 'access' ? await deps.register.readExport(requestId, deps.clock()) : undefined;
  if (bundle === undefined) throw new NotFoundError();
  await recordStaffAudit(deps, staff, {
    subject: entry.contactId,
    rows: 1,
    filter: { request: requestId, export: true },
  });
  return bundle;
}

const STATUS_FILTERS = ['open', 'overdue', 'completed', 'all'] as const;
type StatusFilter = (typeof STATUS_FILTERS)[number];
const PAGE_SIZE = 100;

/**
 * The register: `open` and `overdue` earliest due first (unverified ones last), `completed` every
 * finished request newest first, `all` the open ones and then the finished ones.
 */
export async function listSubjectRequests(
  deps: RightsDeps,
  staff: StaffRequest,
  query: { readonly status?: string | undefined; readonly cursor?: string | undefined },
): Promise<{ readonly items: RegisterSummary[]; readonly next: string | null }> {
  const status = (query.status ?? 'open') as StatusFilter;
  if (!STATUS_FILTERS.includes(status)) throw new InvalidInputError({ status: 'invalid' });
  const now = deps.clock();
  const scope = `subject-requests|${status}`;
  let after: ListPosition | undefined;
  if (query.cursor !== undefined) {
    after = await deps.cursors.open(query.cursor, scope, now);
    if (after === undefined) throw new InvalidInputError({ cursor: 'invalid' });
  }
  const first: RegisterList = status === 'completed' ? 'finished' : 'open';
  let list: RegisterList = after?.gsi1pk === 'REQUESTS#DONE' ? 'finished' : first;
  let page = await deps.register.list({ list, limit: PAGE_SIZE, after });
  if (status === 'all' && list === 'open' && !page.next && page.items.length < PAGE_SIZE) {
    const rest = await deps.register.list({
      list: 'finished',
      limit: PAGE_SIZE - page.items.length,
      after: undefined,
    });
    page = { ...rest, items: [...page.items, ...rest.items] };
    list = 'finished';
  }
  let items = page.items;
  let next = page.next;
  if (status === 'overdue') {
    items = items.filter((entry) => isOverdue(entry.request, now));
    // Earliest due first: once one is not overdue, none after it is.
    if (items.length < page.items.length) next = undefined;
  }
  const summaries = items.map((entry) => summary(view(entry, now)));
  await recordStaffAudit(deps, staff, {
    rows: summaries.length,
    filter: { status, cursor: query.cursor !== undefined },
  });
  return { items: summaries, next: next ? await deps.cursors.sign(scope, next, now) : null };
}

/** Whether a token from the emailed link is valid, and for which request (GET shows the page only). */
export async function checkVerificationLink(deps: RightsDeps, token: unknown): Promise<string | undefined> {
  const check = verifyToken(await deps.linkKeys(), token, 'verify', deps.clock());
  if (!check.ok) {
    log.info('link_refused', { purpose: 'verify', reason: check.reason });
    return undefined;
  }
  return check.claims.contactId;
}

/** The person confirmed by the emailed link: the clock starts and the request is carried out. */
export async function verifyByLink(
  deps: RightsDeps,
  token: unknown,
): Promise<'verified' | 'already' | 'invalid'> {
  const requestId = await checkVerificationLink(deps, token);
  if (!requestId) return 'invalid';
  const entry = await deps.register.read(requestId, deps.clock());
  if (!entry) return 'invalid';
  if (entry.request.status !== 'awaiting_verification') return 'already';
  const next = await applyAction(deps, entry, { kind: 'verify', method: 'emailed_link' }, 'person');
  await carryOut(deps, next, 'person');
  return 'verified';
}

async function readEntry(deps: RightsDeps, requestId: string): Promise<RegisterEntry> {
  // Ids are UUIDs: anything else is not a request, and is not looked up.
  if (!/^[0-9a-f-]{36}$/.test(requestId)) throw new NotFoundError();
  const entry = await deps.register.read(requestId, deps.clock());
  if (!entry) throw new NotFoundError();
  return entry;
}

async function applyAction(
  deps: RightsDeps,
  entry: RegisterEntry,
  action: ParsedAction,
  actor: string,
): Promise<RegisterEntry> {
  const now = deps.clock();
  const acted = actOnRequest(entry.request, action, actor, now, clockRules(deps.config));
  if (!acted.ok) throw new ConflictError();
  const next: RegisterEntry = {
    ...entry,
    request: acted.request,
    finishedAt: FINISHED.has(acted.request.status) ? now.toISOString() : undefined,
  };
  // The person is told of an extension or a refusal by an email queued with the change itself.
  await deps.register.replace(
    next,
    entry.request.version,
    expiry(deps, next.request),
    actionEmail(deps, next, action, now),
  );
  return next;
}

/** Carries out the right and completes the request; an erasure forgets the address on the request too. */
async function carryOut(deps: RightsDeps, entry: RegisterEntry, actor: string): Promise<RegisterEntry> {
  let done: Awaited<ReturnType<typeof carryOutRight>>;
  try {
    done = await carryOutRight(deps, entry, actor);
  } catch (error) {
    // The request stays in progress; staff try again with /verify, and the digest shows it meanwhile.
    log.error('subject_request_failed', { ...describeError(error), type: entry.request.type });
    throw error;
  }
  const now = deps.clock();
  const acted = actOnRequest(
    entry.request,
    { kind: 'carried_out', summary: done.summary },
    actor,
    now,
    clockRules(deps.config),
  );
  if (!acted.ok) throw new ConflictError();
  const erased = entry.request.type === 'erasure';
  const next: RegisterEntry = {
    ...entry,
    request: acted.request,
    result: done.result,
    finishedAt: now.toISOString(),
    // The receipt names nobody; the request item must not either once the data is gone.
    email: erased ? undefined : entry.email,
    contactId: erased ? undefined : entry.contactId,
  };
  await deps.register.replace(next, entry.request.version, expiry(deps, next.request));
  log.info('subject_request_carried_out', { type: entry.request.type });
  return next;
}

function expiry(deps: RightsDeps, request: SubjectRequest): number {
  return expiryFor('request', new Date(request.receivedAt), deps.config.retention);
}

function view(entry: RegisterEntry, now: Date): RequestView {
  return {
    ...entry.request,
    email: entry.email ?? null,
    overdue: isOverdue(entry.request, now),
    input: entry.input,
    result: entry.result ?? null,
    finishedAt: entry.finishedAt ?? null,
  };
}

function summary(request: RequestView): RegisterSummary {
  const { email: _email, input: _input, result: _result, log: _log, ...rest } = request;
  return rest;
}

async function auditAction(deps: RightsDeps, staff: StaffRequest, entry: RegisterEntry, action: string) {
  await recordStaffAudit(deps, staff, {
    subject: entry.contactId,
    rows: 1,
    filter: { request: entry.request.id, action },
  });
}
