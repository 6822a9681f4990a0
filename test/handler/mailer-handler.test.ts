/** The mailer: renders queued emails, sends each once, and hands back what the mail service refused. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { localMailFaults, localOutbox } from '../../shared/adapters/mail/outbox.ts';
import { exampleConfig, TEST_KEY_RING } from '../support/config.ts';
import { lambdaContext } from './events.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
let handler: typeof import('../../functions/mailer/handler.ts')['handler'];

beforeAll(async () => {
  vi.stubEnv('TABLE_NAME', 'ConsentDeskTest');
  vi.stubEnv('APP_CONFIG', JSON.stringify(exampleConfig));
  vi.stubEnv('MAIL_TRANSPORT', 'outbox');
  vi.stubEnv('TOKEN_SIGNING_KEYS', TEST_KEY_RING);
  vi.stubEnv('AWS_REGION', 'eu-west-2');
  ({ handler } = await import('../../functions/mailer/handler.ts'));
});

const staffEmail = {
  kind: 'staff_notification',
  email: {
    to: ['sales@example.co.uk'],
    subject: 'New enquiry (contact form)',
    text: 'Hi',
    html: '<p>Hi</p>',
  },
};
const confirmation = {
  kind: 'confirmation',
  to: 'ada@example.com',
  contactId: '0123456789abcdef0123456789abcdef',
  epoch: 1,
  issuedAt: '2026-11-22T10:00:00.000Z',
  baseUrl: 'https://abc123.execute-api.eu-west-2.amazonaws.com/prod',
  topicLabels: ['Newsletter'],
  statement: 'Send me the newsletter.',
};
const queued: Record<string, unknown> = { 'm-1': staffEmail, 'm-2': confirmation };

function inserted(id: string, sequenceNumber: string): DynamoDBRecord {
  return {
    eventName: 'INSERT',
    dynamodb: { Keys: { pk: { S: `OUTBOX#${id}` }, sk: { S: 'OUTBOX' } }, SequenceNumber: sequenceNumber },
  };
}
const batch: DynamoDBStreamEvent = { Records: [inserted('m-1', '1'), inserted('m-2', '2')] };
const invoke = (event: DynamoDBStreamEvent) => handler(event, lambdaContext);

beforeEach(() => {
  dynamo.reset();
  dynamo.on(GetCommand).callsFake((input: { Key: { pk: string } }) => {
    const message = queued[input.Key.pk.replace('OUTBOX#', '')];
    return { Item: message ? { message, expiresAt: 4_000_000_000 } : undefined };
  });
  dynamo.on(DeleteCommand).resolves({});
  localOutbox.length = 0;
  localMailFaults.fail = 0;
  localMailFaults.down = false;
});

describe('the mailer', () => {
  it('sends each queued email, signing the confirmation links, and then deletes it conditionally', async () => {
    expect(await invoke(batch)).toEqual({ batchItemFailures: [] });
    expect(localOutbox).toEqual([
      expect.objectContaining({ to: 'sales@example.co.uk', subject: 'New enquiry (contact form)' }),
      expect.objectContaining({
        to: 'ada@example.com',
        subject: 'Please confirm your subscription to Example Ltd',
        text: expect.stringContaining(
          'https://abc123.execute-api.eu-west-2.amazonaws.com/prod/confirm?token=v1.',
        ),
      }),
    ]);
    expect(dynamo).toReceiveCommandWith(GetCommand, {
      TableName: 'ConsentDeskTest',
      Key: { pk: 'OUTBOX#m-1', sk: 'OUTBOX' },
      ConsistentRead: true,
    });
    expect(dynamo).toReceiveCommandWith(DeleteCommand, {
      TableName: 'ConsentDeskTest',
      Key: { pk: 'OUTBOX#m-2', sk: 'OUTBOX' },
      ConditionExpression: 'attribute_exists(pk)',
    });
  });

  it('sends nothing for a message already sent (a replayed batch), even if the delete raced', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(DeleteCommand).rejects(new ConditionalCheckFailedException({ message: 'gone', $metadata: {} }));
    expect(await invoke(batch)).toEqual({ batchItemFailures: [] });
    expect(localOutbox).toEqual([]);
    expect(dynamo).not.toReceiveCommand(DeleteCommand);
  });

  it('hands back the refused message and those after it, keeping the ones sent before', async () => {
    const outbox = await import('../../shared/adapters/mail/outbox.ts');
    const send = vi.spyOn(outbox.outboxMailer, 'send');
    send.mockImplementationOnce(async () => {}).mockRejectedValueOnce(new Error('Throttling'));
    expect(await invoke(batch)).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
    expect(dynamo).toReceiveCommandTimes(DeleteCommand, 1);
    expect(dynamo).toReceiveCommandWith(DeleteCommand, { Key: { pk: 'OUTBOX#m-1', sk: 'OUTBOX' } });
    send.mockRestore();
  });

  it('ignores records that are not newly queued emails', async () => {
    const removed = { ...inserted('m-1', '3'), eventName: 'REMOVE' as const };
    const contact: DynamoDBRecord = {
      eventName: 'INSERT',
      dynamodb: { Keys: { pk: { S: 'CONTACT#abc' }, sk: { S: 'PROFILE' } }, SequenceNumber: '4' },
    };
    expect(await invoke({ Records: [removed, contact] })).toEqual({ batchItemFailures: [] });
    expect(dynamo.calls()).toHaveLength(0);
  });
});
