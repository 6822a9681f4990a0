/**
 * The conventional baseline: an SDK v3 handler that creates a DocumentClient at module scope and writes
 * one item, bundled the way NodejsFunction does by default when the SDK is bundled (CJS, not minified).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async (event: { body?: string }) => {
  await client.send(
    new PutCommand({
      TableName: process.env.TABLE_NAME,
      Item: { pk: `ENQUIRY#${Date.now()}`, sk: 'ENQUIRY', body: event.body },
    }),
  );
  return { statusCode: 201, body: '' };
};
