/**
 * The table's stream -> MailChimp. Invoked by the event source mapping with `ReportBatchItemFailures`:
 * records of contacts MailChimp could not take yet come back as failures and are delivered again.
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { decodeContactChanges } from '#shared/adapters/dynamodb/stream-records.ts';
import { now } from '#shared/clock.ts';
import { readFunctionConfig } from '#shared/config.ts';
import { contactDependencies, linkSigningKeys } from '#shared/dependencies.ts';
import { logContext } from '#shared/log.ts';
import { mailchimpAudience } from '#shared/mailchimp-audience.ts';
import { parseMemberLinkConfig, readMailchimpConfig } from '#shared/mailchimp-config.ts';
import { syncStreamBatch } from '#shared/use-cases/mailchimp-sync.ts';

// Members carry a signed preferences link, so the sync signs with the same key ring as our emails.
const config = readFunctionConfig({ required: ['emailHashKey', 'tokenSigningKeys', 'mailchimpApiKey'] });
const memberLinks = {
  ...parseMemberLinkConfig(process.env, config.app.publicBaseUrl),
  ring: linkSigningKeys(config),
};
const contactDeps = contactDependencies(config);
const audience = mailchimpAudience(config, readMailchimpConfig());

async function syncBatch(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return syncStreamBatch(
    {
      config: config.app,
      ...contactDeps,
      audience: await audience(),
      clock: now,
      newId: randomUUID,
      memberLinks,
    },
    decodeContactChanges(event.Records),
  );
}

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
  .use(logContext())
  .handler(syncBatch);
