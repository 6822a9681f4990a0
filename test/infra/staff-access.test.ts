/**
 * Staff sign-in and authorization as deployed: the user pool and its groups, the Cognito authorizer on
 * every staff method (and on no public one), CORS for the bearer token, and the staff function's grants.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, ROUTES } from '../../infra/routes.ts';
import { STAFF_GROUPS } from '../../shared/domain/staff-access.ts';
import {
  configWith,
  exampleConfig,
  followReference,
  logicalIdOf,
  roleStatements,
  type Synthesized,
  synthesize,
} from './synth.ts';

let synth: Synthesized;
let stateless: Template;
let stateful: Template;

beforeAll(() => {
  synth = synthesize(exampleConfig(), { bundle: false });
  stateless = synth.statelessTemplate;
  stateful = synth.statefulTemplate;
});

const userPoolId = () => logicalIdOf(stateful, 'AWS::Cognito::UserPool', 'Staff/UserPool/Resource');
const tableId = () => logicalIdOf(stateful, 'AWS::DynamoDB::Table', 'Table/Resource');
const authorizerId = () =>
  logicalIdOf(stateless, 'AWS::ApiGateway::Authorizer', 'PublicApi/StaffAuthorizer/Resource');
const staffFunctionId = () =>
  logicalIdOf(stateless, 'AWS::Lambda::Function', 'StaffFunction/Function/Resource');
const staffFunction = () => stateless.toJSON().Resources[staffFunctionId()].Properties;

/** Every API method but the CORS preflights, named `GET /contacts/{id}` from its resource chain. */
function apiMethods(): Map<string, Record<string, unknown>> {
  const resources = stateless.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
  const pathOf = (resourceId: unknown): string => {
    const ref = (resourceId as { Ref?: string }).Ref;
    const resource = ref ? resources[ref] : undefined;
    if (!resource) return '';
    return `${pathOf(resource.Properties.ParentId)}/${String(resource.Properties.PathPart)}`;
  };
  const methods = Object.values(stateless.findResources('AWS::ApiGateway::Method'))
    .map(({ Properties: method }) => method)
    .filter((method) => method.HttpMethod !== 'OPTIONS');
  return new Map(methods.map((method) => [`${method.HttpMethod} ${pathOf(method.ResourceId)}`, method]));
}

