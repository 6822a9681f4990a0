/**
 * Scheduled by EventBridge: applies the unsubscribes and cleaned addresses whose webhooks never reached us.
 * Reserved concurrency 1 keeps runs from overlapping; the cursor's version check covers it anyway.
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { createReconcileCursorStore } from '#shared/adapters/dynamodb/reconcile-cursor.ts';
import { now } from '#shared/clock.ts';
import { readFunctionConfig } from '#shared/config.ts';
import { contactDependencies, documentClient } from '#shared/dependencies.ts';
import { logContext } from '#shared/log.ts';
import { mailchimpAudience } from '#shared/mailchimp-audience.ts';
import { readMailchimpConfig } from '#shared/mailchimp-config.ts';
import { type ReconcileResult, reconcile } from '#shared/use-cases/mailchimp-reconcile.ts';

const config = readFunctionConfig({ required: ['emailHashKey', 'mailchimpApiKey'] });
const audience = mailchimpAudience(config, readMailchimpConfig());
const db = documentClient(config);
const contactDeps = contactDependencies(config, db);
const cursor = createReconcileCursorStore(db, config.tableName);

async function reconcileMailchimp(_event: ScheduledEvent, context: Context): Promise<ReconcileResult> {
  return reconcile(
    { config: config.app, ...contactDeps, audience: await audience(), cursor, clock: now, newId: randomUUID },
    now(),
    // A backlog after an outage may take more than one run: it stops in time to save its cursor.
    () => context.getRemainingTimeInMillis(),
  );
}

export const handler = middy<ScheduledEvent, ReconcileResult>().use(logContext()).handler(reconcileMailchimp);
