import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, type CfnTable, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAppConfig, REPO_ROOT, resolveConfigPath } from '../../infra/config.ts';
import { ConsentDeskFunction } from '../../infra/constructs/consent-desk-function.ts';
import { PublicApi } from '../../infra/constructs/public-api.ts';
import { BINARY_MEDIA_TYPES, FUNCTIONS, STAGE_THROTTLE } from '../../infra/routes.ts';
import { toRuntimeConfig } from '../../shared/config/schema.ts';
import { configWith, followReference, logicalIdOf, roleStatements, synthesize } from './synth.ts';

describe('a deployment with WAF off, Turnstile on, no deletion protection, 90-day logs and 7-day backups', () => {
  let stateless: Template;
  let stateful: Template;

  beforeAll(() => {
    const synth = synthesize(
      configWith((raw) => {
        const forms = raw.forms as Record<string, unknown>[];
        forms[1] = { ...forms[1], turnstile: true };
        raw.waf = { enabled: false };
        raw.deletionProtection = false;
        raw.logRetentionDays = 90;
        raw.retention = { backupDays: 7 };
      }),
      { bundle: false },
    );
    stateless = synth.statelessTemplate;
    stateful = synth.statefulTemplate;
  });

  it('has no web ACL', () => {
    stateless.resourceCountIs('AWS::WAFv2::WebACL', 0);
    stateless.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });

  it('has a Turnstile secret for ops to fill in, with its ARN as an output', () => {
    stateful.resourceCountIs('AWS::SecretsManager::Secret', 5);
    const secretId = logicalIdOf(stateful, 'AWS::SecretsManager::Secret', 'TurnstileSecret/Resource');
    stateful.hasOutput('TurnstileSecretArn', { Value: { Ref: secretId } });
  });

  it('lets the enquiry function read the Turnstile secret, and nothing more than before', () => {
    const secretId = logicalIdOf(stateful, 'AWS::SecretsManager::Secret', 'TurnstileSecret/Resource');
    const hashKeyId = logicalIdOf(stateful, 'AWS::SecretsManager::Secret', 'EmailHashKey/Resource');
    const functionId = logicalIdOf(stateless, 'AWS::Lambda::Function', 'EnquiryFunction/Function/Resource');
    const fn = stateless.toJSON().Resources[functionId].Properties;
    expect(followReference(fn.Environment.Variables.TURNSTILE_SECRET_ARN, stateful)).toEqual({
      Ref: secretId,
    });

    const secretStatements = roleStatements(stateless, fn.Role['Fn::GetAtt'][0]).filter((statement) =>
      statement.actions.some((action) => action.startsWith('secretsmanager:')),
    );
    const granted = secretStatements.flatMap((statement) => {
      expect(statement.actions).toEqual(['secretsmanager:GetSecretValue']);
      return statement.resources.map((resource) => followReference(resource, stateful));
    });
    expect(granted).toEqual(expect.arrayContaining([{ Ref: hashKeyId }, { Ref: secretId }]));
    expect(granted).toHaveLength(2);
  });

  it('takes deletion protection, the backup window and log retention from the config', () => {
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      DeletionProtectionEnabled: false,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 },
    });
    const retentions = Object.values(stateless.findResources('AWS::Logs::LogGroup')).map(
      (group) => group.Properties.RetentionInDays,
    );
    // One log group per function plus the API access logs and the staff console deployment's.
    expect(retentions).toEqual(Array(Object.keys(FUNCTIONS).length + 2).fill(90));
  });
});