describe('the staff user pool', () => {
  it('lets only an administrator create accounts, and requires a TOTP app as second factor', () => {
    stateful.resourceCountIs('AWS::Cognito::UserPool', 1);
    stateful.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: Match.objectLike({ AllowAdminCreateUserOnly: true }),
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      SmsConfiguration: Match.absent(),
    });
    // No SMS, so no role for Cognito to send it with.
    stateful.resourceCountIs('AWS::IAM::Role', 0);
  });

  it('asks for 12-character passwords with every character class; invitations last 3 days', () => {
    stateful.hasResourceProperties('AWS::Cognito::UserPool', {
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
          TemporaryPasswordValidityDays: 3,
        },
      },
    });
  });

  it('signs in by user name or email, case-insensitively, and recovers accounts by email only', () => {
    stateful.hasResourceProperties('AWS::Cognito::UserPool', {
      AliasAttributes: ['email'],
      UsernameAttributes: Match.absent(),
      UsernameConfiguration: { CaseSensitive: false },
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      Schema: [{ Name: 'email', Required: true, Mutable: true }],
    });
  });

  it('is on the Essentials plan, protected from deletion and kept when the stack goes', () => {
    stateful.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({
        UserPoolTier: 'ESSENTIALS',
        UserPoolAddOns: Match.absent(),
        DeletionProtection: 'ACTIVE',
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('has one group per staff role', () => {
    const groups = Object.values(stateful.findResources('AWS::Cognito::UserPoolGroup')).map(
      ({ Properties: group }) => ({ name: group.GroupName, pool: group.UserPoolId }),
    );
    expect(groups.sort((x, y) => x.name.localeCompare(y.name))).toEqual(
      [...STAFF_GROUPS].sort().map((name) => ({ name, pool: { Ref: userPoolId() } })),
    );
  });

  it('has one app client for staff tools: public, SRP only, short-lived tokens, no OAuth', () => {
    stateful.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    stateful.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      UserPoolId: { Ref: userPoolId() },
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AllowedOAuthFlowsUserPoolClient: false,
      AllowedOAuthFlows: Match.absent(),
      CallbackURLs: Match.absent(),
      IdTokenValidity: 60,
      AccessTokenValidity: 60,
      RefreshTokenValidity: 720,
      TokenValidityUnits: { IdToken: 'minutes', AccessToken: 'minutes', RefreshToken: 'minutes' },
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
  });

  it('outputs the pool id and the client id', () => {
    const clientId = logicalIdOf(stateful, 'AWS::Cognito::UserPoolClient', 'StaffToolsClient/Resource');
    stateful.hasOutput('StaffUserPoolId', { Value: { Ref: userPoolId() } });
    stateful.hasOutput('StaffUserPoolClientId', { Value: { Ref: clientId } });
  });
});

describe('the staff user pool with threat protection and without deletion protection', () => {
  let template: Template;

  beforeAll(() => {
    template = synthesize(
      configWith((raw) => {
        raw.staff = { threatProtection: true };
        raw.deletionProtection = false;
      }),
      { bundle: false },
    ).statefulTemplate;
  });

  it('is on the Plus plan with threat protection enforced', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
  });

  it('can be deleted with the stack', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({ DeletionProtection: 'INACTIVE' }),
      DeletionPolicy: 'Delete',
    });
  });
});

describe('the staff authorizer', () => {
  it('accepts ID tokens of the staff user pool from the Authorization header', () => {
    const authorizers = Object.values(stateless.findResources('AWS::ApiGateway::Authorizer'));
    expect(authorizers).toHaveLength(1);
    const authorizer = authorizers[0]?.Properties;
    expect(authorizer).toMatchObject({
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
    });
    expect(authorizer.ProviderARNs.map((arn: unknown) => followReference(arn, stateful))).toEqual([
      { 'Fn::GetAtt': [userPoolId(), 'Arn'] },
    ]);
  });

  it('guards every staff method, and no public one', () => {
    const methods = apiMethods();
    expect([...methods.keys()].sort()).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    for (const route of ROUTES) {
      const method = methods.get(`${route.method} ${route.path}`);
      expect(
        { authorization: method?.AuthorizationType, authorizer: method?.AuthorizerId },
        `${route.method} ${route.path}`,
      ).toEqual(
        route.access === 'staff'
          ? { authorization: 'COGNITO_USER_POOLS', authorizer: { Ref: authorizerId() } }
          : { authorization: 'NONE', authorizer: undefined },
      );
    }
    expect(ROUTES.filter((route) => route.access === 'staff' && route.function === 'staff')).toHaveLength(5);
  });

  it('sends the staff routes to the staff function, throttled at 10 per second, burst 20', () => {
    const methods = apiMethods();
    const stage = Object.values(stateless.findResources('AWS::ApiGateway::Stage'))[0]?.Properties;
    for (const route of ROUTES.filter((r) => r.access === 'staff' && r.function === 'staff')) {
      const integration = methods.get(`${route.method} ${route.path}`)?.Integration as { Uri: unknown };
      const uri = JSON.stringify(integration?.Uri);
      expect(uri).toContain(`"${staffFunctionId()}","Arn"`);
      expect(stage.MethodSettings).toContainEqual(
        expect.objectContaining({
          HttpMethod: 'GET',
          ResourcePath: route.path.replaceAll('/', '~1').replace(/^/, '/'),
          ThrottlingRateLimit: 10,
          ThrottlingBurstLimit: 20,
        }),
      );
    }
  });

  it('lets browsers send the bearer token to staff resources only', () => {
    const methods = apiMethods();
    const resourceIds = new Map<string, boolean>();
    for (const route of ROUTES) {
      const resourceId = JSON.stringify(methods.get(`${route.method} ${route.path}`)?.ResourceId);
      resourceIds.set(resourceId, (resourceIds.get(resourceId) ?? false) || route.access === 'staff');
    }
    const preflights = Object.values(
      stateless.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }),
    ).map(({ Properties: method }) => method);
    expect(preflights).toHaveLength(resourceIds.size);
    for (const preflight of preflights) {
      const staff = resourceIds.get(JSON.stringify(preflight.ResourceId));
      const [response] = preflight.Integration.IntegrationResponses;
      expect(response.ResponseParameters['method.response.header.Access-Control-Allow-Headers']).toBe(
        staff ? "'Content-Type,Accept,Authorization'" : "'Content-Type,Accept'",
      );
    }
  });

  it("adds CORS headers to the authorizer's own 401 and 403 answers", () => {
    const responses = Object.values(stateless.findResources('AWS::ApiGateway::GatewayResponse')).map(
      ({ Properties: response }) => response,
    );
    expect(responses.map((response) => response.ResponseType).sort()).toEqual([
      'ACCESS_DENIED',
      'UNAUTHORIZED',
    ]);
    for (const response of responses) {
      expect(response.ResponseParameters).toEqual({
        'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
        'gatewayresponse.header.Vary': "'Origin'",
      });
    }
  });
});

