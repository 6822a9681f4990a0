import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { locateBundles } from '../../bench/bundles.ts';
import { FUNCTIONS, type FunctionName, ROUTES, STAGE_THROTTLE } from '../../infra/routes.ts';
import type { AppConfig } from '../../shared/config/schema.ts';
import {
  exampleConfig,
  followReference,
  logicalIdOf,
  roleStatements,
  type Synthesized,
  synthesize,
} from './synth.ts';

let config: AppConfig;
let synth: Synthesized;
let stateless: Template;
let stateful: Template;

beforeAll(() => {
  config = exampleConfig();
  // The one synthesis in this suite that runs esbuild, so the bundle itself can be checked.
  synth = synthesize(config, { bundle: true });
  stateless = synth.statelessTemplate;
  stateful = synth.statefulTemplate;
});

const tableId = () => logicalIdOf(stateful, 'AWS::DynamoDB::Table', 'Table/Resource');
const emailHashKeyId = () => logicalIdOf(stateful, 'AWS::SecretsManager::Secret', 'EmailHashKey/Resource');
const signingKeyId = () => logicalIdOf(stateful, 'AWS::SecretsManager::Secret', 'TokenSigningKey/Resource');

/** `links` -> `LinksFunction`, as the stack names its constructs. */
const constructId = (name: FunctionName) => `${name[0]?.toUpperCase()}${name.slice(1)}Function`;
const functionId = (name: FunctionName) =>
  logicalIdOf(stateless, 'AWS::Lambda::Function', `${constructId(name)}/Function/Resource`);
const functionProps = (name: FunctionName) => stateless.toJSON().Resources[functionId(name)].Properties;
const logGroupId = (name: FunctionName) =>
  logicalIdOf(stateless, 'AWS::Logs::LogGroup', `${constructId(name)}/Logs/Resource`);
const roleId = (name: FunctionName): string => functionProps(name).Role['Fn::GetAtt'][0];
/** The function's role statements, with cross-stack references resolved to the resources they name. */
const statementsOf = (name: FunctionName) =>
  roleStatements(stateless, roleId(name)).map((statement) => ({
    ...statement,
    resources: statement.resources.map((resource) => followReference(resource, stateful)),
  }));
const bundleOf = (name: FunctionName) => {
  const found = locateBundles(synth.stateless, synth.outdir).find((bundle) => bundle.name === name);
  if (!found) throw new Error(`no ${name} bundle`);
  return found;
};

/** Item actions on the table only (no index ARN): every function reads and writes single contacts. */
const itemActionsOnTable = () => ({
  actions: [
    'dynamodb:ConditionCheckItem',
    'dynamodb:DeleteItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
  ],
  resources: [{ 'Fn::GetAtt': [tableId(), 'Arn'] }],
});

/** What MailChimp's official client leaves in a bundle. */
const MAILCHIMP_CLIENT = /superagent|mailchimp_marketing|api\.mailchimp\.com/i;

describe.each(Object.keys(FUNCTIONS) as FunctionName[])('the %s function', (name) => {
  it('runs Node.js 24 on arm64 with the sizes and description from FUNCTIONS', () => {
    expect(functionProps(name)).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: FUNCTIONS[name].memorySize,
      Timeout: FUNCTIONS[name].timeoutSeconds,
      Description: FUNCTIONS[name].description,
    });
  });

  it('logs to its own log group with the configured retention', () => {
    expect(functionProps(name).LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId(name) } });
    expect(stateless.toJSON().Resources[logGroupId(name)].Properties.RetentionInDays).toBe(
      config.logRetentionDays,
    );
  });

  it('has its own role with no managed policies', () => {
    const role = stateless.toJSON().Resources[roleId(name)];
    expect(role.Type).toBe('AWS::IAM::Role');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }),
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const others = (Object.keys(FUNCTIONS) as FunctionName[]).filter((other) => other !== name);
    for (const other of others) expect(roleId(other)).not.toBe(roleId(name));
  });

  it('reaches node:http through require, not an ESM import (which would load undici at start-up)', () => {
    const bundle = readFileSync(bundleOf(name).file, 'utf8');
    expect(bundle).not.toMatch(/from\s*["'](node:)?http["']/);
    expect(bundle).toContain('process.getBuiltinModule("node:http")');
  });

  it("takes Lambda's credentials from its environment, without the SDK's profile, SSO, web-identity or container providers", () => {
    const bundle = readFileSync(bundleOf(name).file, 'utf8');
    expect(bundle).toContain('No AWS credentials in the environment');
    expect(bundle).not.toMatch(
      /AWS_WEB_IDENTITY_TOKEN_FILE|AWS_CONTAINER_CREDENTIALS|credential_process|sso_start_url/,
    );
  });

  it('has its runtime config compiled into an ESM bundle with a source map', () => {
    const { file } = bundleOf(name);
    const bundle = readFileSync(file, 'utf8');
    expect(bundle.startsWith("import { createRequire } from 'module';")).toBe(true);
    expect(readFileSync(`${file}.map`, 'utf8')).toContain('"mappings"');
  });
});

