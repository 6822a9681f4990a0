/** Starts DynamoDB Local once for the integration tests and creates the table from the shared definition. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TestProject } from 'vitest/node';
import { createTable, type DynamoDbLocal, LOCAL_AWS, startDynamoDbLocal } from '../../local/dynamodb.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
    tableName: string;
  }
}

/** TEST_PORT_OFFSET moves every test port, so two checkouts can run their tests side by side. */
const PORT = Number(process.env.TEST_DYNAMODB_PORT ?? 8101) + Number(process.env.TEST_PORT_OFFSET ?? 0);
const TABLE_NAME = 'ConsentDeskIntegration';

let dynamo: DynamoDbLocal | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  dynamo = await startDynamoDbLocal({ port: PORT });
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
  await createTable(client, TABLE_NAME);
  client.destroy();
  project.provide('dynamoDbEndpoint', dynamo.endpoint);
  project.provide('tableName', TABLE_NAME);
  return async () => {
    await dynamo?.stop();
  };
}
