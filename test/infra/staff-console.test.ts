/**
 * The staff console as deployed: a private bucket read by CloudFront through Origin Access Control, strict
 * security headers, client routes answered with the app, the `staff-console` app client (code grant with
 * PKCE, no secret, the console URL only), the managed-login domain, config.json written at deploy time,
 * the console's origin admitted by the staff routes' CORS and no public route's, and the ConsoleUrl output.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { configWith, exampleConfig, logicalIdOf, type Synthesized, synthesize } from './synth.ts';

let synth: Synthesized;
let stateless: Template;
let stateful: Template;

beforeAll(() => {
  synth = synthesize(exampleConfig(), { bundle: false });
  stateless = synth.statelessTemplate;
  stateful = synth.statefulTemplate;
});

const distributionId = () =>
  logicalIdOf(stateless, 'AWS::CloudFront::Distribution', 'StaffConsole/Distribution/Resource');
const consoleUrl = () => ({
  'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId(), 'DomainName'] }, '/']],
});

describe('the staff console hosting', () => {
  it('keeps its files in a private, encrypted, TLS-only bucket with no website hosting', () => {
    const bucketId = logicalIdOf(stateless, 'AWS::S3::Bucket', 'StaffConsole/Files/Resource');
    const bucket = stateless.toJSON().Resources[bucketId].Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(
      bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault,
    ).toEqual({
      SSEAlgorithm: 'AES256',
    });
    expect(bucket.WebsiteConfiguration).toBeUndefined();
    stateless.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:GetObject',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Condition: {
              StringEquals: {
                'AWS:SourceArn': Match.objectLike({ 'Fn::Join': Match.anyValue() }),
              },
            },
          }),
        ]),
      },
    });
  });

  it('serves it through CloudFront with Origin Access Control, HTTPS only, and the app for client routes', () => {
    stateless.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    const config = stateless.toJSON().Resources[distributionId()].Properties.DistributionConfig;
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(config.Origins[0].OriginAccessControlId).toBeDefined();
    expect(config.Origins[0].S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    expect(config.CustomErrorResponses).toEqual([
      { ErrorCode: 403, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 0 },
      { ErrorCode: 404, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 0 },
    ]);
  });

  it('sends a strict CSP naming only itself, the API and the sign-in domain, and the other security headers', () => {
    const [policy] = Object.values(stateless.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
    const headers = policy?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = JSON.stringify(headers.ContentSecurityPolicy.ContentSecurityPolicy);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).toContain("connect-src 'self' https://");
    expect(csp).toContain('.execute-api.');
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(headers.StrictTransportSecurity).toMatchObject({
      AccessControlMaxAgeSec: 31_536_000,
      Override: true,
    });
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
    expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
  });

  it('writes config.json at deploy time and invalidates the distribution', () => {
    stateless.hasResourceProperties('Custom::CDKBucketDeployment', {
      Prune: true,
      RetainOnDelete: false,
      DistributionId: { Ref: distributionId() },
      DistributionPaths: ['/*'],
      SourceMarkers: Match.arrayWith([Match.objectLike({ '<<marker:0xbaba:0>>': Match.anyValue() })]),
    });
    const deployment = Object.values(stateless.findResources('Custom::CDKBucketDeployment'))[0];
    // The deploy-time values: the API, the user pool, its sign-in domain and the console's app client.
    const markers = JSON.stringify(deployment?.Properties.SourceMarkers);
    const clientId = logicalIdOf(stateless, 'AWS::Cognito::UserPoolClient', 'StaffConsole/Client/Resource');
    for (const reference of ['PublicApi', 'PublishOutputRefStaffUserPool', 'SignInDomain', clientId])
      expect(markers).toContain(reference);
  });

  it("limits CDK's deployment handler to the assets, the console bucket and CloudFront invalidations", () => {
    const bucketId = logicalIdOf(stateless, 'AWS::S3::Bucket', 'StaffConsole/Files/Resource');
    const statements = Object.values(stateless.findResources('AWS::IAM::Policy'))
      .filter((policy) => String(policy.Metadata?.['aws:cdk:path']).includes('/Custom::CDKBucketDeployment'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      const actions = [statement.Action].flat().map(String);
      const resources = JSON.stringify(statement.Resource);
      if (actions.every((action) => action.startsWith('cloudfront:'))) {
        expect(actions.sort()).toEqual(['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation']);
      } else {
        expect(actions.every((action) => action.startsWith('s3:'))).toBe(true);
        expect(resources).toMatch(new RegExp(`cdk-hnb659fds-assets|${bucketId}`));
        expect(resources).not.toBe('"*"');
      }
    }
  });

  it('outputs the console URL', () => {
    stateless.hasOutput('ConsoleUrl', { Value: consoleUrl() });
  });
});

describe('signing in to the console', () => {
  it('has a staff-console app client: code grant only, no secret, the console URL for callback and logout', () => {
    stateless.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'staff-console',
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: [consoleUrl()],
      LogoutURLs: [consoleUrl()],
      SupportedIdentityProviders: ['COGNITO'],
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: 'ENABLED',
    });
    stateless.resourceCountIs('AWS::Cognito::ManagedLoginBranding', 1);
  });

  it('gives the user pool a managed-login domain: a Cognito prefix by default, or one from the config', () => {
    stateful.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: { 'Fn::Join': ['', ['consent-desk-', { Ref: 'AWS::AccountId' }]] },
      ManagedLoginVersion: 2,
    });
    const prefixed = synthesize(
      configWith((raw) => {
        raw.console = { signInDomainPrefix: 'example-ltd-staff' };
      }),
      { bundle: false },
    );
    prefixed.statefulTemplate.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: 'example-ltd-staff',
    });
    const custom = synthesize(
      configWith((raw) => {
        raw.console = {
          signInDomain: {
            domainName: 'sign-in.example.co.uk',
            certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
          },
        };
      }),
      { bundle: false },
    );
    custom.statefulTemplate.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: 'sign-in.example.co.uk',
      CustomDomainConfig: { CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123' },
    });
  });

  it('refuses a prefix Cognito would refuse, a certificate outside us-east-1, and both at once', () => {
    const withConsole = (console: unknown) => () =>
      configWith((raw) => {
        raw.console = console;
      });
    expect(withConsole({ signInDomainPrefix: 'my-aws-staff' })).toThrow(/aws, amazon and cognito/);
    expect(withConsole({ signInDomainPrefix: 'Staff' })).toThrow(/lowercase/);
    const certificate = (region: string) => ({
      domainName: 'sign-in.example.co.uk',
      certificateArn: `arn:aws:acm:${region}:123456789012:certificate/abc`,
    });
    expect(withConsole({ signInDomain: certificate('eu-west-2') })).toThrow(/us-east-1/);
    expect(withConsole({ signInDomainPrefix: 'staff-x', signInDomain: certificate('us-east-1') })).toThrow(
      /not both/,
    );
  });
});

describe('the API for the console', () => {
  it("admits the console's origin on the staff routes' CORS preflight, and on no public route's", () => {
    const resources = stateless.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    const preflights = Object.values(resources).filter(
      (resource) =>
        resource.Type === 'AWS::ApiGateway::Method' && resource.Properties.HttpMethod === 'OPTIONS',
    );
    const pathPart = (method: { Properties: Record<string, unknown> }) =>
      resources[(method.Properties.ResourceId as { Ref: string }).Ref]?.Properties.PathPart;
    const mentionsConsole = (method: unknown) => JSON.stringify(method).includes(distributionId());
    const staffPaths = new Set(['contacts', '{id}', 'audit']);
    for (const preflight of preflights) {
      const part = String(pathPart(preflight));
      if (staffPaths.has(part)) expect(mentionsConsole(preflight), part).toBe(true);
      if (['unsubscribe', 'preferences', 'confirm', 'mailchimp', 'thank-you'].includes(part))
        expect(mentionsConsole(preflight), part).toBe(false);
    }
  });

  it("tells the staff function the console's origin, so its responses carry CORS headers for it", () => {
    const staffId = logicalIdOf(stateless, 'AWS::Lambda::Function', 'StaffFunction/Function/Resource');
    const environment = stateless.toJSON().Resources[staffId].Properties.Environment.Variables;
    expect(environment.STAFF_CONSOLE_ORIGIN).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId(), 'DomainName'] }]],
    });
    const enquiryId = logicalIdOf(stateless, 'AWS::Lambda::Function', 'EnquiryFunction/Function/Resource');
    expect(
      stateless.toJSON().Resources[enquiryId].Properties.Environment.Variables.STAFF_CONSOLE_ORIGIN,
    ).toBeUndefined();
  });
});