describe("MailChimp's client", () => {
  const callers: readonly FunctionName[] = ['mailchimpSync', 'mailchimpReconcile'];
  const others = (Object.keys(FUNCTIONS) as FunctionName[]).filter((name) => !callers.includes(name));

  it.each(others)('is not in the %s bundle', (name) => {
    // Only the sync and the reconciliation call MailChimp's API: no other function may carry its client
    // (its base URL, its package name) or superagent, the HTTP library it brings.
    expect(readFileSync(bundleOf(name).file, 'utf8')).not.toMatch(MAILCHIMP_CLIENT);
  });

  it.each(callers)('is in the %s bundle', (name) => {
    expect(readFileSync(bundleOf(name).file, 'utf8')).toMatch(MAILCHIMP_CLIENT);
  });
});

/** The path of SES's SendEmail, which no minifier renames. */
const SES_SEND_EMAIL = '/v2/email/outbound-emails';

describe("SES's client", () => {
  const others = (Object.keys(FUNCTIONS) as FunctionName[]).filter((name) => name !== 'mailer');

  it.each(others)('is not in the %s bundle', (name) => {
    // Only the mailer sends: every other function queues its emails in the outbox.
    expect(readFileSync(bundleOf(name).file, 'utf8')).not.toContain(SES_SEND_EMAIL);
  });

  it('is in the mailer bundle', () => {
    expect(readFileSync(bundleOf('mailer').file, 'utf8')).toContain(SES_SEND_EMAIL);
  });
});

