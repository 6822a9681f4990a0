/** The scheduled MailChimp reconciliation: its function, its grants and its quarter-hourly rule. */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../infra/routes.ts';
import {
  configWith,
  exampleConfig,
  followReference,
  logicalIdOf,
  roleStatements,
  synthesize,
} from './synth.ts';

describe('the mailchimpReconcile function', () => {
  let stateless: Template;
  let stateful: Template;

  beforeAll(() => {
    const synth = synthesize(exampleConfig(), { bundle: false });
    stateless = synth.statelessTemplate;
    stateful = synth.statefulTemplate;
  });

  const functionId = () =>
    logicalIdOf(stateless, 'AWS::Lambda::Function', 'MailchimpReconcileFunction/Function/Resource');
  const props = () => stateless.toJSON().Resources[functionId()].Properties;
  const tableId = () => logicalIdOf(stateful, 'AWS::DynamoDB::Table', 'Table/Resource');
  const secretId = (name: string) => logicalIdOf(stateful, 'AWS::SecretsManager::Secret', `${name}/Resource`);

  it('runs one sweep at a time, for up to five minutes', () => {
    expect(props()).toMatchObject({
      ReservedConcurrentExecutions: 1,
      Timeout: 300,
      MemorySize: 512,
      Description: FUNCTIONS.mailchimpReconcile.description,
    });
  });

  it('gets the table, the hash, link and MailChimp API keys, the audience and the API URL through its environment', () => {
    const variables = props().Environment.Variables;
    expect(Object.keys(variables).sort()).toEqual([
      'API_BASE_URL',
      'EMAIL_HASH_KEY_SECRET_ARN',
      'MAILCHIMP_API_KEY_SECRET_ARN',
      'MAILCHIMP_LIST_ID',
      'MAILCHIMP_PREFERENCES_MERGE_TAG',
      'MAILCHIMP_SERVER',
      'MAIL_TRANSPORT',
      'TABLE_NAME',
      'TOKEN_SIGNING_KEYS_SECRET_ARN',
    ]);
    expect(followReference(variables.TOKEN_SIGNING_KEYS_SECRET_ARN, stateful)).toEqual({
      Ref: secretId('TokenSigningKey'),
    });
    expect(followReference(variables.TABLE_NAME, stateful)).toEqual({ Ref: tableId() });
    expect(followReference(variables.EMAIL_HASH_KEY_SECRET_ARN, stateful)).toEqual({
      Ref: secretId('EmailHashKey'),
    });
    expect(followReference(variables.MAILCHIMP_API_KEY_SECRET_ARN, stateful)).toEqual({
      Ref: secretId('MailchimpApiKey'),
    });
    expect(variables.MAILCHIMP_SERVER).toBe('us21');
    expect(variables.MAILCHIMP_LIST_ID).toBe('example-list-id');
  });

  it('may do exactly what it needs: its logs, item actions on the table and gsi1, and three secrets', () => {
    const logGroupId = logicalIdOf(
      stateless,
      'AWS::Logs::LogGroup',
      'MailchimpReconcileFunction/Logs/Resource',
    );
    const statements = roleStatements(stateless, props().Role['Fn::GetAtt'][0]).map((statement) => ({
      ...statement,
      resources: statement.resources.map((resource) => followReference(resource, stateful)),
    }));
    expect(statements).toEqual([
      {
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [{ 'Fn::GetAtt': [logGroupId, 'Arn'] }],
      },
      {
        actions: [
          'dynamodb:ConditionCheckItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        resources: [
          { 'Fn::GetAtt': [tableId(), 'Arn'] },
          // The table's ARN (through the stateful stack's output) and its gsi1.
          { 'Fn::Join': ['', [expect.anything(), '/index/gsi1']] },
        ],
      },
      {
        actions: ['secretsmanager:GetSecretValue'],
        resources: [
          { Ref: secretId('EmailHashKey') },
          { Ref: secretId('MailchimpApiKey') },
          { Ref: secretId('TokenSigningKey') },
        ],
      },
    ]);
  });

  it('alarms, through the alarm topic, when two sweeps in a row fail', () => {
    const topicId = logicalIdOf(stateless, 'AWS::SNS::Topic', 'Alarms/Topic/Resource');
    stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId() } }],
      Statistic: 'Sum',
      Period: 900,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it('is invoked every 15 minutes by one EventBridge rule, and only by it', () => {
    const rules = stateless.findResources('AWS::Events::Rule');
    const reconcileRules = Object.values(rules).filter((rule) =>
      JSON.stringify(rule.Properties.Targets).includes(functionId()),
    );
    // The other rule is the subject-request digest's, which targets the rights function.
    expect(Object.keys(rules)).toHaveLength(2);
    expect(reconcileRules.map((rule) => rule.Properties)).toEqual([
      expect.objectContaining({
        ScheduleExpression: 'rate(15 minutes)',
        State: 'ENABLED',
        Targets: [
          expect.objectContaining({
            Arn: { 'Fn::GetAtt': [functionId(), 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 0 },
          }),
        ],
      }),
    ]);
    const [ruleId] = Object.keys(rules);
    stateless.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [functionId(), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
    const invokers = Object.values(stateless.findResources('AWS::Lambda::Permission')).filter((permission) =>
      JSON.stringify(permission.Properties.FunctionName).includes(functionId()),
    );
    expect(invokers).toHaveLength(1);
  });
});

describe('a deployment without MailChimp settings', () => {
  it('has no reconciliation function and no schedule', () => {
    const synth = synthesize(
      configWith((raw) => {
        delete raw.mailchimp;
      }),
      { bundle: false },
    );
    expect(synth.stateless.functions.mailchimpReconcile).toBeUndefined();
    // Only the subject-request digest's schedule.
    synth.statelessTemplate.resourceCountIs('AWS::Events::Rule', 1);
    expect(JSON.stringify(synth.statelessTemplate.toJSON())).not.toMatch(/MailchimpReconcile/);
  });
});
