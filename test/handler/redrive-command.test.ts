/**
 * `npm run redrive` with mocked CloudFormation, SQS and Lambda clients: it finds the queue and the repairing
 * function by the stack's outputs, invokes the repair, and deletes the parked records only once it succeeded.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  parseRedriveArgs,
  RedriveError,
  type RedriveOptions,
  runRedrive,
} from '../../infra/commands/redrive.ts';

const cloudFormation = mockClient(CloudFormationClient);
const sqs = mockClient(SQSClient);
const lambda = mockClient(LambdaClient);
const clients = {
  cloudFormation: new CloudFormationClient({ region: 'eu-west-2' }),
  sqs: new SQSClient({ region: 'eu-west-2' }),
  lambda: new LambdaClient({ region: 'eu-west-2' }),
};

const SYNC_DLQ =
  'https://sqs.eu-west-2.amazonaws.com/123456789012/ConsentDesk-Stateless-MailchimpSyncDlq-ABC';
const MAILER_DLQ = 'https://sqs.eu-west-2.amazonaws.com/123456789012/ConsentDesk-Stateless-MailerDlq-DEF';
const options = (queue: 'sync' | 'mailer', dryRun = false): RedriveOptions => ({
  queue,
  stackName: 'ConsentDesk-Stateless',
  region: 'eu-west-2',
  dryRun,
});

/** A Lambda on-failure record for a stream batch, as the dead-letter queue holds it. */
const parked = (id: string, firstArrival: string) => ({
  MessageId: id,
  ReceiptHandle: `receipt-${id}`,
  Body: JSON.stringify({
    requestContext: { condition: 'RetryAttemptsExhausted' },
    DDBStreamBatchInfo: {
      shardId: 'shardId-1',
      startSequenceNumber: '100',
      endSequenceNumber: '110',
      approximateArrivalOfFirstRecord: firstArrival,
      approximateArrivalOfLastRecord: firstArrival,
      batchSize: 2,
    },
  }),
});

const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as never;
let lines: string[];

beforeEach(() => {
  cloudFormation.reset();
  sqs.reset();
  lambda.reset();
  lines = [];
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'ConsentDesk-Stateless',
        CreationTime: new Date(),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: [
          { OutputKey: 'MailchimpSyncDlqUrl', OutputValue: SYNC_DLQ },
          { OutputKey: 'MailerDlqUrl', OutputValue: MAILER_DLQ },
          { OutputKey: 'MailerFunctionName', OutputValue: 'ConsentDesk-Stateless-MailerFunction' },
          { OutputKey: 'MailchimpReconcileFunctionName', OutputValue: 'ConsentDesk-Stateless-Reconcile' },
        ],
      },
    ],
  });
});

const print = (line: string) => void lines.push(line);

describe('npm run redrive -- --queue sync', () => {
  it('repairs from the first parked record, then deletes the records it read', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '2' } });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [parked('a', '2026-12-04T10:05:00.000Z'), parked('b', '2026-12-04T09:30:00.000Z')],
      })
      .resolves({ Messages: [] });
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: payload({ outward: { complete: true, repaired: 3, matched: 7 } }),
    });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }, { Id: '1' }], Failed: [] });

    const report = await runRedrive(options('sync'), clients, print);

    expect(report).toMatchObject({ queue: 'sync', parked: 2, removed: 2 });
    expect(lambda).toReceiveCommandWith(InvokeCommand, {
      FunctionName: 'ConsentDesk-Stateless-Reconcile',
      Payload: payload({ outward: { since: '2026-12-04T09:29:00.000Z' } }),
    });
    expect(sqs).toReceiveCommandWith(DeleteMessageBatchCommand, {
      QueueUrl: SYNC_DLQ,
      Entries: [
        { Id: '0', ReceiptHandle: 'receipt-a' },
        { Id: '1', ReceiptHandle: 'receipt-b' },
      ],
    });
    expect(lines.join('\n')).toContain('removed 2 record(s)');
  });

  it('keeps the records when the reconciliation did not finish', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '1' } });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [parked('a', '2026-12-04T10:05:00.000Z')] })
      .resolves({ Messages: [] });
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: payload({ outward: { complete: false } }) });

    await expect(runRedrive(options('sync'), clients, print)).rejects.toThrow(/stay in the queue/);
    expect(sqs).not.toReceiveCommand(DeleteMessageBatchCommand);
  });

  it('says when the stack has no sync queue (MailChimp not configured)', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'x', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }],
    });
    await expect(runRedrive(options('sync'), clients, print)).rejects.toThrow(/MailchimpSyncDlqUrl/);
    expect(sqs).not.toReceiveAnyCommand();
  });
});

describe('npm run redrive -- --queue mailer', () => {
  it("sends what waits in the outbox through the mailer's redrive, then deletes the records", async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '1' } });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [parked('m', '2026-12-04T10:05:00.000Z')] })
      .resolves({ Messages: [] });
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ sent: 4, alreadySent: 1 }) });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });

    const report = await runRedrive(options('mailer'), clients, print);

    expect(report).toMatchObject({ parked: 1, removed: 1, repair: { sent: 4, alreadySent: 1 } });
    expect(lambda).toReceiveCommandWith(InvokeCommand, {
      FunctionName: 'ConsentDesk-Stateless-MailerFunction',
      Payload: payload({ redrive: { minutes: 0 } }),
    });
    expect(sqs).toReceiveCommandWith(DeleteMessageBatchCommand, { QueueUrl: MAILER_DLQ });
  });

  it('deletes nothing while the mail service still refuses, or when the function fails', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '1' } });
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [parked('m', '2026-12-04T10:05:00.000Z')] });
    lambda.on(InvokeCommand).resolvesOnce({ StatusCode: 200, Payload: payload({ sent: 0, failedFrom: 0 }) });
    await expect(runRedrive(options('mailer'), clients, print)).rejects.toThrow(/still refuses/);
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: payload({}) });
    await expect(runRedrive(options('mailer'), clients, print)).rejects.toBeInstanceOf(RedriveError);
    expect(sqs).not.toReceiveCommand(DeleteMessageBatchCommand);
  });

  it('only counts on a dry run, and does nothing when nothing is parked', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3' } });
    expect(await runRedrive(options('mailer', true), clients, print)).toMatchObject({
      parked: 3,
      removed: 0,
    });
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
    expect(await runRedrive(options('mailer'), clients, print)).toMatchObject({ parked: 0, removed: 0 });
    expect(lambda).not.toReceiveAnyCommand();
    expect(sqs).not.toReceiveCommand(ReceiveMessageCommand);
  });
});

describe('parseRedriveArgs', () => {
  it('takes the queue, stack and region, and refuses any other queue', () => {
    expect(parseRedriveArgs(['--queue', 'sync'], { AWS_REGION: 'eu-west-2' })).toEqual({
      queue: 'sync',
      stackName: 'ConsentDesk-Stateless',
      region: 'eu-west-2',
      dryRun: false,
    });
    expect(parseRedriveArgs(['--queue', 'mailer', '--stack', 'Other', '--dry-run'], {})).toMatchObject({
      stackName: 'Other',
      dryRun: true,
    });
    expect(parseRedriveArgs(['--help'], {})).toBe('help');
    expect(() => parseRedriveArgs(['--queue', 'enquiries'], {})).toThrow(RedriveError);
    expect(() => parseRedriveArgs(['--bogus'], {})).toThrow(RedriveError);
  });
});