describe('the enquiry function', () => {
  it('gets the table, the mail transport, the API URL and the hash key secret through its environment (no mail keys)', () => {
    const variables = functionProps('enquiry').Environment.Variables;
    expect(Object.keys(variables).sort()).toEqual([
      'API_BASE_URL',
      'EMAIL_HASH_KEY_SECRET_ARN',
      'MAIL_TRANSPORT',
      'TABLE_NAME',
    ]);
    expect(variables.MAIL_TRANSPORT).toBe('ses');
    // No --enable-source-maps: stacks are mapped when an error is logged (shared/stack-trace.ts).
    expect(variables.NODE_OPTIONS).toBeUndefined();
    // Email links name the stage URL of this stack's own API, whatever Host a request carries.
    const restApiId = logicalIdOf(stateless, 'AWS::ApiGateway::RestApi', 'PublicApi/Api/Resource');
    expect(JSON.stringify(variables.API_BASE_URL)).toContain(`{"Ref":"${restApiId}"}`);
    expect(JSON.stringify(variables.API_BASE_URL)).toMatch(/execute-api.*\/v1\/"/);
    expect(followReference(variables.TABLE_NAME, stateful)).toEqual({ Ref: tableId() });
    expect(followReference(variables.EMAIL_HASH_KEY_SECRET_ARN, stateful)).toEqual({ Ref: emailHashKeyId() });
  });

  it('has the config compiled in rather than passed in its environment', () => {
    const bundle = readFileSync(bundleOf('enquiry').file, 'utf8');
    expect(bundle).not.toContain('process.env.APP_CONFIG');
    expect(bundle).toContain(JSON.stringify(config.organisation.name));
  });

  it('stays within its size budget, without the mail or MailChimp clients', () => {
    // Measured at 331 kB (110 kB gzip); the budget leaves room for small changes, not for a new dependency.
    const bundle = bundleOf('enquiry');
    expect(bundle.bundleBytes).toBeLessThan(360_000);
    expect(bundle.gzipBytes).toBeLessThan(120_000);
    const code = readFileSync(bundle.file, 'utf8');
    // Emails are queued in the outbox and sent by the mailer: no SES client, no MailChimp client.
    expect(code).not.toMatch(/SESv2Client|email\.[a-z0-9-]+\.amazonaws|SendEmailCommand/);
    expect(code).not.toMatch(MAILCHIMP_CLIENT);
    // Nor the SDK's event-stream codec, which none of our clients needs (and which loads node:zlib).
    expect(code).not.toMatch(/from\s*["'](node:)?zlib["']/);
  });

  it('may do exactly what it needs: its logs, item actions on the table, one secret, no email', () => {
    expect(statementsOf('enquiry')).toEqual([
      {
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [{ 'Fn::GetAtt': [logGroupId('enquiry'), 'Arn'] }],
      },
      itemActionsOnTable(),
      { actions: ['secretsmanager:GetSecretValue'], resources: [{ Ref: emailHashKeyId() }] },
    ]);
  });
});

describe('the links function', () => {
  it('gets the table, the API URL and the hash and link-signing key secrets through its environment', () => {
    const variables = functionProps('links').Environment.Variables;
    expect(Object.keys(variables).sort()).toEqual([
      'API_BASE_URL',
      'EMAIL_HASH_KEY_SECRET_ARN',
      'MAIL_TRANSPORT',
      'TABLE_NAME',
      'TOKEN_SIGNING_KEYS_SECRET_ARN',
    ]);
    expect(followReference(variables.TABLE_NAME, stateful)).toEqual({ Ref: tableId() });
    expect(followReference(variables.EMAIL_HASH_KEY_SECRET_ARN, stateful)).toEqual({ Ref: emailHashKeyId() });
    expect(followReference(variables.TOKEN_SIGNING_KEYS_SECRET_ARN, stateful)).toEqual({
      Ref: signingKeyId(),
    });
  });

  it('may do exactly what it needs: its logs, item actions on the table and its two secrets, and no email', () => {
    expect(statementsOf('links')).toEqual([
      {
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [{ 'Fn::GetAtt': [logGroupId('links'), 'Arn'] }],
      },
      itemActionsOnTable(),
      {
        actions: ['secretsmanager:GetSecretValue'],
        resources: [{ Ref: emailHashKeyId() }, { Ref: signingKeyId() }],
      },
    ]);
  });

  it('serves GET, HEAD and POST on every link route', () => {
    const linkRoutes = ROUTES.filter((route) => route.function === 'links');
    expect(linkRoutes.map((route) => `${route.method} ${route.path}`).sort()).toEqual(
      ['/unsubscribe', '/preferences', '/confirm']
        .flatMap((path) => ['GET', 'HEAD', 'POST'].map((method) => `${method} ${path}`))
        .sort(),
    );
  });
});

describe('IAM across both stacks', () => {
  it('grants no wildcard action, and Resource "*" only for dynamodb:ListStreams', () => {
    // CDK's own bucket-deployment handler is left out; test/infra/staff-console.test.ts checks its grants.
    const ours = (template: Template) =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .filter(
          (policy) => !String(policy.Metadata?.['aws:cdk:path']).includes('/Custom::CDKBucketDeployment'),
        )
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    for (const statement of [...ours(stateless), ...ours(stateful)]) {
      for (const action of [statement.Action].flat()) expect(String(action)).not.toContain('*');
      // ListStreams has no resource-level permissions; the stream mapping needs it.
      if ([statement.Resource].flat().includes('*')) expect(statement.Action).toBe('dynamodb:ListStreams');
    }
  });
});

describe('the mailchimpSync function', () => {
  const dlqId = () => logicalIdOf(stateless, 'AWS::SQS::Queue', 'MailchimpSyncDlq/Resource');
  const apiKeyId = () => logicalIdOf(stateful, 'AWS::SecretsManager::Secret', 'MailchimpApiKey/Resource');
  const streamArn = () => ({ 'Fn::GetAtt': [tableId(), 'StreamArn'] });

  it('gets the table, the hash and link-signing keys, the MailChimp API key, audience and merge tag, and the API URL', () => {
    const variables = functionProps('mailchimpSync').Environment.Variables;
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
    expect(followReference(variables.TABLE_NAME, stateful)).toEqual({ Ref: tableId() });
    expect(followReference(variables.EMAIL_HASH_KEY_SECRET_ARN, stateful)).toEqual({ Ref: emailHashKeyId() });
    expect(followReference(variables.TOKEN_SIGNING_KEYS_SECRET_ARN, stateful)).toEqual({
      Ref: signingKeyId(),
    });
    expect(followReference(variables.MAILCHIMP_API_KEY_SECRET_ARN, stateful)).toEqual({ Ref: apiKeyId() });
    expect(variables.MAILCHIMP_SERVER).toBe('us21');
    expect(variables.MAILCHIMP_LIST_ID).toBe('example-list-id');
    expect(variables.MAILCHIMP_PREFERENCES_MERGE_TAG).toBe('PREFSURL');
    // The stage URL of this stack's own API, as the ApiUrl output gives it.
    const restApiId = logicalIdOf(stateless, 'AWS::ApiGateway::RestApi', 'PublicApi/Api/Resource');
    expect(JSON.stringify(variables.API_BASE_URL)).toContain(`{"Ref":"${restApiId}"}`);
    expect(variables.API_BASE_URL).toEqual(stateless.toJSON().Outputs.ApiUrl.Value);
  });

  it('runs one invocation at a time', () => {
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS.mailchimpSync.description,
      ReservedConcurrentExecutions: 1,
    });
    for (const name of ['enquiry', 'links', 'mailchimpWebhook'] as const) {
      expect(functionProps(name).ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  it('may do exactly what it needs: logs, item actions, the stream, three secrets, its dead-letter queue', () => {
    expect(statementsOf('mailchimpSync')).toEqual([
      {
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [{ 'Fn::GetAtt': [logGroupId('mailchimpSync'), 'Arn'] }],
      },
      itemActionsOnTable(),
      {
        actions: ['secretsmanager:GetSecretValue'],
        resources: [{ Ref: emailHashKeyId() }, { Ref: apiKeyId() }, { Ref: signingKeyId() }],
      },
      {
        actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        resources: [{ 'Fn::GetAtt': [dlqId(), 'Arn'] }],
      },
      { actions: ['dynamodb:ListStreams'], resources: ['*'] },
      {
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [streamArn()],
      },
    ]);
  });

  it('reads contact items from the table stream, retrying, splitting and parking failed batches', () => {
    const mappings = stateless.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: functionId('mailchimpSync') } },
    });
    expect(Object.keys(mappings)).toHaveLength(1);
    const mapping = Object.values(mappings)[0]?.Properties;
    expect(followReference(mapping.EventSourceArn, stateful)).toEqual(streamArn());
    stateless.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionId('mailchimpSync') },
      StartingPosition: 'LATEST',
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 1,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86400,
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId(), 'Arn'] } } },
      FilterCriteria: {
        Filters: [
          { Pattern: JSON.stringify({ dynamodb: { Keys: { pk: { S: [{ prefix: 'CONTACT#' }] } } } }) },
        ],
      },
    });
  });

  it('has an encrypted, TLS-only dead-letter queue keeping messages 14 days', () => {
    // Its own and the mailer's.
    stateless.resourceCountIs('AWS::SQS::Queue', 2);
    stateless.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    stateless.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlqId() }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    stateless.hasOutput('MailchimpSyncDlqUrl', { Value: { Ref: dlqId() } });
    stateless.hasOutput('MailchimpSyncDlqArn', { Value: { 'Fn::GetAtt': [dlqId(), 'Arn'] } });
  });

  it('alarms when a record reaches the dead-letter queue', () => {
    stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId(), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms when MailChimp falls more than a minute behind the table', () => {
    stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId('mailchimpSync') } }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 60_000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    // These two, the sync lag and failures, the reconciliation's, the mailer's two, the API 5xx rate and
    // throttles, and the overdue subject requests'.
    stateless.resourceCountIs('AWS::CloudWatch::Alarm', 10);
  });

  it('is invoked by no API route', () => {
    expect(ROUTES.filter((route) => route.function === 'mailchimpSync')).toEqual([]);
  });
});

