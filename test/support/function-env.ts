/**
 * A function's environment for integration tests: a table of the test's own in DynamoDB Local, created
 * from the shared definition, and the variables the stack would set, with inline keys.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { vi } from 'vitest';
import { createTable, LOCAL_AWS } from '../../local/dynamodb.ts';
import type { RuntimeConfig } from '../../shared/config/schema.ts';
import { runtimeConfig, TEST_HASH_KEY, TEST_KEY_RING } from './config.ts';

export async function stubLocalFunctionEnv(options: {
  readonly endpoint: string;
  readonly tableName: string;
  readonly config?: RuntimeConfig;
  /** Variables to set or, with `undefined`, leave unset (a function the stack gives no such key). */
  readonly overrides?: Record<string, string | undefined>;
}): Promise<void> {
  const client = new DynamoDBClient({ endpoint: options.endpoint, ...LOCAL_AWS });
  try {
    await createTable(client, options.tableName);
  } finally {
    client.destroy();
  }
  const variables: Record<string, string | undefined> = {
    TABLE_NAME: options.tableName,
    DYNAMODB_ENDPOINT: options.endpoint,
    APP_CONFIG: JSON.stringify(options.config ?? runtimeConfig()),
    MAIL_TRANSPORT: 'outbox',
    EMAIL_HASH_KEY: TEST_HASH_KEY,
    TOKEN_SIGNING_KEYS: TEST_KEY_RING,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    API_BASE_URL: 'https://abc123.execute-api.eu-west-2.amazonaws.com/prod',
    ...options.overrides,
  };
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
}
