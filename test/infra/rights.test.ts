/** The rights function: exact grants (writes only in the partitions a request concerns), its daily digest and the overdue alarm. */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, ROUTES } from '../../infra/routes.ts';
import { exampleConfig, followReference, logicalIdOf, roleStatements, synthesize } from './synth.ts';

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

  it('serves the register and the verification page, behind the authorizer except the page', () => {
    const routes = ROUTES.filter((route) => route.function === 'rights');
    expect(
      routes.filter((route) => route.access === 'public').map((route) => `${route.method} ${route.path}`),
    ).toEqual(['GET /verify-request', 'HEAD /verify-request', 'POST /verify-request']);
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

  it('reads the table and gsi1, writes only person, statement, enquiry, suppression, register, confirmation-window and audit partitions', () => {
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