describe('the staff function', () => {
  it('runs with 512 MB for up to 10 seconds', () => {
    expect(staffFunction()).toMatchObject({
      MemorySize: 512,
      Timeout: 10,
      Description: FUNCTIONS.staff.description,
    });
    expect(FUNCTIONS.staff.entry).toBe('functions/staff/handler.ts');
  });

  it('gets the table, the API URL, the link-signing key ring and the console origin through its environment, and nothing else', () => {
    const variables = staffFunction().Environment.Variables;
    expect(Object.keys(variables).sort()).toEqual([
      'API_BASE_URL',
      'MAIL_TRANSPORT',
      'STAFF_CONSOLE_ORIGIN',
      'TABLE_NAME',
      'TOKEN_SIGNING_KEYS_SECRET_ARN',
    ]);
    const signingKeyId = logicalIdOf(stateful, 'AWS::SecretsManager::Secret', 'TokenSigningKey/Resource');
    expect(followReference(variables.TOKEN_SIGNING_KEYS_SECRET_ARN, stateful)).toEqual({ Ref: signingKeyId });
    expect(followReference(variables.TABLE_NAME, stateful)).toEqual({ Ref: tableId() });
  });

  it('reads the table and gsi1, writes audit items only, and reads one secret', () => {
    const logGroupId = logicalIdOf(stateless, 'AWS::Logs::LogGroup', 'StaffFunction/Logs/Resource');
    const signingKeyId = logicalIdOf(stateful, 'AWS::SecretsManager::Secret', 'TokenSigningKey/Resource');
    const table = { 'Fn::GetAtt': [tableId(), 'Arn'] };
    const statements = roleStatements(stateless, staffFunction().Role['Fn::GetAtt'][0]).map((statement) => ({
      ...statement,
      resources: statement.resources.map((resource) => {
        const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
        return join
          ? { 'Fn::Join': [join[0], join[1].map((part) => followReference(part, stateful))] }
          : followReference(resource, stateful);
      }),
    }));

    expect(statements).toEqual([
      {
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [{ 'Fn::GetAtt': [logGroupId, 'Arn'] }],
      },
      {
        actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
        resources: [table, { 'Fn::Join': ['', [table, '/index/gsi1']] }],
      },
      {
        actions: ['dynamodb:PutItem'],
        resources: [table],
        condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
      },
      {
        actions: ['secretsmanager:GetSecretValue'],
        resources: [{ Ref: signingKeyId }],
      },
    ]);
  });
});
