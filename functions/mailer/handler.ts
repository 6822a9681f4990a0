/**
 * The table's stream (outbox items only) -> email. Invoked by its own event source mapping with
 * `ReportBatchItemFailures`: a message the mail service refused comes back, with those after it, and is
 * tried again; nothing is lost and, the outbox item being deleted once sent, nothing is sent twice.
 * Invoked with `{"redrive": {"minutes": N}}` (Lambda console test event, or `aws lambda invoke`), it sends every message
 * queued more than N minutes ago that is still waiting, e.g. after its stream delivery gave up.
 */
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { dynamoOutbox, queuedMessageIds } from '#shared/adapters/dynamodb/outbox.ts';
import { outboxMailer } from '#shared/adapters/mail/outbox.ts';
import { sesMailer } from '#shared/adapters/mail/ses.ts';
import { now } from '#shared/clock.ts';
import { readFunctionConfig } from '#shared/config.ts';
import { documentClient, linkSigningKeys } from '#shared/dependencies.ts';
import { logContext } from '#shared/log.ts';
import {
  type SendQueuedEmailsDeps,
  type SendReport,
  sendQueuedEmails,
  sendWaitingEmails,
} from '#shared/use-cases/send-queued-emails.ts';

// Confirmation and welcome emails carry signed unsubscribe, preferences and confirm links.
const config = readFunctionConfig({ required: ['tokenSigningKeys'] });

export const dependencies: SendQueuedEmailsDeps = {
  outbox: dynamoOutbox(documentClient(config), config.tableName),
  mailer: config.mailTransport === 'ses' ? sesMailer(config.app.notifications.from) : outboxMailer,
  linkKeys: linkSigningKeys(config),
  organisation: config.app.organisation.name,
  clock: now,
};

export interface RedriveEvent {
  readonly redrive: { readonly minutes: number };
}

async function sendMail(
  event: DynamoDBStreamEvent | RedriveEvent,
): Promise<DynamoDBBatchResponse | SendReport> {
  if ('redrive' in event) return sendWaitingEmails(dependencies, Math.max(0, event.redrive.minutes));
  const queued = queuedMessageIds(event.Records);
  const report = await sendQueuedEmails(
    dependencies,
    queued.map((message) => message.id),
  );
  const failed = report.failedFrom === undefined ? [] : queued.slice(report.failedFrom);
  return { batchItemFailures: failed.map((message) => ({ itemIdentifier: message.sequenceNumber })) };
}

export const handler = middy<DynamoDBStreamEvent | RedriveEvent, DynamoDBBatchResponse | SendReport>()
  .use(logContext())
  .handler(sendMail);