describe('the mailer function', () => {
  const dlqId = () => logicalIdOf(stateless, 'AWS::SQS::Queue', 'MailerDlq/Resource');
  const streamArn = () => ({ 'Fn::GetAtt': [tableId(), 'StreamArn'] });
  const identity = (name: string) => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':ses:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:identity/${name}`,
      ],
    ],
  });

  it('gets the table, the mail transport and the link-signing key secret through its environment', () => {
    const variables = functionProps('mailer').Environment.Variables;
    expect(Object.keys(variables).sort()).toEqual([
      'MAIL_TRANSPORT',
      'TABLE_NAME',
      'TOKEN_SIGNING_KEYS_SECRET_ARN',
    ]);
    expect(variables.MAIL_TRANSPORT).toBe('ses');
    expect(followReference(variables.TABLE_NAME, stateful)).toEqual({ Ref: tableId() });
    expect(followReference(variables.TOKEN_SIGNING_KEYS_SECRET_ARN, stateful)).toEqual({
      Ref: signingKeyId(),
    });
  });

  it('may do exactly what it needs: outbox items only, one secret, one sender, the stream, its queue', () => {
    expect(statementsOf('mailer')).toEqual([
      {
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [{ 'Fn::GetAtt': [logGroupId('mailer'), 'Arn'] }],
      },
      {
        actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:Query'],
        resources: [
          { 'Fn::GetAtt': [tableId(), 'Arn'] },
          // The table's ARN (through the stateful stack's output) and its gsi1.
          { 'Fn::Join': ['', [expect.anything(), '/index/gsi1']] },
        ],
        condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['OUTBOX#*'] } },
      },
      { actions: ['secretsmanager:GetSecretValue'], resources: [{ Ref: signingKeyId() }] },
      {
        actions: ['ses:SendEmail'],
        resources: [identity('enquiries@example.co.uk'), identity('example.co.uk')],
        condition: { StringEquals: { 'ses:FromAddress': config.notifications.from } },
      },
      {
        actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        resources: [{ 'Fn::GetAtt': [dlqId(), 'Arn'] }],
      },
      { actions: ['dynamodb:ListStreams'], resources: ['*'] },
      {
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [streamArn()],
      },
    ]);
  });

  it('is the only function that may send email: the others queue theirs in the outbox', () => {
    const senders = (Object.keys(FUNCTIONS) as FunctionName[]).filter((name) =>
      statementsOf(name).some((statement) => statement.actions.some((action) => action.startsWith('ses:'))),
    );
    expect(senders).toEqual(['mailer']);
  });

  it('reads newly queued emails from the table stream, retrying, splitting and parking failed batches', () => {
    stateless.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionId('mailer') },
      StartingPosition: 'LATEST',
      BatchSize: 10,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86400,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId(), 'Arn'] } } },
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT'],
              dynamodb: { Keys: { pk: { S: [{ prefix: 'OUTBOX#' }] } } },
            }),
          },
        ],
      },
    });
  });

  it('alarms when a record reaches its dead-letter queue, and when sends keep failing', () => {
    stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId(), 'QueueName'] } }],
      Threshold: 1,
    });
    stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ConsentDesk',
      MetricName: 'EmailsFailed',
      Statistic: 'Sum',
      Period: 900,
      Threshold: 3,
    });
  });
});