describe('a deployment without MailChimp settings', () => {
  let stateless: Template;
  let stateful: Template;
  let functions: Readonly<Partial<Record<string, unknown>>>;

  beforeAll(() => {
    const synth = synthesize(
      configWith((raw) => {
        delete raw.mailchimp;
      }),
      { bundle: false },
    );
    stateless = synth.statelessTemplate;
    stateful = synth.statefulTemplate;
    functions = synth.stateless.functions;
  });

  it("deploys no sync function, stream mapping, queue or MailChimp alarm: only the mailer's", () => {
    expect(Object.keys(functions).sort()).toEqual([
      'enquiry',
      'links',
      'mailchimpWebhook',
      'mailer',
      'rights',
      'staff',
    ]);
    // The six, and CDK's handler that deploys the staff console's files.
    stateless.resourceCountIs('AWS::Lambda::Function', 7);
    stateless.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    stateless.resourceCountIs('AWS::SQS::Queue', 1);
    // The mailer's two, the API 5xx rate and throttles, and the overdue subject requests'.
    stateless.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    stateless.resourceCountIs('AWS::SNS::Topic', 1);
    expect(Object.keys(stateless.findOutputs('*'))).not.toContain('MailchimpSyncDlqUrl');
  });

  it('has no MailChimp API key secret', () => {
    stateful.resourceCountIs('AWS::SecretsManager::Secret', 3);
    expect(Object.keys(stateful.findOutputs('*'))).not.toContain('MailchimpApiKeyArn');
  });
});

describe('the mailchimp settings', () => {
  it('stay out of the runtime config compiled into the functions', () => {
    const config = configWith(() => {});
    expect(config.mailchimp).toEqual({
      server: 'us21',
      listId: 'example-list-id',
      preferencesMergeTag: 'PREFSURL',
    });
    expect(Object.keys(toRuntimeConfig(config))).not.toContain('mailchimp');
  });

  it('need a data centre such as us21 and a list id', () => {
    const withMailchimp = (mailchimp: unknown) =>
      configWith((raw) => {
        raw.mailchimp = mailchimp;
      });
    expect(() => withMailchimp({ server: 'https://x', listId: 'a' })).toThrow(/mailchimp\.server/);
    expect(() => withMailchimp({ server: 'us21', listId: '' })).toThrow(/mailchimp\.listId/);
  });

  it('take a merge tag MailChimp accepts: up to 10 of A-Z, 0-9 and _, not EMAIL', () => {
    const withTag = (preferencesMergeTag: string) =>
      configWith((raw) => {
        raw.mailchimp = { server: 'us21', listId: 'l', preferencesMergeTag };
      }).mailchimp?.preferencesMergeTag;
    expect(withTag('PREF_LINK1')).toBe('PREF_LINK1');
    for (const bad of ['prefsurl', 'PREFERENCES', '1PREFS', 'PREFS-URL', 'EMAIL', '']) {
      expect(() => withTag(bad)).toThrow(/mailchimp\.preferencesMergeTag/);
    }
  });
});

describe('a deployment with an alarm email address', () => {
  it('subscribes that address to the alarm topic', () => {
    const synth = synthesize(
      configWith((raw) => {
        raw.alarms = { email: 'ops@example.co.uk' };
      }),
      { bundle: false },
    );
    const template = synth.statelessTemplate;
    const topicId = logicalIdOf(template, 'AWS::SNS::Topic', 'Alarms/Topic/Resource');
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.co.uk',
      TopicArn: { Ref: topicId },
    });
  });

  it('refuses an address that is not one', () => {
    expect(() =>
      configWith((raw) => {
        raw.alarms = { email: 'ops' };
      }),
    ).toThrow(/alarms\.email/);
  });
});

describe('a deployment with a public base URL', () => {
  it('gives the MailChimp sync no API URL: its links use the configured base', () => {
    const synth = synthesize(
      configWith((raw) => {
        raw.publicBaseUrl = 'https://consent.example.co.uk';
      }),
      { bundle: false },
    );
    const template = synth.statelessTemplate;
    const functionId = logicalIdOf(
      template,
      'AWS::Lambda::Function',
      'MailchimpSyncFunction/Function/Resource',
    );
    const variables = template.toJSON().Resources[functionId].Properties.Environment.Variables;
    expect(Object.keys(variables)).not.toContain('API_BASE_URL');
    expect(variables.MAILCHIMP_PREFERENCES_MERGE_TAG).toBe('PREFSURL');
  });
});

