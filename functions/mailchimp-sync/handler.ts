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
import { logContext } from '#shared/log.ts';
import { mailchimpAudience } from '#shared/mailchimp-audience.ts';
import { parseMemberLinkConfig, readMailchimpConfig } from '#shared/mailchimp-config.ts';
import { syncStreamBatch } from '#shared/use-cases/mailchimp-sync.ts';

const config = readFunctionConfig();
const mailchimp = readMailchimpConfig();
const memberLinkConfig = parseMemberLinkConfig(process.env, config.app.publicBaseUrl);
const { linkKeys, ...contactDeps } = contactDependencies(config);
// Members carry a signed preferences link, so the sync signs with the same key ring as our emails.
if (!linkKeys) throw new Error('Set TOKEN_SIGNING_KEYS_SECRET_ARN (AWS) or TOKEN_SIGNING_KEYS (local mode)');
const memberLinks = { ...memberLinkConfig, ring: linkKeys };

const audience = mailchimpAudience(mailchimp);

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
    event.Records,
  );
}

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
  .use(logContext())
  .handler(syncBatch);