describe('the operations dashboard', () => {
  it('shows enquiries, permissions by basis, unsubscribes, emails, overdue requests, the API, throttles, dead-letter queues and the sync', () => {
    const dashboards = Object.values(stateless.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    for (const metric of [
      'EnquiriesReceived',
      'EnquiriesRejected',
      'PermissionsChanged',
      'Unsubscribes',
      'EmailsSent',
      'EmailsFailed',
      'ConfirmationEmailsSuppressed',
      'OverdueSubjectRequests',
      '5XXError',
      'Throttles',
      'ApproximateNumberOfMessagesVisible',
      'IteratorAge',
      'SyncLag',
      'SyncFailures',
      'SyncRepaired',
    ])
      expect(body).toContain(metric);
    for (const metric of ['PermissionsGranted', 'PermissionsWithdrawn'])
      for (const basis of ['consent', 'soft_opt_in'])
        expect(body).toMatch(new RegExp(`${metric}\\\\+" basis=\\\\+"${basis}`));
    // Every dead-letter queue has a line.
    for (const queue of Object.keys(stateless.findResources('AWS::SQS::Queue')))
      expect(body).toContain(`{"Fn::GetAtt":["${queue}","QueueName"]}`);
  });

  it('alarms on the sync lag and on repeated sync failures, from our own metrics', () => {
    stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ConsentDesk',
      MetricName: 'SyncLag',
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 60_000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ConsentDesk',
      MetricName: 'SyncFailures',
      Statistic: 'Sum',
      Period: 900,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    // Every dead-letter queue has its alarm.
    const dlqAlarms = Object.values(stateless.findResources('AWS::CloudWatch::Alarm')).filter(
      (alarm) => alarm.Properties.MetricName === 'ApproximateNumberOfMessagesVisible',
    );
    expect(dlqAlarms).toHaveLength(Object.keys(stateless.findResources('AWS::SQS::Queue')).length);
  });

  it('alarms on the API 5xx rate and on any throttled invocation', () => {
    stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: 'Consent Desk: more than 1% of API requests answered 5xx',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 2,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)' }),
        Match.objectLike({
          Id: 'errors',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: '5XXError' }) }),
        }),
      ]),
    });
    const throttles = Object.values(
      stateless.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmDescription: 'Consent Desk: Lambda throttled invocations' },
      }),
    );
    expect(throttles).toHaveLength(1);
    const watched = JSON.stringify(throttles[0]?.Properties.Metrics);
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) expect(watched).toContain(functionId(name));
  });
});

