import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_DEFINITION } from '../../shared/adapters/dynamodb/table.ts';
import { parseKeyRing } from '../../shared/domain/tokens.ts';
import { exampleConfig, synthesize } from './synth.ts';

let template: Template;

beforeAll(() => {
  template = synthesize(exampleConfig(), { bundle: false }).statefulTemplate;
});

describe('the table', () => {
  it('is one on-demand table keyed, indexed and expiring as TABLE_DEFINITION says', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: TABLE_DEFINITION.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_DEFINITION.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('has point-in-time recovery, encryption with the AWS managed KMS key and deletion protection', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 },
      // SSEEnabled without a key ARN is KMS with the AWS managed key aws/dynamodb.
      SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
      DeletionProtectionEnabled: true,
    });
  });

  it('is kept when the stack is deleted or the table replaced', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('the secrets', () => {
  it('generates a 64-character email hash key without punctuation, kept on stack deletion', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: {
        Description: Match.stringLikeRegexp('email hashes'),
        GenerateSecretString: {
          PasswordLength: 64,
          ExcludePunctuation: true,
          IncludeSpace: false,
          // No template: the SecretString is the raw key.
          SecretStringTemplate: Match.absent(),
          GenerateStringKey: Match.absent(),
        },
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('generates the link-signing key as a one-key ring, kept on stack deletion, with no rotation schedules', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: {
        Description: Match.stringLikeRegexp('signs unsubscribe'),
        GenerateSecretString: {
          SecretStringTemplate: '{"current":"k1"}',
          GenerateStringKey: 'k1',
          PasswordLength: 64,
          ExcludePunctuation: true,
        },
      },
      DeletionPolicy: 'Retain',
    });
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it('generates a link-signing secret that parses as a key ring', () => {
    const secrets = template.findResources('AWS::SecretsManager::Secret', {
      Properties: { Description: Match.stringLikeRegexp('signs unsubscribe') },
    });
    const generate: { SecretStringTemplate: string; GenerateStringKey: string; PasswordLength: number } =
      Object.values(secrets)[0]?.Properties.GenerateSecretString;
    // What Secrets Manager stores: the template plus the generated value under GenerateStringKey.
    const stored = JSON.stringify({
      ...JSON.parse(generate.SecretStringTemplate),
      [generate.GenerateStringKey]: 'x'.repeat(generate.PasswordLength),
    });
    const ring = parseKeyRing(stored);
    expect(ring.currentKeyId).toBe('k1');
    expect(ring.keys.get('k1')?.length).toBe(64);
  });

  it('has no Turnstile secret when no form uses Turnstile', () => {
    // The email-hash key, the link-signing key ring, the MailChimp webhook secret and API key.
    template.resourceCountIs('AWS::SecretsManager::Secret', 4);
  });

  it('has a MailChimp API key secret for ops to fill in, with its ARN as an output', () => {
    const secrets = template.findResources('AWS::SecretsManager::Secret', {
      Properties: { Description: Match.stringLikeRegexp('MailChimp API key') },
    });
    const ids = Object.keys(secrets);
    expect(ids).toHaveLength(1);
    template.hasOutput('MailchimpApiKeyArn', { Value: { Ref: ids[0] } });
  });
});
