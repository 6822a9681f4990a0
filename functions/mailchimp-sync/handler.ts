/**
 * The table's stream -> MailChimp. Invoked by the event source mapping with `ReportBatchItemFailures`:
 * records of contacts MailChimp could not take yet come back as failures and are delivered again.
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { now } from '#shared/clock.ts';
import { readFunctionConfig } from '#shared/config.ts';
import { contactDependencies } from '#shared/dependencies.ts';
import { mailchimpAudience } from '#shared/mailchimp-audience.ts';
import { readMailchimpConfig } from '#shared/mailchimp-config.ts';
import { syncStreamBatch } from '#shared/use-cases/mailchimp-sync.ts';

const config = readFunctionConfig();
const mailchimp = readMailchimpConfig();
const { linkKeys: _unused, ...contactDeps } = contactDependencies(config);

const audience = mailchimpAudience(mailchimp);

async function syncBatch(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return syncStreamBatch(
    { config: config.app, ...contactDeps, audience: await audience(), clock: now, newId: randomUUID },
    event.Records,
  );
}

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>().handler(syncBatch);
