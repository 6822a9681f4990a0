/**
 * Outward reconciliation: MailChimp brought back in step with our store for every contact changed
 * recently, whatever became of the sync's own delivery (a record parked in its dead-letter queue after an
 * outage longer than its retries, a record lost). Each run lists the contacts changed since its cursor, up
 * to a few minutes ago (newer changes are the stream sync's), compares what MailChimp holds for each with
 * what we hold, and sends again, through the sync's own convergence, only what differs.
 *
 * Safe to run at any time and twice: a contact that matches is left alone, and converging is idempotent.
 * The cursor never moves past a contact MailChimp could not take: the run stops there (MailChimp is most
 * likely down) and the next one starts from it.
 */
import { desiredMember, memberMatches } from '../domain/mailchimp-member.ts';
import { countMetric, describeError, log, timeMetric } from '../log.ts';
import type { ChangedContact } from '../ports/contacts-store.ts';
import { isMailchimpError } from '../ports/mailchimp-errors.ts';
import { CursorConflictError, type ReconcileCursorStore } from '../ports/reconcile-cursor.ts';
import { RECONCILE_SAFETY_MARGIN_MS, type RemainingTime } from './mailchimp-reconcile.ts';
import { convergeMember, type MailchimpSyncDeps } from './mailchimp-sync.ts';

export interface OutwardReconcileDeps extends MailchimpSyncDeps {
  readonly cursor: ReconcileCursorStore;
}

export interface OutwardReconcileResult {
  readonly since: string;
  readonly until: string;
  /** Where the next run starts. */
  readonly cursor: string;
  /** False when the run stopped early (for time, or MailChimp failing): the next run continues. */
  readonly complete: boolean;
  readonly contacts: number;
  readonly matched: number;
  readonly repaired: number;
  /** Refused by MailChimp for good (an invalid request): logged, and not tried again. */
  readonly rejected: number;
  /** Gone since the change (expired, erased, moved): nothing to compare. */
  readonly absent: number;
}

type Comparison = 'matched' | 'repaired' | 'rejected' | 'absent';

/** Changes younger than this are left to the stream sync, which normally takes seconds. */
export const SETTLE_MS = 5 * 60 * 1000;
/** A first run looks back this far: the stream keeps records for a day, so nothing older was parked. */
const FIRST_RUN_LOOKBACK_MS = 24 * 60 * 60 * 1000;
const PAGE_SIZE = 100;

/**
 * One run. `since` (an ISO time) starts it there instead of at the cursor, e.g. to repair the span a
 * dead-letter queue's records cover; the cursor still only moves forward.
 */
export async function reconcileOutward(
  deps: OutwardReconcileDeps,
  now: Date,
  remainingMs: RemainingTime = () => Number.POSITIVE_INFINITY,
  since?: string,
): Promise<OutwardReconcileResult> {
  const stored = await deps.cursor.read();
  const from = since ?? stored?.lastChanged ?? new Date(now.getTime() - FIRST_RUN_LOOKBACK_MS).toISOString();
  const until = new Date(now.getTime() - SETTLE_MS).toISOString();
  const counts: Record<Comparison, number> = { matched: 0, repaired: 0, rejected: 0, absent: 0 };
  const outOfTime = () => remainingMs() < RECONCILE_SAFETY_MARGIN_MS;
  let position = from;
  let complete = true;

  paging: for (;;) {
    if (outOfTime()) {
      complete = false;
      break;
    }
    const page = await deps.contacts.changedContacts(position, until, PAGE_SIZE);
    for (const changed of page) {
      if (outOfTime()) {
        complete = false;
        break paging;
      }
      try {
        counts[await compareAndRepair(deps, changed)]++;
      } catch (error) {
        log.warn('mailchimp_outward_reconcile_stopped', {
          ...describeError(error),
          ...(isMailchimpError(error) ? { code: error.code } : {}),
        });
        countMetric('SyncFailures');
        complete = false;
        break paging;
      }
      position = changed.position;
    }
    if (page.length < PAGE_SIZE) break;
  }

  const next = complete ? until : position;
  const cursor = await moveCursor(deps.cursor, stored, next, now);
  const contacts = counts.matched + counts.repaired + counts.rejected + counts.absent;
  const result = { since: from, until, cursor, complete, contacts, ...counts };
  log.info('mailchimp_outward_reconcile_done', result);
  if (counts.repaired > 0) countMetric('SyncRepaired', counts.repaired);
  return result;
}

async function compareAndRepair(deps: OutwardReconcileDeps, changed: ChangedContact): Promise<Comparison> {
  const { contact, snapshot } = await deps.contacts.readContact(changed.contactId, deps.clock());
  if (!contact) return 'absent';
  const member = await deps.audience.getMember(contact.email);
  if (memberMatches(desiredMember(snapshot.topics, deps.config), contact.restricted, member))
    return 'matched';
  try {
    const outcome = await convergeMember(deps, changed.contactId);
    log.info('mailchimp_outward_repaired', { outcome: outcome ?? 'absent' });
  } catch (error) {
    if (!isMailchimpError(error, 'invalidRequest')) throw error;
    // MailChimp will refuse the same request every time: stopping here would hold every later contact up.
    log.error('mailchimp_outward_rejected', { status: error.status, title: error.title });
    countMetric('SyncFailures');
    return 'rejected';
  }
  // The change reached MailChimp only now: its lag counts, and tells the alarm the sync fell behind.
  timeMetric('SyncLag', deps.clock().getTime() - Date.parse(changed.changedAt));
  return 'repaired';
}

/** Forward only: a run started from an earlier `since` never moves the cursor back. */
async function moveCursor(
  store: ReconcileCursorStore,
  stored: Awaited<ReturnType<ReconcileCursorStore['read']>>,
  next: string,
  now: Date,
): Promise<string> {
  if (stored && next <= stored.lastChanged) return stored.lastChanged;
  try {
    await store.move(stored, next, now);
    return next;
  } catch (error) {
    // Another run moved it meanwhile; its cursor is as good as ours.
    if (!(error instanceof CursorConflictError)) throw error;
    log.warn('mailchimp_outward_reconcile_cursor_conflict');
    return stored?.lastChanged ?? next;
  }
}