describe('loading the config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'consent-desk-config-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('takes -c config over CONSENT_DESK_CONFIG over the default, relative to the repository', () => {
    const env = { CONSENT_DESK_CONFIG: 'from-env.json' };
    expect(resolveConfigPath('from-context.json', env)).toBe(join(REPO_ROOT, 'from-context.json'));
    expect(resolveConfigPath(undefined, env)).toBe(join(REPO_ROOT, 'from-env.json'));
    expect(resolveConfigPath(undefined, {})).toBe(join(REPO_ROOT, 'consent-desk.config.json'));
    expect(resolveConfigPath('/etc/consent-desk.json', env)).toBe('/etc/consent-desk.json');
    expect(() => resolveConfigPath(42, {})).toThrow(/must be a file path/);
  });

  it('says which file is missing and how to choose another', () => {
    expect(() => loadAppConfig(join(dir, 'absent.json'))).toThrow(
      /Cannot read the Consent Desk config file .*absent\.json.*-c config=<path> or CONSENT_DESK_CONFIG/,
    );
  });

  it('rejects a file that is not JSON, naming it', () => {
    expect(() => loadAppConfig(file('broken.json', '{ "forms": '))).toThrow(/broken\.json is not valid JSON/);
  });

  it('rejects a config the schema refuses, listing the problem', () => {
    expect(() => loadAppConfig(file('empty.json', '{}'))).toThrow(
      /empty\.json: Invalid Consent Desk config:[\s\S]*organisation/,
    );
  });

  it('rejects a log retention CloudWatch does not offer', () => {
    const raw = JSON.parse(JSON.stringify(configWith(() => {})));
    const path = file('retention.json', JSON.stringify({ ...raw, logRetentionDays: 31 }));
    expect(() => loadAppConfig(path)).toThrow(/logRetentionDays must be one of 1, 3, 5, 7, 14, 30,.* not 31/);
  });
});

describe('the public API construct', () => {
  it('refuses a staff route rather than deploy it without the staff user pool', () => {
    const stack = new Stack(new App(), 'Guard');
    const handler = new LambdaFunction(stack, 'Fn', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => ({ statusCode: 200 });'),
    });
    expect(
      () =>
        new PublicApi(stack, 'Api', {
          routes: [
            {
              method: 'GET',
              path: '/contacts',
              function: 'enquiry',
              access: 'staff',
              groups: ['marketing'],
              throttle: { rateLimit: 1, burstLimit: 1 },
            },
          ],
          functions: {
            enquiry: handler,
            links: handler,
            mailchimpWebhook: handler,
            mailchimpSync: handler,
            mailchimpReconcile: handler,
            staff: handler,
            rights: handler,
            mailer: handler,
          },
          stageName: 'v1',
          stageThrottle: STAGE_THROTTLE,
          binaryMediaTypes: BINARY_MEDIA_TYPES,
          allowedOrigins: [],
          logRetention: RetentionDays.ONE_WEEK,
        }),
    ).toThrow(/GET \/contacts is a staff route, but no staff user pool was given/);
  });
});

describe('the function construct', () => {
  it('merges the caller environment and grants table actions on exactly the named indexes', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Construct');
    const table = new Table(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    const fn = new ConsentDeskFunction(stack, 'Fn', {
      spec: FUNCTIONS.enquiry,
      runtimeConfig: toRuntimeConfig(configWith(() => {})),
      logRetention: RetentionDays.ONE_WEEK,
      environment: { EXTRA: 'yes' },
    }).bindTable(table, { actions: ['dynamodb:Query'], indexes: ['gsi1'] });
    const template = Template.fromStack(stack);
    const tableId = stack.getLogicalId(table.node.defaultChild as CfnTable);

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          EXTRA: 'yes',
          MAIL_TRANSPORT: 'ses',
          TABLE_NAME: { Ref: tableId },
        },
      },
    });
    const roleId = stack.getLogicalId(fn.role.node.defaultChild as CfnRole);
    expect(roleStatements(template, roleId)).toContainEqual({
      actions: ['dynamodb:Query'],
      resources: [
        { 'Fn::GetAtt': [tableId, 'Arn'] },
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/gsi1']] },
      ],
    });
  });
});
