/**
 * The operations dashboard and the alarms on the API and the functions as a whole: what the product is
 * doing (enquiries, permissions granted and withdrawn by basis, unsubscribes, emails, overdue requests, from
 * our embedded-format metrics), how far the MailChimp sync lags, fails and is repaired, the dead-letter
 * queues, and where requests fail or are throttled.
 */
import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../shared/log.ts';

export interface OperationsDashboardProps {
  readonly api: RestApi;
  readonly functions: Readonly<Record<string, IFunction>>;
  /** Dead-letter queues by the consumer they belong to. */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  /** The MailChimp sync, when deployed: its iterator age is the sync lag. */
  readonly sync: IFunction | undefined;
  /** Every alarm created here is passed to this (the stack's alarm topic). */
  readonly notify: (alarm: Alarm) => void;
}

const FIVE_MINUTES = Duration.minutes(5);

/** One of our embedded-format metrics, summed over every dimension value it was emitted with. */
function product(metricName: string, label: string): IMetric {
  return new MathExpression({
    expression: `SUM(SEARCH('{${METRICS_NAMESPACE}} MetricName="${metricName}"', 'Sum', 300))`,
    label,
    period: FIVE_MINUTES,
  });
}

/** The lawful bases a permission is granted on. */
const BASES = ['consent', 'soft_opt_in'] as const;

/** One of our embedded-format metrics for one basis, summed over its other dimension (the source). */
function byBasis(metricName: string, basis: string, label: string): IMetric {
  return new MathExpression({
    expression: `SUM(SEARCH('{${METRICS_NAMESPACE},basis,source} MetricName="${metricName}" basis="${basis}"', 'Sum', 300))`,
    label,
    period: FIVE_MINUTES,
  });
}

/** One of our embedded-format metrics emitted without dimensions. */
function own(metricName: string, statistic: string, period: Duration, label: string): IMetric {
  return new Metric({ namespace: METRICS_NAMESPACE, metricName, statistic, period, label });
}

export class OperationsDashboard extends Construct {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const { api, functions } = props;
    const apiMetric = (metricName: string) =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiName: api.restApiName },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      });
    const serverErrorRate = new MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { errors: apiMetric('5XXError'), requests: apiMetric('Count') },
      label: 'API 5xx rate (%)',
      period: FIVE_MINUTES,
    });
    const throttles = Object.entries(functions).map(([name, fn]) =>
      fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum', label: name }),
    );
    const totalThrottles = new MathExpression({
      expression: throttles.map((_, index) => `t${index}`).join(' + ') || '0',
      usingMetrics: Object.fromEntries(throttles.map((metric, index) => [`t${index}`, metric])),
      label: 'Lambda throttles',
      period: FIVE_MINUTES,
    });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${api.restApiName}-operations`.replace(/[^A-Za-z0-9_-]/g, '-'),
    });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Enquiries',
        left: [
          product('EnquiriesReceived', 'received'),
          product('EnquiriesRejected', 'rejected'),
          product('EnquiriesRepeated', 'repeats answered'),
        ],
      }),
      new GraphWidget({
        title: 'Permissions',
        left: [
          ...BASES.map((basis) => byBasis('PermissionsGranted', basis, `granted (${basis})`)),
          ...[...BASES, 'pending'].map((basis) =>
            byBasis('PermissionsWithdrawn', basis, `withdrawn (${basis})`),
          ),
        ],
        right: [product('Unsubscribes', 'unsubscribes'), product('PermissionsChanged', 'consent events')],
      }),
      new GraphWidget({
        title: 'Emails',
        left: [
          product('EmailsSent', 'emails sent'),
          product('EmailsFailed', 'email sends failed'),
          product('ConfirmationEmailsSuppressed', 'confirmations suppressed'),
        ],
      }),
      new GraphWidget({
        title: 'Subject requests overdue',
        left: [own('OverdueSubjectRequests', 'Maximum', Duration.days(1), 'overdue requests')],
      }),
      new GraphWidget({ title: 'API', left: [serverErrorRate], right: [apiMetric('Count')] }),
      new GraphWidget({ title: 'Throttles', left: throttles }),
      new GraphWidget({
        title: 'Dead-letter queues',
        left: Object.entries(props.deadLetterQueues).map(([name, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, label: name }),
        ),
      }),
      ...(props.sync
        ? [
            new GraphWidget({
              title: 'MailChimp sync lag (ms)',
              left: [
                own('SyncLag', 'Maximum', FIVE_MINUTES, 'change to MailChimp accepting it'),
                props.sync.metric('IteratorAge', {
                  period: FIVE_MINUTES,
                  statistic: 'Maximum',
                  label: 'stream iterator age',
                }),
              ],
            }),
            new GraphWidget({
              title: 'MailChimp sync failures and repairs',
              left: [own('SyncFailures', 'Sum', FIVE_MINUTES, 'contacts failed')],
              right: [own('SyncRepaired', 'Sum', FIVE_MINUTES, 'repaired by the reconciliation')],
            }),
          ]
        : []),
    );

    if (props.sync) {
      // Measured end to end (our change to MailChimp accepting it), including what the reconciliation repairs.
      props.notify(
        new Alarm(this, 'MailchimpSyncLagAlarm', {
          alarmDescription: 'Consent Desk: a change took more than a minute to reach MailChimp',
          metric: new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: 'SyncLag',
            statistic: 'Maximum',
            period: FIVE_MINUTES,
          }),
          threshold: 60_000,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
      // A few contacts failing is MailChimp's rate limit at work; this many in 15 minutes is an outage.
      props.notify(
        new Alarm(this, 'MailchimpSyncFailuresAlarm', {
          alarmDescription: 'Consent Desk: MailChimp keeps refusing or failing the sync',
          metric: new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: 'SyncFailures',
            statistic: 'Sum',
            period: Duration.minutes(15),
          }),
          threshold: 5,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    // More than 1% of requests failing on our side for 10 minutes is an incident, not noise.
    props.notify(
      new Alarm(this, 'ApiServerErrorRateAlarm', {
        alarmDescription: 'Consent Desk: more than 1% of API requests answered 5xx',
        metric: serverErrorRate,
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    // Any throttled invocation means a request or a stream batch waited or was refused.
    props.notify(
      new Alarm(this, 'ThrottlesAlarm', {
        alarmDescription: 'Consent Desk: Lambda throttled invocations',
        metric: totalThrottles,
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
