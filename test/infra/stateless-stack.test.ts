import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { locateBundles } from '../../bench/bundles.ts';
import { ROUTES, STAGE_THROTTLE } from '../../infra/routes.ts';
import type { AppConfig } from '../../shared/config/schema.ts';
import {
  allStatements,
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

describe('the enquiry function', () => {
  const functionId = () =>
    logicalIdOf(stateless, 'AWS::Lambda::Function', 'EnquiryFunction/Function/Resource');
  const functionProps = () => stateless.toJSON().Resources[functionId()].Properties;

  it('runs Node.js 24 on arm64 with the sizes from FUNCTIONS', () => {
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 10,
      Description: 'Takes website enquiries and records marketing permission',
    });
  });

  it('logs to its own log group with the configured retention', () => {
    const logGroupId = logicalIdOf(stateless, 'AWS::Logs::LogGroup', 'EnquiryFunction/Logs/Resource');
    expect(functionProps().LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
    stateless.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: config.logRetentionDays });
  });

  it('gets the table, the mail transport and the hash key secret through its environment', () => {
    const variables = functionProps().Environment.Variables;
    expect(Object.keys(variables).sort()).toEqual([
      'EMAIL_HASH_KEY_SECRET_ARN',
      'MAIL_TRANSPORT',
      'NODE_OPTIONS',
      'TABLE_NAME',
    ]);
    expect(variables.MAIL_TRANSPORT).toBe('ses');
    expect(variables.NODE_OPTIONS).toBe('--enable-source-maps');
    expect(followReference(variables.TABLE_NAME, stateful)).toEqual({ Ref: tableId() });
    expect(followReference(variables.EMAIL_HASH_KEY_SECRET_ARN, stateful)).toEqual({ Ref: emailHashKeyId() });
  });

  const enquiryBundle = () => {
    const found = locateBundles(synth.stateless, synth.outdir).find((bundle) => bundle.name === 'enquiry');
    if (!found) throw new Error('no enquiry bundle');
    return found;
  };

  it('has its runtime config compiled into an ESM bundle with a source map', () => {
    const { file } = enquiryBundle();
    const bundle = readFileSync(file, 'utf8');
    expect(bundle.startsWith("import { createRequire } from 'module';")).toBe(true);
    expect(bundle).not.toContain('process.env.APP_CONFIG');
    expect(bundle).toContain(JSON.stringify(config.organisation.name));
    expect(readFileSync(`${file}.map`, 'utf8')).toContain('"mappings"');
  });

  it('stays within its size budget and never contains the MailChimp client', () => {
    const { file, bundleBytes } = enquiryBundle();
    // Measured at about 519 kB; the budget leaves room for small changes, not for a new dependency.
    expect(bundleBytes).toBeLessThan(570_000);
    // The enquiry path must never load MailChimp's client (or superagent, its HTTP library).
    expect(readFileSync(file, 'utf8')).not.toMatch(/mailchimp|superagent/i);
  });

  it('reaches node:http through require, not an ESM import (which would load undici at start-up)', () => {
    const bundle = readFileSync(enquiryBundle().file, 'utf8');
    expect(bundle).not.toMatch(/from\s*["'](node:)?http["']/);
    expect(bundle).toContain('process.getBuiltinModule("node:http")');
  });

  it('has its own role with no managed policies', () => {
    const roleId = functionProps().Role['Fn::GetAtt'][0];
    stateless.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }],
      },
    });
    expect(stateless.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('may do exactly what it needs: its logs, item actions on the table, one secret, one sender', () => {
    const roleId = functionProps().Role['Fn::GetAtt'][0];
    const logGroupId = logicalIdOf(stateless, 'AWS::Logs::LogGroup', 'EnquiryFunction/Logs/Resource');
    const statements = roleStatements(stateless, roleId).map((statement) => ({
      ...statement,
      resources: statement.resources.map((resource) => followReference(resource, stateful)),
    }));
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
        // The table only: no index ARN.
        resources: [{ 'Fn::GetAtt': [tableId(), 'Arn'] }],
      },
      { actions: ['secretsmanager:GetSecretValue'], resources: [{ Ref: emailHashKeyId() }] },
      {
        actions: ['ses:SendEmail'],
        resources: [identity('enquiries@example.co.uk'), identity('example.co.uk')],
        condition: { StringEquals: { 'ses:FromAddress': config.notifications.from } },
      },
    ]);
  });
});

describe('IAM across both stacks', () => {
  it('grants no wildcard action and no Resource "*"', () => {
    for (const statement of [...allStatements(stateless), ...allStatements(stateful)]) {
      for (const action of [statement.Action].flat()) expect(String(action)).not.toContain('*');
      expect([statement.Resource].flat()).not.toContain('*');
    }
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

  it('has one public Lambda proxy method per route', () => {
    for (const route of ROUTES) {
      stateless.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: route.method,
        AuthorizationType: 'NONE',
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
      });
    }
    const proxied = stateless.findResources('AWS::ApiGateway::Method', {
      Properties: { Integration: { Type: 'AWS_PROXY' } },
    });
    expect(Object.keys(proxied)).toHaveLength(ROUTES.length);
  });

  it('answers CORS preflights for exactly the configured origins, methods and headers', () => {
    const preflights = Object.values(
      stateless.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }),
    );
    expect(preflights).toHaveLength(new Set(ROUTES.map((route) => route.path)).size);
    for (const preflight of preflights) {
      const [response] = preflight.Properties.Integration.IntegrationResponses;
      const origins = new Set<string>([
        response.ResponseParameters['method.response.header.Access-Control-Allow-Origin'].replaceAll("'", ''),
        ...[...response.ResponseTemplates['application/json'].matchAll(/\$origin == "([^"]+)"/g)]
          .map((match) => match[1] as string)
          .filter(Boolean),
      ]);
      expect([...origins].sort()).toEqual([...config.allowedOrigins].sort());
      expect(response.ResponseParameters['method.response.header.Access-Control-Allow-Headers']).toBe(
        "'Content-Type,Accept'",
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