describe('the alarm topic', () => {
  const topicId = () => logicalIdOf(stateless, 'AWS::SNS::Topic', 'Alarms/Topic/Resource');
  const keyId = () => logicalIdOf(stateless, 'AWS::KMS::Key', 'Alarms/Key/Resource');

  it('is notified by every alarm when it fires and when it recovers', () => {
    const alarms = Object.values(stateless.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(10);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId() }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId() }]);
    }
    stateless.hasOutput('AlarmTopicArn', { Value: { Ref: topicId() } });
  });

  it('is encrypted with its own rotated key, which CloudWatch alarms of this account may use', () => {
    stateless.resourceCountIs('AWS::SNS::Topic', 1);
    stateless.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId(), 'Arn'] },
    });
    stateless.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ]),
      },
    });
  });

  it("refuses requests without TLS and takes messages only from this account's alarms", () => {
    stateless.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId() }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: topicId() },
            Condition: {
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':cloudwatch:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':alarm:*',
                    ],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('has no subscription unless the config names an email address', () => {
    stateless.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('the REST API', () => {
  it('is regional and passes multipart bodies through as binary', () => {
    stateless.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      BinaryMediaTypes: ['multipart/form-data'],
    });
  });

  it('throttles the stage, and each route by its own limits, and never logs bodies', () => {
    const stage = Object.values(stateless.findResources('AWS::ApiGateway::Stage'))[0]?.Properties;
    expect(stage.MethodSettings).toContainEqual({
      HttpMethod: '*',
      ResourcePath: '/*',
      ThrottlingRateLimit: STAGE_THROTTLE.rateLimit,
      ThrottlingBurstLimit: STAGE_THROTTLE.burstLimit,
      LoggingLevel: 'OFF',
      DataTraceEnabled: false,
    });
    for (const route of ROUTES) {
      expect(stage.MethodSettings).toContainEqual(
        expect.objectContaining({
          HttpMethod: route.method,
          ResourcePath: route.path.replaceAll('/', '~1').replace(/^/, '/'),
          ThrottlingRateLimit: route.throttle.rateLimit,
          ThrottlingBurstLimit: route.throttle.burstLimit,
        }),
      );
    }
    expect(stage.MethodSettings).toHaveLength(ROUTES.length + 1);
    for (const setting of stage.MethodSettings) expect(setting.DataTraceEnabled).not.toBe(true);
  });

  it('writes JSON access logs without paths, query strings, IPs, user agents or bodies', () => {
    const stage = Object.values(stateless.findResources('AWS::ApiGateway::Stage'))[0]?.Properties;
    const format: string = stage.AccessLogSetting.Format;
    expect(Object.keys(JSON.parse(format))).toEqual(
      expect.arrayContaining([
        'requestId',
        'requestTime',
        'httpMethod',
        'resourcePath',
        'status',
        'responseLength',
        'integrationLatency',
        'wafResponseCode',
      ]),
    );
    expect(JSON.parse(format).resourcePath).toBe('$context.resourcePath');
    for (const forbidden of ['$context.path', 'sourceIp', 'userAgent', 'requestOverride', 'body', '$input']) {
      expect(format).not.toContain(forbidden);
    }
    const logGroupId = logicalIdOf(stateless, 'AWS::Logs::LogGroup', 'PublicApi/AccessLogs/Resource');
    expect(JSON.stringify(stage.AccessLogSetting.DestinationArn)).toContain(logGroupId);
    stateless.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: config.logRetentionDays });
  });

  it("has one Lambda proxy method per route, calling that route's function, staff routes behind Cognito", () => {
    const resources = stateless.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    // Rebuilds each API resource's path from its PathPart chain, so methods can be matched to ROUTES.
    const pathOf = (resourceId: unknown): string => {
      const ref = (resourceId as { Ref?: string }).Ref;
      const resource = ref ? resources[ref] : undefined;
      if (!resource) return '';
      return `${pathOf(resource.Properties.ParentId)}/${String(resource.Properties.PathPart)}`;
    };
    const proxied = Object.values(
      stateless.findResources('AWS::ApiGateway::Method', {
        Properties: { Integration: { Type: 'AWS_PROXY' } },
      }),
    ).map(({ Properties: method }) => ({
      route: `${method.HttpMethod} ${pathOf(method.ResourceId)}`,
      authorization: method.AuthorizationType,
      authorizer: method.AuthorizerId,
      integrationMethod: method.Integration.IntegrationHttpMethod,
      target: JSON.stringify(method.Integration.Uri).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/)?.[1],
    }));
    const authorizerId = logicalIdOf(
      stateless,
      'AWS::ApiGateway::Authorizer',
      'PublicApi/StaffAuthorizer/Resource',
    );
    expect(proxied.sort((x, y) => x.route.localeCompare(y.route))).toEqual(
      ROUTES.map((route) => ({
        route: `${route.method} ${route.path}`,
        authorization: route.access === 'staff' ? 'COGNITO_USER_POOLS' : 'NONE',
        authorizer: route.access === 'staff' ? { Ref: authorizerId } : undefined,
        integrationMethod: 'POST',
        target: functionId(route.function),
      })).sort((x, y) => x.route.localeCompare(y.route)),
    );
  });

  it('lets API Gateway invoke each function for exactly its own routes', () => {
    const permissions = Object.values(stateless.findResources('AWS::Lambda::Permission')).map(
      ({ Properties: permission }) => ({
        target: permission.FunctionName['Fn::GetAtt'][0],
        sourceArn: JSON.stringify(permission.SourceArn),
      }),
    );
    for (const route of ROUTES) {
      // A path parameter is a wildcard in the permission's source ARN.
      const arnPath = route.path.replace(/\{[^}]+\}/g, '*');
      const forRoute = permissions.filter(({ sourceArn }) =>
        sourceArn.endsWith(`"/${route.method}${arnPath}"]]}`),
      );
      expect(forRoute.length, `${route.method} ${route.path}`).toBeGreaterThan(0);
      for (const { target } of forRoute) expect(target).toBe(functionId(route.function));
    }
  });

  it('answers CORS preflights for exactly the configured origins, methods and headers', () => {
    const preflights = Object.values(
      stateless.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }),
    );
    expect(preflights).toHaveLength(new Set(ROUTES.map((route) => route.path)).size);
    for (const preflight of preflights) {
      const [response] = preflight.Properties.Integration.IntegrationResponses;
      // Staff resources also admit the staff console, whose origin is known at deploy time (a Fn::Join).
      const template: string | { 'Fn::Join': [string, unknown[]] } =
        response.ResponseTemplates['application/json'];
      const text =
        typeof template === 'string'
          ? template
          : template['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'CONSOLE')).join('');
      const origins = new Set<string>([
        response.ResponseParameters['method.response.header.Access-Control-Allow-Origin'].replaceAll("'", ''),
        ...[...text.matchAll(/\$origin == "([^"]+)"/g)].map((match) => match[1] as string).filter(Boolean),
      ]);
      const staffConsole = typeof template === 'string' ? [] : ['https://CONSOLE'];
      expect([...origins].sort()).toEqual([...config.allowedOrigins, ...staffConsole].sort());
      // Staff resources also allow Authorization (test/infra/staff-access.test.ts checks which).
      expect(response.ResponseParameters['method.response.header.Access-Control-Allow-Headers']).toMatch(
        /^'Content-Type,Accept(,Authorization)?'$/,
      );
      expect(response.ResponseParameters['method.response.header.Access-Control-Allow-Methods']).toMatch(
        /^'(GET|POST|HEAD)(,(GET|POST|HEAD))*,OPTIONS'$/,
      );
    }
  });

  it('outputs the API URL and the enquiry endpoint', () => {
    stateless.hasOutput('ApiUrl', {});
    stateless.hasOutput('EnquiryEndpoint', {
      Value: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/enquiries$')])] },
    });
  });
});

