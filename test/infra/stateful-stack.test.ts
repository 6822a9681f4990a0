import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, it } from 'vitest';
import { TABLE_DEFINITION } from '../../shared/adapters/dynamodb/table.ts';
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
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
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

  it('generates the link-signing key and has no rotation schedules', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('signs unsubscribe'),
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it('has no Turnstile secret when no form uses Turnstile', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
  });
});
