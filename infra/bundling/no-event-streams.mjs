// Stands in for `@smithy/core/event-streams` in function bundles. The SDK's HTTP protocol imports it on
// first use of an event-stream operation; DynamoDB, Secrets Manager and SES have none, so its codec
// (and the CRC32 checksum that loads node:zlib) would only be parsed at every cold start.
const unavailable = () => {
  throw new Error('AWS event streams are not bundled with Consent Desk functions');
};
export const EventStreamSerde = unavailable;
export const eventStreamSerdeProvider = unavailable;
