/**
 * Catching what MailChimp's webhooks missed: members who unsubscribed or were cleaned since the last run
 * are withdrawn and suppressed here exactly as their webhook would have done. Safe to run twice: each
 * change is applied under a delivery id derived from it, and applying a withdrawal again changes nothing.
 */
import { createHash } from 'node:crypto';
import { normaliseEmail } from '../domain/email.ts';
import type { WebhookDelivery } from '../domain/mailchimp-webhook.ts';
import { log } from '../log.ts';
import type { ChangedMember, MailchimpAudience } from '../ports/mailchimp-audience.ts';
import { CursorConflictError, type ReconcileCursorStore } from '../ports/reconcile-cursor.ts';
import { applyWebhook, type WebhookDeps, type WebhookOutcome } from './mailchimp-webhook.ts';

export interface ReconcileDeps extends WebhookDeps {
  readonly audience: MailchimpAudience;
  readonly cursor: ReconcileCursorStore;
}

export interface ReconcileResult {
  readonly since: string;
  /** Where the next run starts; unchanged when another run moved the cursor first. */
  readonly cursor: string;
  readonly cursorMoved: boolean;
  /** False when the run stopped for time: the next run continues from the cursor. */
  readonly complete: boolean;
  readonly pages: number;
  readonly members: number;
  readonly applied: number;
  readonly unchanged: number;
  readonly ignored: number;
}

/** A first run looks back this far: longer than any webhook retry, short enough to stay one sweep. */
const FIRST_RUN_LOOKBACK_MS = 24 * 60 * 60 * 1000;
/**
 * The next run starts this far before the newest change seen. `last_changed` has whole seconds and the
 * filter is by second, so a member changed in that same second after our read would otherwise be lost;
 * a minute also absorbs clock skew and MailChimp's search lagging behind its writes. Members read twice
 * cost a read each and change nothing.
 */
const CURSOR_OVERLAP_MS = 60 * 1000;
export const PAGE_SIZE = 500;
/**
 * Pages overlap by this many rows. Members are sorted by `last_changed`, so one that changes while we
 * page moves to the end and shifts the rest back by one: without the overlap, the member at a page
 * boundary would be skipped.
 */
const PAGE_OVERLAP = 50;
/**
 * A run stops paging when less than this is left of its invocation: enough for one more page in the
 * worst case (the adapter's 4 tries of 10 s with back-off) and the cursor write, so the cursor is always
 * saved and the next scheduled run continues from it.
 */
export const RECONCILE_SAFETY_MARGIN_MS = 60_000;

/** How long the invocation has left, as Lambda's `context.getRemainingTimeInMillis`. */
export type RemainingTime = () => number;

export async function reconcile(
  deps: ReconcileDeps,
  now: Date,
  remainingMs: RemainingTime = () => Number.POSITIVE_INFINITY,
): Promise<ReconcileResult> {
  const stored = await deps.cursor.read();
  const since = stored?.lastChanged ?? mailchimpTime(now.getTime() - FIRST_RUN_LOOKBACK_MS);
  const counts: Record<WebhookOutcome, number> = { applied: 0, unchanged: 0, ignored: 0 };
  const outOfTime = () => remainingMs() < RECONCILE_SAFETY_MARGIN_MS;
  let newest: number | undefined;
  let pages = 0;
  let members = 0;
  let complete = true;

  // Members come oldest change first, so stopping anywhere leaves everything before `newest` applied.
  paging: for (let offset = 0; ; offset += PAGE_SIZE - PAGE_OVERLAP) {
    if (outOfTime()) {
      complete = false;
      break;
    }
    const page = await deps.audience.changedSince(since, ['unsubscribed', 'cleaned'], {
      count: PAGE_SIZE,
      offset,
    });
    pages++;
    for (const member of page.members) {
      if (outOfTime()) {
        complete = false;
        break paging;
      }
      members++;
      counts[await applyMemberChange(deps, member)]++;
      const changedAt = Date.parse(member.lastChanged);
      if (Number.isFinite(changedAt)) newest = Math.max(newest ?? changedAt, changedAt);
    }
    if (offset + PAGE_SIZE >= page.total) break;
  }
  if (!complete) log.warn('mailchimp_reconcile_out_of_time', { pages, members });

  // A run cut short may only move the cursor to what it applied: a quiet list's "now" would skip the rest.
  const next = complete || newest !== undefined ? nextCursor(since, newest, now) : since;
  let cursorMoved = false;
  if (next !== since) {
    try {
      await deps.cursor.move(stored, next, now);
      cursorMoved = true;
    } catch (error) {
      // Everything read was applied; the other run's cursor is as good as ours.
      if (!(error instanceof CursorConflictError)) throw error;
      log.warn('mailchimp_reconcile_cursor_conflict');
    }
  }
  const result = {
    since,
    cursor: cursorMoved ? next : since,
    cursorMoved,
    complete,
    pages,
    members,
    ...counts,
  };
  log.info('mailchimp_reconcile_done', result);
  return result;
}

/**
 * Just before the newest change seen, or, when nothing changed, just before this run started (so a quiet
 * list does not make every sweep read further back). Never backwards.
 */
function nextCursor(since: string, newest: number | undefined, now: Date): string {
  const candidate = (newest ?? now.getTime()) - CURSOR_OVERLAP_MS;
  return candidate > Date.parse(since) ? mailchimpTime(candidate) : since;
}

/** As MailChimp writes times (`2026-01-31T09:15:00+00:00`): whole seconds, like its filter. */
function mailchimpTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function applyMemberChange(deps: ReconcileDeps, member: ChangedMember): Promise<WebhookOutcome> {
  // Built as MailChimp's own webhook for the same change. MailChimp's unsubscribe reason on a member is
  // free text (a survey answer can be personal), so it is not carried into our records.
  const delivery: WebhookDelivery = {
    type: member.status === 'cleaned' ? 'cleaned' : 'unsubscribe',
    firedAt: member.lastChanged,
    data: { email: member.email },
  };
  return applyWebhook(deps, delivery, reconcileDeliveryId(member));
}

/** The same change always has the same id; hashed because delivery ids are keys and must not hold emails. */
export function reconcileDeliveryId(member: ChangedMember): string {
  const source = ['reconcile', normaliseEmail(member.email), member.status, member.lastChanged].join('\n');
  return `reconcile-${createHash('sha256').update(source).digest('hex')}`;
}
