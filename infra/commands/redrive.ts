/**
 * `npm run redrive -- --queue sync|mailer`: puts right what a stream consumer parked in its dead-letter
 * queue, then empties the queue. Those queues hold stream positions only (a Lambda on-failure record per
 * failed batch), not the changes or the emails, so nothing is moved back into a stream; instead:
 *
 * - `mailer`: the emails are still in the outbox, so the mailer is invoked with `{"redrive": {"minutes": 0}}`
 *   and sends every one still waiting, once;
 * - `sync`: the reconciliation is invoked with `{"outward": {"since": <first parked record>}}` and brings
 *   MailChimp in step for every contact changed since then.
 *
 * Only once that succeeded are the records it read deleted; on any failure they stay (visible again after
 * their visibility timeout) and the command says why. The stack's outputs name the queue and the function.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';

export const USAGE = `Usage: npm run redrive -- --queue sync|mailer [options]

Repairs what a stream consumer gave up on, then empties its dead-letter queue:
  mailer  sends every email still waiting in the outbox (the mailer's redrive), once
  sync    compares every contact changed since the first parked record with MailChimp, and sends what
          differs (the outward reconciliation)

  --queue sync|mailer  which dead-letter queue (required)
  --stack <name>       the stateless stack (default ConsentDesk-Stateless)
  --region <region>    or AWS_REGION / the AWS profile's region
  --dry-run            count the parked records and say what would be done; change nothing
  --help               show this text`;

export type QueueName = 'sync' | 'mailer';

export interface RedriveOptions {
  readonly queue: QueueName;
  readonly stackName: string;
  readonly region: string | undefined;
  readonly dryRun: boolean;
}

export interface RedriveClients {
  readonly cloudFormation: CloudFormationClient;
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
}

export interface RedriveReport {
  readonly queue: QueueName;
  /** Records the queue held (approximately, as SQS counts) before the run. */
  readonly parked: number;
  /** Records read and, unless a dry run, deleted once the repair succeeded. */
  readonly removed: number;
  /** What the repair function answered. */
  readonly repair: Readonly<Record<string, unknown>> | undefined;
}

/** A problem the operator can act on; the message says what to do. */
export class RedriveError extends Error {
  override readonly name = 'RedriveError';
}

/** Each queue: the stack outputs that name it and its repairing function, and that function's event. */
const TARGETS: Readonly<
  Record<QueueName, { readonly queueOutput: string; readonly functionOutput: string; readonly what: string }>
> = {
  mailer: { queueOutput: 'MailerDlqUrl', functionOutput: 'MailerFunctionName', what: 'the mailer' },
  sync: {
    queueOutput: 'MailchimpSyncDlqUrl',
    functionOutput: 'MailchimpReconcileFunctionName',
    what: 'the MailChimp reconciliation',
  },
};

/** Read at most this many rounds of 10: a queue refilling while we read must not keep us here. */
const MAX_RECEIVE_ROUNDS = 100;
/** Long enough for the repair to run (the reconciliation's timeout is 5 minutes) before they reappear. */
const VISIBILITY_SECONDS = 900;