describe('the web ACL', () => {
  it('rate-limits each IP and applies the AWS common and known-bad-inputs rule groups', () => {
    stateless.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({
          Name: 'RatePerIp',
          Action: { Block: {} },
          Statement: {
            RateBasedStatement: { AggregateKeyType: 'IP', Limit: config.waf.rateLimitPer5Minutes },
          },
        }),
        Match.objectLike({
          OverrideAction: { None: {} },
          Statement: {
            ManagedRuleGroupStatement: {
              VendorName: 'AWS',
              Name: 'AWSManagedRulesCommonRuleSet',
              // Bodies up to 16 KiB are allowed; the function enforces that limit.
              RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
            },
          },
        }),
        Match.objectLike({
          OverrideAction: { None: {} },
          Statement: {
            ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' },
          },
        }),
      ],
    });
  });

  it('has metrics on every rule', () => {
    const [acl] = Object.values(stateless.findResources('AWS::WAFv2::WebACL'));
    const rules: { VisibilityConfig: unknown }[] = acl?.Properties.Rules;
    for (const visibility of [
      acl?.Properties.VisibilityConfig,
      ...rules.map((rule) => rule.VisibilityConfig),
    ]) {
      expect(visibility).toEqual(
        expect.objectContaining({ CloudWatchMetricsEnabled: true, MetricName: expect.any(String) }),
      );
    }
  });

  it('is associated with the API stage', () => {
    const aclId = logicalIdOf(stateless, 'AWS::WAFv2::WebACL', 'WebAcl/WebAcl');
    const apiId = logicalIdOf(stateless, 'AWS::ApiGateway::RestApi', 'PublicApi/Api/Resource');
    const stageId = logicalIdOf(stateless, 'AWS::ApiGateway::Stage', 'DeploymentStage.v1/Resource');
    stateless.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
      ResourceArn: {
        'Fn::Join': [
          '',
          Match.arrayWith([':apigateway:', '::/restapis/', { Ref: apiId }, '/stages/', { Ref: stageId }]),
        ],
      },
    });
  });
});
