/**
 * Scheduled by EventBridge, both ways: applies the unsubscribes and cleaned addresses whose webhooks never
 * reached us, then compares every contact we changed recently with MailChimp and sends again what differs
 * (a sync record parked or lost). Invoked with `{"outward": {"since": "<ISO time>"}}` (the redrive
 * command, or the Lambda console), it runs the outward comparison alone from that time.
 * Reserved concurrency 1 keeps runs from overlapping; the cursors' version checks cover it anyway.
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { createReconcileCursorStore } from '#shared/adapters/dynamodb/reconcile-cursor.ts';
import { now } from '#shared/clock.ts';
import { readFunctionConfig } from '#shared/config.ts';
import { contactDependencies, documentClient, linkSigningKeys } from '#shared/dependencies.ts';
import { logContext } from '#shared/log.ts';
import { mailchimpAudience } from '#shared/mailchimp-audience.ts';
import { parseMemberLinkConfig, readMailchimpConfig } from '#shared/mailchimp-config.ts';
import {
  type OutwardReconcileResult,
  reconcileOutward,
} from '#shared/use-cases/mailchimp-outward-reconcile.ts';
import { type ReconcileResult, reconcile } from '#shared/use-cases/mailchimp-reconcile.ts';

// Repairing a member sends its signed preferences link, as the sync does.
const config = readFunctionConfig({ required: ['emailHashKey', 'tokenSigningKeys', 'mailchimpApiKey'] });
const audience = mailchimpAudience(config, readMailchimpConfig());
const db = documentClient(config);
const contactDeps = contactDependencies(config, db);
const inboundCursor = createReconcileCursorStore(db, config.tableName, 'inbound');
const outwardCursor = createReconcileCursorStore(db, config.tableName, 'outward');
const memberLinks = {
  ...parseMemberLinkConfig(process.env, config.app.publicBaseUrl),
  ring: linkSigningKeys(config),
};

export interface OutwardEvent {
  readonly outward: { readonly since?: string | undefined };
}

export interface ReconcileRun {
  readonly inbound?: ReconcileResult;
  readonly outward: OutwardReconcileResult;
}

async function reconcileMailchimp(
  event: ScheduledEvent | OutwardEvent,
  context: Context,
): Promise<ReconcileRun> {
  const deps = {
    config: config.app,
    ...contactDeps,
    audience: await audience(),
    clock: now,
    newId: randomUUID,
  };
  // A backlog after an outage may take more than one run: each stops in time to save its cursor.
  const remaining = () => context.getRemainingTimeInMillis();
  if ('outward' in event) {
    const since = sinceOf(event.outward.since);
    return {
      outward: await reconcileOutward(
        { ...deps, memberLinks, cursor: outwardCursor },
        now(),
        remaining,
        since,
      ),
    };
  }
  const inbound = await reconcile({ ...deps, cursor: inboundCursor }, now(), remaining);
  // MailChimp's own changes first: they may withdraw what the outward comparison would otherwise resend.
  const outward = await reconcileOutward({ ...deps, memberLinks, cursor: outwardCursor }, now(), remaining);
  return { inbound, outward };
}

/** An ISO time, normalised; anything else is refused rather than taken as "from the start". */
function sinceOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (!Number.isFinite(at)) throw new RangeError('outward.since must be an ISO time');
  return new Date(at).toISOString();
}

export const handler = middy<ScheduledEvent | OutwardEvent, ReconcileRun>()
  .use(logContext())
  .handler(reconcileMailchimp);
