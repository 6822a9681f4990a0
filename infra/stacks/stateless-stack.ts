/**
 * The API, the WAF and the functions: everything that can be replaced without losing data. Functions and
 * routes come from infra/routes.ts; each function's access to the table, secrets and SES is listed in
 * FUNCTION_ACCESS (./function-access.ts), so a new function cannot be added without deciding what it may touch.
 */
import { CfnOutput, Duration, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { FilterCriteria, FilterRule, type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { keys, TABLE_DEFINITION } from '../../shared/adapters/dynamodb/table.ts';
import { toRuntimeConfig } from '../../shared/config/schema.ts';
import { METRICS_NAMESPACE } from '../../shared/log.ts';
import { logRetention } from '../config.ts';
import { acknowledge } from '../constructs/acknowledge.ts';
import { AlarmTopic } from '../constructs/alarm-topic.ts';
import { ConsentDeskFunction } from '../constructs/consent-desk-function.ts';
import { OperationsDashboard } from '../constructs/operations-dashboard.ts';
import { PublicApi } from '../constructs/public-api.ts';
import { StaffConsole } from '../constructs/staff-console.ts';
import { ApiWebAcl } from '../constructs/web-acl.ts';
import { BINARY_MEDIA_TYPES, FUNCTIONS, type FunctionName, ROUTES, STAGE_THROTTLE } from '../routes.ts';
import { FUNCTION_ACCESS, type FunctionResources } from './function-access.ts';

export const STAGE_NAME = 'v1';
/** The API functions that write absolute URLs to this API: links in emails, staff answers' links. */
const API_URL_USERS = ['enquiry', 'links', 'staff', 'rights'] as const satisfies readonly FunctionName[];

export interface StatelessStackProps extends StackProps, FunctionResources {
  /** The staff API's Cognito authorizer admits tokens from this pool only. */
  readonly staffUserPool: IUserPool;
  /** The pool's managed-login domain, where staff sign in to the console. */
  readonly staffSignInUrl: string;
}

/** Functions that only make sense with a MailChimp audience configured. */
const MAILCHIMP_FUNCTIONS: ReadonlySet<FunctionName> = new Set(['mailchimpSync', 'mailchimpReconcile']);

/**
 * One sync at a time: with the MailChimp adapter's limit of 5 requests in flight, this keeps the whole
 * system within MailChimp's 10 simultaneous connections per account, whatever the stream's backlog.
 */
const RESERVED_CONCURRENCY: Readonly<Partial<Record<FunctionName, number>>> = {
  mailchimpSync: 1,
  // Never two sweeps at once: they would apply the same members and race for the cursor.
  mailchimpReconcile: 1,
};

export class StatelessStack extends Stack {
  /** Every function in FUNCTIONS, except the MailChimp ones when `mailchimp` is not configured. */
  public readonly functions: Readonly<Partial<Record<FunctionName, ConsentDeskFunction>>>;
  public readonly api: PublicApi;
  public readonly staffConsole: StaffConsole;
  public readonly webAcl: ApiWebAcl | undefined;
  public readonly dashboard: OperationsDashboard;
  /** Stream records the MailChimp sync gave up on; only when `mailchimp` is configured. */
  public readonly mailchimpSyncDlq: Queue | undefined;
  /** Outbox records the mailer gave up on. */
  public readonly mailerDlq: Queue | undefined;
  private readonly alarmEmail: string | undefined;
  private alarms: AlarmTopic | undefined;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.alarmEmail = config.alarms?.email;
    const retention = logRetention(config);
    const runtimeConfig = toRuntimeConfig(config);

    const names = (Object.keys(FUNCTIONS) as FunctionName[]).filter(
      (name) => !MAILCHIMP_FUNCTIONS.has(name) || config.mailchimp !== undefined,
    );
    const functions: Partial<Record<FunctionName, ConsentDeskFunction>> = {};
    for (const name of names) {
      const fn = new ConsentDeskFunction(this, fnId(name), {
        spec: FUNCTIONS[name],
        runtimeConfig,
        logRetention: retention,
        reservedConcurrentExecutions: RESERVED_CONCURRENCY[name],
      });
      FUNCTION_ACCESS[name](fn, props);
      functions[name] = fn;
    }
    this.functions = functions;
    this.mailchimpSyncDlq = functions.mailchimpSync
      ? this.addMailchimpSyncSource(functions.mailchimpSync, props.table)
      : undefined;
    if (functions.mailchimpReconcile) this.addMailchimpReconcileSchedule(functions.mailchimpReconcile);
    if (functions.rights) this.addSubjectRequestDigest(functions.rights);
    this.mailerDlq = functions.mailer ? this.addMailerSource(functions.mailer, props.table) : undefined;
    if (this.alarms) {
      new CfnOutput(this, 'AlarmTopicArn', {
        value: this.alarms.topic.topicArn,
        description: 'SNS topic the alarms notify; subscribe to it, or set alarms.email in the config',
      });
    }

    const routed = (name: FunctionName): IFunction => {
      const fn = functions[name];
      if (!fn) throw new Error(`A route uses ${name}, which is not deployed`);
      return fn.function;
    };
    this.api = new PublicApi(this, 'PublicApi', {
      routes: ROUTES,
      // Only the functions that routes use: the API never invokes the others.
      functions: Object.fromEntries(
        ROUTES.map((route): [FunctionName, IFunction] => [route.function, routed(route.function)]),
      ) as Record<FunctionName, IFunction>,
      stageName: STAGE_NAME,
      stageThrottle: STAGE_THROTTLE,
      binaryMediaTypes: BINARY_MEDIA_TYPES,
      allowedOrigins: config.allowedOrigins,
      // Resolved once the console below exists; CloudFormation creates the distribution first.
      staffAllowedOrigins: [Lazy.string({ produce: () => this.staffConsole.origin })],
      logRetention: retention,
      staffUserPool: props.staffUserPool,
    });

    // Absolute URLs the API's functions emit (email links, staff answers) start from the URL the deployment
    // gives them, never from a request's Host header. Built from the API's id and the stage's name rather
    // than \`api.url\`, which names the stage: the stage depends on these functions' routes (a cycle).
    const apiUrl = `https://${this.api.api.restApiId}.execute-api.${this.region}.${this.urlSuffix}/${STAGE_NAME}/`;
    for (const name of API_URL_USERS) functions[name]?.function.addEnvironment('API_BASE_URL', apiUrl);
    // In this stack, not one of its own: the console's CSP names the API's origin and the API's CORS names
    // the console's, so two stacks would each need the other's output.
    const stack = Stack.of(this);
    this.staffConsole = new StaffConsole(this, 'StaffConsole', {
      apiUrl: this.api.api.url,
      apiOrigin: `https://${this.api.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}`,
      userPool: props.staffUserPool,
      signInUrl: props.staffSignInUrl,
      topics: config.topics,
      backupDays: config.retention.backupDays,
      logRetention: retention,
    });
    // The console's domain exists only after deploy, so it cannot be inlined with the rest of the config.
    functions.staff?.function.addEnvironment('STAFF_CONSOLE_ORIGIN', this.staffConsole.origin);

    // Links in MailChimp point at the API unless a public base URL is configured. No cycle: the API
    // depends only on the functions its routes invoke, and no route invokes the sync or the reconciliation.
    if (config.publicBaseUrl === undefined) {
      for (const fn of [functions.mailchimpSync, functions.mailchimpReconcile])
        fn?.function.addEnvironment('API_BASE_URL', this.api.api.url);
    }

    this.dashboard = new OperationsDashboard(this, 'Operations', {
      api: this.api.api,
      functions: Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, fn.function])),
      deadLetterQueues: {
        ...(this.mailchimpSyncDlq ? { mailchimpSync: this.mailchimpSyncDlq } : {}),
        ...(this.mailerDlq ? { mailer: this.mailerDlq } : {}),
      },
      sync: functions.mailchimpSync?.function,
      notify: (alarm) => this.notifyOps(alarm),
    });

    const stage = this.api.api.deploymentStage;
    if (config.waf.enabled) {
      this.webAcl = new ApiWebAcl(this, 'WebAcl', {
        stage,
        rateLimitPer5Minutes: config.waf.rateLimitPer5Minutes,
        metricPrefix: id,
      });
    } else {
      acknowledge(
        stage,
        'AwsSolutions-APIG3',
        'WAF is switched off in the deployment config (waf.enabled: false); throttling still applies.',
      );
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the API' });
    new CfnOutput(this, 'ConsoleUrl', {
      value: this.staffConsole.url,
      description: 'The staff console: open it and sign in',
    });
    new CfnOutput(this, 'EnquiryEndpoint', {
      value: this.api.api.urlForPath('/enquiries'),
      description: 'Where website forms POST enquiries',
    });
  }

  /** The topic every alarm notifies, created with the first alarm. */
  public get alarmTopic(): AlarmTopic | undefined {
    return this.alarms;
  }

  private notifyOps(alarm: Alarm): void {
    this.alarms ??= new AlarmTopic(this, 'Alarms', { email: this.alarmEmail });
    this.alarms.notify(alarm);
  }

  /**
   * MailChimp retries a webhook for about 75 minutes; a quarter-hourly sweep catches what they missed
   * well inside the hour a change may take to reach both sides.
   */
  private addMailchimpReconcileSchedule(reconcile: ConsentDeskFunction): void {
    // `npm run redrive -- --queue sync` invokes it by this name.
    new CfnOutput(this, 'MailchimpReconcileFunctionName', { value: reconcile.function.functionName });
    new Rule(this, 'MailchimpReconcileSchedule', {
      description:
        'Consent Desk: applies MailChimp unsubscribes webhooks missed, and repairs what the sync did not send',
      schedule: Schedule.rate(Duration.minutes(15)),
      // A missed sweep is made up by the next one, which starts from the stored cursor.
      targets: [new LambdaFunction(reconcile.function, { retryAttempts: 0 })],
    });
    // One failed sweep is made up by the next; two in a row mean MailChimp's unsubscribes may be missed.
    this.notifyOps(
      new Alarm(this, 'MailchimpReconcileErrorsAlarm', {
        alarmDescription: 'Consent Desk: two MailChimp reconciliation sweeps in a row failed',
        metric: reconcile.function.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /**
   * The register's daily digest to the privacy address (requests due within 7 days or overdue), and an
   * alarm as soon as any request is overdue: the legal deadline has passed.
   */
  private addSubjectRequestDigest(rights: ConsentDeskFunction): void {
    new Rule(this, 'SubjectRequestDigestSchedule', {
      description: 'Consent Desk: daily digest of subject requests due soon or overdue',
      // 07:00 UTC: in the privacy team's inbox before the working day starts, GMT or BST.
      schedule: Schedule.cron({ minute: '0', hour: '7' }),
      targets: [new LambdaFunction(rights.function, { retryAttempts: 2 })],
    });
    this.notifyOps(
      new Alarm(this, 'SubjectRequestsOverdueAlarm', {
        alarmDescription: 'Consent Desk: a data-subject request is past its legal due date',
        metric: productMetric('OverdueSubjectRequests', 'Maximum', Duration.days(1)),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** A stream mapping's on-failure destination: stream positions only, kept 14 days. */
  private streamDeadLetterQueue(id: string, whyNoQueueBehindIt: string): Queue {
    const dlq = new Queue(this, id, {
      // Holds only stream positions (shard, sequence numbers), no personal data; encrypted all the same.
      encryption: QueueEncryption.SQS_MANAGED,
      // Refuses any request not made over TLS.
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(dlq, 'AwsSolutions-SQS3', whyNoQueueBehindIt);
    return dlq;
  }

  /** A stream mapping's grant includes dynamodb:ListStreams, which IAM only allows on "*". */
  private acknowledgeListStreams(consumer: ConsentDeskFunction, name: string): void {
    const defaultPolicy = consumer.role.node.tryFindChild('DefaultPolicy');
    if (!defaultPolicy) throw new Error(`The ${name} role has no default policy`);
    acknowledge(
      defaultPolicy,
      'AwsSolutions-IAM5[Resource::*]',
      'dynamodb:ListStreams has no resource-level permissions, so IAM only accepts it on "*"; every other ' +
        'stream action is granted on the table stream ARN only.',
    );
  }

  /** Tells ops as soon as one record is parked in a dead-letter queue. */
  private alarmOnDeadLetters(id: string, dlq: Queue, alarmDescription: string): void {
    this.notifyOps(
      new Alarm(this, id, {
        alarmDescription,
        metric: dlq.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /**
   * Feeds newly queued outbox items to the mailer: a message SES refused is retried with back-off for
   * up to a day, then its stream position is parked in a dead-letter queue (the message stays in the
   * outbox; invoking the mailer with `{"redrive": {"minutes": 5}}` sends what is still waiting). Alarms on
   * the queue and on send failures.
   */
  private addMailerSource(mailer: ConsentDeskFunction, table: ITable): Queue {
    const dlq = this.streamDeadLetterQueue(
      'MailerDlq',
      'This queue is itself the dead-letter destination of the mailer stream mapping.',
    );
    mailer.function.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.days(1),
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(dlq),
        // Only newly queued emails; the delete that marks one sent never invokes the mailer.
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: {
              Keys: { [TABLE_DEFINITION.partitionKey]: { S: FilterRule.beginsWith(keys.outboxPrefix) } },
            },
          }),
        ],
      }),
    );
    this.acknowledgeListStreams(mailer, 'mailer');
    this.alarmOnDeadLetters(
      'MailerDlqAlarm',
      dlq,
      'Consent Desk: queued emails the mailer gave up on are in its dead-letter queue',
    );
    // A batch that fails three times in 15 minutes means SES is refusing mail, not a passing hiccup.
    this.notifyOps(
      new Alarm(this, 'MailerErrorsAlarm', {
        alarmDescription: 'Consent Desk: the mailer keeps failing to send queued emails',
        metric: productMetric('EmailsFailed', 'Sum', Duration.minutes(15)),
        threshold: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    // `npm run redrive -- --queue mailer` invokes it by this name.
    new CfnOutput(this, 'MailerFunctionName', { value: mailer.function.functionName });
    new CfnOutput(this, 'MailerDlqUrl', {
      value: dlq.queueUrl,
      description: 'Dead-letter queue of the mailer (outbox records it gave up on)',
    });
    return dlq;
  }

  /**
   * Feeds the table's stream to the MailChimp sync: contact items only, failed records retried (and the
   * batch split to isolate them), then parked in a dead-letter queue; alarms on both ways of falling behind.
   */
  private addMailchimpSyncSource(sync: ConsentDeskFunction, table: ITable): Queue {
    const dlq = this.streamDeadLetterQueue(
      'MailchimpSyncDlq',
      'This queue is itself the dead-letter destination of the MailChimp sync stream mapping; a queue ' +
        'behind it would only move the same failed records one step further.',
    );

    sync.function.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 50,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.days(1),
        reportBatchItemFailures: true,
        // Records of one contact stay in order: never more than one batch per shard at a time.
        parallelizationFactor: 1,
        onFailure: new SqsDlq(dlq),
        // Only contact items concern MailChimp; others (enquiries, suppression entries) never invoke it.
        filters: [
          FilterCriteria.filter({
            dynamodb: { Keys: { [TABLE_DEFINITION.partitionKey]: { S: FilterRule.beginsWith('CONTACT#') } } },
          }),
        ],
      }),
    );
    this.acknowledgeListStreams(sync, 'MailChimp sync');
    this.alarmOnDeadLetters(
      'MailchimpSyncDlqAlarm',
      dlq,
      'Consent Desk: stream records the MailChimp sync gave up on are in its dead-letter queue',
    );
    // MailChimp must follow the table within a minute in normal operation; this says when it does not.
    this.notifyOps(
      new Alarm(this, 'MailchimpSyncIteratorAgeAlarm', {
        alarmDescription: 'Consent Desk: the MailChimp sync is more than a minute behind the table',
        metric: sync.function.metric('IteratorAge', { period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 60_000,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    new CfnOutput(this, 'MailchimpSyncDlqUrl', {
      value: dlq.queueUrl,
      description: 'Dead-letter queue of the MailChimp sync (stream records it gave up on)',
    });
    new CfnOutput(this, 'MailchimpSyncDlqArn', { value: dlq.queueArn });
    return dlq;
  }
}

/** One of our embedded-format metrics without dimensions, as an alarm watches it. */
function productMetric(metricName: string, statistic: 'Sum' | 'Maximum', period: Duration): Metric {
  return new Metric({ namespace: METRICS_NAMESPACE, metricName, statistic, period });
}

/** `enquiry` -> `EnquiryFunction`: stable construct ids, hence stable logical ids. */
function fnId(name: FunctionName): string {
  const pascal = name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
  return `${pascal}Function`;
}
