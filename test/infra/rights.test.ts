/** The rights function: exact grants (writes only in the partitions a request concerns), its daily digest and the overdue alarm. */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, ROUTES } from '../../infra/routes.ts';
import {
  configWith,
  exampleConfig,
  followReference,
  logicalIdOf,
  roleStatements,
  synthesize,
} from './synth.ts';

describe('the rights function', () => {
  let stateless: Template;
  let stateful: Template;

  beforeAll(() => {
    const synth = synthesize(exampleConfig(), { bundle: false });
    stateless = synth.statelessTemplate;
    stateful = synth.statefulTemplate;
  });

  const functionId = () =>
    logicalIdOf(stateless, 'AWS::Lambda::Function', 'RightsFunction/Function/Resource');
  const props = () => stateless.toJSON().Resources[functionId()].Properties;
  const tableId = () => logicalIdOf(stateful, 'AWS::DynamoDB::Table', 'Table/Resource');

  it('serves the register behind the authorizer, and the people-facing pages without it', () => {
    const routes = ROUTES.filter((route) => route.function === 'rights');
    expect(
      routes.filter((route) => route.access === 'public').map((route) => `${route.method} ${route.path}`),
    ).toEqual(
      ['/verify-request', '/privacy-centre', '/privacy-centre/export', '/complaints'].flatMap((path) => [
        `GET ${path}`,
        `HEAD ${path}`,
        `POST ${path}`,
      ]),
    );
    expect(routes.filter((route) => route.access === 'staff')).toHaveLength(12);
    expect(
      routes
        .filter((route) => ['/imports', '/relationships'].includes(route.path))
        .map((route) => route.method),
    ).toEqual(['POST', 'POST']);
    expect(props()).toMatchObject({
      Timeout: 29,
      MemorySize: 1024,
      Description: FUNCTIONS.rights.description,
    });
  });

  it('reads the table and gsi1, writes only person, statement, enquiry, suppression, register, confirmation-window, audit, outbox and submission partitions', () => {
    const table = { 'Fn::GetAtt': [tableId(), 'Arn'] };
    const statements = roleStatements(stateless, props().Role['Fn::GetAtt'][0]).filter((statement) =>
      statement.actions.some((action) => action.startsWith('dynamodb:')),
    );
    const resolved = statements.map((statement) => ({
      ...statement,
      resources: statement.resources.map((resource) => {
        const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
        return join
          ? { 'Fn::Join': [join[0], join[1].map((part) => followReference(part, stateful))] }
          : followReference(resource, stateful);
      }),
    }));
    expect(resolved).toEqual([
      {
        actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
        resources: [table, { 'Fn::Join': ['', [table, '/index/gsi1']] }],
      },
      {
        actions: [
          'dynamodb:BatchWriteItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:DeleteItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ],
        resources: [table],
        condition: {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': [
              'CONTACT#*',
              'STATEMENT#*',
              'ENQUIRY#*',
              'SUPPRESSION#*',
              'REQUEST#*',
              'CONFIRMATION#*',
              'AUDIT#*',
              'OUTBOX#*',
              'SUBMISSION#*',
            ],
          },
        },
      },
    ]);
  });

  it('is invoked daily at 07:00 UTC for the digest, and an overdue request raises the alarm', () => {
    stateless.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 7 * * ? *)',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [functionId(), 'Arn'] },
          Id: 'Target0',
          RetryPolicy: { MaximumRetryAttempts: 2 },
        },
      ],
    });
    stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ConsentDesk',
      MetricName: 'OverdueSubjectRequests',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(props().Environment.Variables.MAILCHIMP_IN_USE).toBe('true');
  });
});

describe('the rights function with Turnstile on the people-facing forms', () => {
  it('gets a Turnstile secret to read, while the enquiry function (no form uses it) does not', () => {
    const synth = synthesize(
      configWith((raw) => {
        raw.peoplePages = { turnstile: true };
      }),
      { bundle: false },
    );
    const { statelessTemplate: stateless, statefulTemplate: stateful } = synth;
    const secretId = logicalIdOf(stateful, 'AWS::SecretsManager::Secret', 'TurnstileSecret/Resource');
    const fnProps = (path: string) =>
      stateless.toJSON().Resources[logicalIdOf(stateless, 'AWS::Lambda::Function', path)].Properties;
    const rights = fnProps('RightsFunction/Function/Resource');
    expect(followReference(rights.Environment.Variables.TURNSTILE_SECRET_ARN, stateful)).toEqual({
      Ref: secretId,
    });
    const readsSecret = roleStatements(stateless, rights.Role['Fn::GetAtt'][0])
      .filter((statement) => statement.actions.includes('secretsmanager:GetSecretValue'))
      .flatMap((statement) => statement.resources.map((resource) => followReference(resource, stateful)));
    expect(readsSecret).toContainEqual({ Ref: secretId });
    expect(
      fnProps('EnquiryFunction/Function/Resource').Environment.Variables.TURNSTILE_SECRET_ARN,
    ).toBeUndefined();
  });
});
