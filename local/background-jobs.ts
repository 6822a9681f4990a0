/**
 * What runs in the background in local mode, as AWS runs it beside the API: the stream consumers (event
 * source mappings), DynamoDB TTL, and the scheduled MailChimp reconciliation.
 */
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { FUNCTIONS } from '../infra/routes.ts';
import { keys } from '../shared/adapters/dynamodb/table.ts';
import { describeError, log } from '../shared/log.ts';
import { LOCAL_RECONCILE_INTERVAL_MS } from './mailchimp-link.ts';
import type { LocalService } from './services.ts';
import { type StreamHandler, streamPollerService, TtlDeletions } from './stream-poller.ts';
import { ttlSweeperService } from './ttl-sweeper.ts';

const OUTBOX_PREFIX = keys.outboxPrefix;
const mailerContext = { awsRequestId: 'local-mailer', functionName: 'mailer' } as Context;

/** Stream consumers get a context too; nothing of ours reads more than its request id. */
const streamContext = { awsRequestId: 'local-stream', functionName: 'mailchimp-sync' } as Context;

export interface StreamJobs {
  /** In start order (stop in reverse): the poller holds its iterators before the first sweep. */
  readonly services: readonly LocalService[];
  /** Runs one TTL sweep now (what moving the local clock triggers). */
  readonly sweep: () => Promise<number>;
}

/**
 * The stream poller with its consumers, and the TTL sweeper whose deletions it marks as TTL's. Loads the
 * stream handlers, so call it once the function environment is set.
 */
export async function streamJobs(): Promise<StreamJobs> {
  const { handler: syncToMailchimp } = await import('../functions/mailchimp-sync/handler.ts');
  const { handler: sendMail } = await import('../functions/mailer/handler.ts');
  const handle: StreamHandler = (event: DynamoDBStreamEvent) => syncToMailchimp(event, streamContext);
  const mail: StreamHandler = async (event: DynamoDBStreamEvent) =>
    (await sendMail(onlyQueuedEmails(event), mailerContext)) as DynamoDBBatchResponse;
  const ttlDeletions = new TtlDeletions();
  const ttlSweeper = ttlSweeperService({ ttlDeletions });
  return {
    services: [
      // Stream consumers (what an event source mapping invokes in AWS) are registered here.
      streamPollerService({
        consumers: [
          { name: 'mailchimp-sync', handle },
          { name: 'mailer', handle: mail, batchSize: 10 },
        ],
        ttlDeletions,
      }),
      ttlSweeper,
    ],
    sweep: () => ttlSweeper.sweep(),
  };
}

/** The mailer's event source mapping filter (INSERTs of outbox items), applied as AWS applies it. */
function onlyQueuedEmails(event: DynamoDBStreamEvent): DynamoDBStreamEvent {
  return {
    Records: event.Records.filter(
      (record) =>
        record.eventName === 'INSERT' && record.dynamodb?.Keys?.pk?.S?.startsWith(OUTBOX_PREFIX) === true,
    ),
  };
}

/**
 * Runs the reconciliation now and then every LOCAL_RECONCILE_INTERVAL_MS, one run at a time (as reserved
 * concurrency 1 does in AWS), with a context that counts down the function's timeout. Returns its cleanup.
 */
export async function scheduleReconciliation(): Promise<() => Promise<void>> {
  const { handler } = await import('../functions/mailchimp-reconcile/handler.ts');
  const timeoutMs = FUNCTIONS.mailchimpReconcile.timeoutSeconds * 1000;
  let running: Promise<unknown> | undefined;
  const run = () => {
    if (running) return;
    const deadline = Date.now() + timeoutMs;
    const context = {
      awsRequestId: 'local-reconcile',
      functionName: 'mailchimp-reconcile',
      getRemainingTimeInMillis: () => deadline - Date.now(),
    } as Context;
    running = handler({} as ScheduledEvent, context)
      .catch((error: unknown) => log.warn('local.reconcile_failed', describeError(error)))
      .finally(() => {
        running = undefined;
      });
  };
  run();
  const timer = setInterval(run, LOCAL_RECONCILE_INTERVAL_MS);
  return async () => {
    clearInterval(timer);
    await running;
  };
}