export function parseRedriveArgs(argv: readonly string[], env: NodeJS.ProcessEnv): RedriveOptions | 'help' {
  let values: { queue?: string; stack?: string; region?: string; 'dry-run'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        queue: { type: 'string' },
        stack: { type: 'string' },
        region: { type: 'string' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new RedriveError(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help) return 'help';
  if (values.queue !== 'sync' && values.queue !== 'mailer')
    throw new RedriveError(`--queue must be sync or mailer\n\n${USAGE}`);
  return {
    queue: values.queue,
    stackName: values.stack ?? 'ConsentDesk-Stateless',
    region: values.region ?? env.AWS_REGION,
    dryRun: values['dry-run'] === true,
  };
}

export async function runRedrive(
  options: RedriveOptions,
  clients: RedriveClients,
  print: (line: string) => void,
): Promise<RedriveReport> {
  const target = TARGETS[options.queue];
  const outputs = await stackOutputs(clients.cloudFormation, options.stackName);
  const queueUrl = outputs.get(target.queueOutput);
  const functionName = outputs.get(target.functionOutput);
  if (!queueUrl || !functionName) {
    throw new RedriveError(
      `The stack ${options.stackName} has no ${!queueUrl ? target.queueOutput : target.functionOutput} output` +
        (options.queue === 'sync'
          ? ': is MailChimp configured for this deployment?'
          : ': deploy this version first.'),
    );
  }

  const parked = await countMessages(clients.sqs, queueUrl);
  print(`${options.queue}: ${parked} parked record(s) in ${queueUrl}`);
  if (parked === 0) return { queue: options.queue, parked, removed: 0, repair: undefined };
  if (options.dryRun) {
    print(`Dry run: would invoke ${target.what} (${functionName}) and then delete the records.`);
    return { queue: options.queue, parked, removed: 0, repair: undefined };
  }

  const messages = await receiveAll(clients.sqs, queueUrl);
  const event =
    options.queue === 'mailer'
      ? { redrive: { minutes: 0 } }
      : { outward: { since: earliestArrival(messages) } };
  print(`Invoking ${target.what} (${functionName}) with ${JSON.stringify(event)}`);
  const repair = await invoke(clients.lambda, functionName, event);
  const problem = unfinished(options.queue, repair);
  if (problem) {
    throw new RedriveError(
      `${problem} The ${messages.length} record(s) stay in the queue; run this again once it recovers.`,
    );
  }
  const removed = await deleteAll(clients.sqs, queueUrl, messages);
  print(`Done: ${JSON.stringify(repair)}; removed ${removed} record(s) from the queue.`);
  return { queue: options.queue, parked, removed, repair };
}

async function stackOutputs(client: CloudFormationClient, stackName: string): Promise<Map<string, string>> {
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = Stacks?.[0]?.Outputs ?? [];
    return new Map(
      outputs.flatMap((output) =>
        output.OutputKey && output.OutputValue ? [[output.OutputKey, output.OutputValue]] : [],
      ),
    );
  } catch (error) {
    if ((error as Error).name === 'ValidationError')
      throw new RedriveError(`No stack named ${stackName} in this account and region (--stack, --region).`);
    throw error;
  }
}

async function countMessages(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

async function receiveAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (let round = 0; round < MAX_RECEIVE_ROUNDS; round++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: VISIBILITY_SECONDS,
        WaitTimeSeconds: 1,
      }),
    );
    if (Messages.length === 0) break;
    messages.push(...Messages);
  }
  return messages;
}

/**
 * The first parked record's arrival in the stream, a minute early (arrival times are approximate); a day
 * ago (the stream's retention) when no record says.
 */
export function earliestArrival(messages: readonly Message[]): string {
  const arrivals = messages.flatMap((message) => {
    try {
      const info = (JSON.parse(message.Body ?? '') as { DDBStreamBatchInfo?: Record<string, unknown> })
        .DDBStreamBatchInfo;
      const at = Date.parse(String(info?.approximateArrivalOfFirstRecord ?? ''));
      return Number.isFinite(at) ? [at] : [];
    } catch {
      return [];
    }
  });
  const first = arrivals.length > 0 ? Math.min(...arrivals) : Date.now() - 24 * 60 * 60 * 1000;
  return new Date(first - 60_000).toISOString();
}

async function invoke(lambda: LambdaClient, functionName: string, event: unknown) {
  const response = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: new TextEncoder().encode(JSON.stringify(event)),
    }),
  );
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : '';
  if (response.FunctionError)
    throw new RedriveError(
      `The function failed (${response.FunctionError}); see its log group. Nothing was deleted.`,
    );
  return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
}

/** Why the repair is not complete yet, if it is not. */
function unfinished(queue: QueueName, repair: Record<string, unknown>): string | undefined {
  if (queue === 'mailer') {
    return repair.failedFrom === undefined || repair.failedFrom === null
      ? undefined
      : 'The mail service still refuses some emails.';
  }
  const outward = repair.outward as { complete?: boolean } | undefined;
  return outward?.complete === true
    ? undefined
    : 'The reconciliation did not finish (MailChimp failing, or out of time).';
}

async function deleteAll(sqs: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<number> {
  let removed = 0;
  for (let start = 0; start < messages.length; start += 10) {
    const batch = messages.slice(start, start + 10);
    const { Successful = [], Failed = [] } = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
      }),
    );
    removed += Successful.length;
    if (Failed.length > 0)
      throw new RedriveError(`SQS refused to delete ${Failed.length} record(s); run again.`);
  }
  return removed;
}

async function main(): Promise<void> {
  try {
    const options = parseRedriveArgs(process.argv.slice(2), process.env);
    if (options === 'help') {
      console.log(USAGE);
      return;
    }
    const region = options.region ? { region: options.region } : {};
    await runRedrive(
      options,
      {
        cloudFormation: new CloudFormationClient(region),
        sqs: new SQSClient(region),
        lambda: new LambdaClient(region),
      },
      (line) => console.log(line),
    );
  } catch (error) {
    console.error(error instanceof Error ? error.message : 'Redrive failed');
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
