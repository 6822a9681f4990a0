/**
 * Stream records as the DynamoDB Streams client returns them, turned into the records Lambda puts in a
 * DynamoDB stream event: binary values base64, times in epoch seconds, the event source and region set.
 */
import type { AttributeValue, _Record as StreamsRecord } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, AttributeValue as LambdaAttributeValue, StreamRecord } from 'aws-lambda';

export interface LambdaRecordSource {
  readonly streamArn: string;
  /** The region Lambda reports in `awsRegion`. */
  readonly region: string;
}

export function toLambdaRecord(record: StreamsRecord, source: LambdaRecordSource): DynamoDBRecord {
  const lambdaRecord: DynamoDBRecord = {
    eventSource: 'aws:dynamodb',
    awsRegion: source.region,
    eventSourceARN: source.streamArn,
  };
  if (record.eventID !== undefined) lambdaRecord.eventID = record.eventID;
  if (record.eventName !== undefined) lambdaRecord.eventName = record.eventName;
  if (record.eventVersion !== undefined) lambdaRecord.eventVersion = record.eventVersion;
  if (record.dynamodb) lambdaRecord.dynamodb = toStreamRecord(record.dynamodb);
  return lambdaRecord;
}

function toStreamRecord(record: NonNullable<StreamsRecord['dynamodb']>): StreamRecord {
  const lambda: StreamRecord = {};
  if (record.ApproximateCreationDateTime)
    lambda.ApproximateCreationDateTime = record.ApproximateCreationDateTime.getTime() / 1000;
  if (record.Keys) lambda.Keys = toImage(record.Keys);
  if (record.NewImage) lambda.NewImage = toImage(record.NewImage);
  if (record.OldImage) lambda.OldImage = toImage(record.OldImage);
  if (record.SequenceNumber !== undefined) lambda.SequenceNumber = record.SequenceNumber;
  if (record.SizeBytes !== undefined) lambda.SizeBytes = record.SizeBytes;
  if (record.StreamViewType !== undefined) lambda.StreamViewType = record.StreamViewType;
  return lambda;
}

function toImage(image: Record<string, AttributeValue>): Record<string, LambdaAttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toAttributeValue(value)]));
}

/** The JSON shape of an attribute value, as Lambda's event carries it. */
function toAttributeValue(value: AttributeValue): LambdaAttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((bytes) => Buffer.from(bytes).toString('base64')) };
  if (value.M !== undefined) return { M: toImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toAttributeValue) };
  // S, N, SS, NS, BOOL and NULL are the same in both shapes.
  return value as LambdaAttributeValue;
}
