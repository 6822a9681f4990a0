import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
// Registers toReceiveCommandWith and friends.
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { sesMailer } from '../../shared/adapters/mail/ses.ts';
import { secretReader } from '../../shared/adapters/secrets.ts';

const secrets = mockClient(SecretsManagerClient);
const ses = mockClient(SESv2Client);
beforeEach(() => {
  secrets.reset();
  ses.reset();
});

describe('secretReader', () => {
  const arn = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:email-hash-key';

  it('fetches a Secrets Manager secret once per container', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'k'.repeat(64) });
    const read = secretReader({ kind: 'secretsManager', secretId: arn });
    expect(await read()).toBe('k'.repeat(64));
    expect(await read()).toBe('k'.repeat(64));
    expect(secrets).toReceiveCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toReceiveCommandWith(GetSecretValueCommand, { SecretId: arn });
  });

  it('does not read the secret again behind later calls', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'k'.repeat(64) });
    const read = secretReader({ kind: 'secretsManager', secretId: arn });
    for (let call = 0; call < 3; call++) await read();
    // Long enough for a stray background read to have been sent.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(secrets).toReceiveCommandTimes(GetSecretValueCommand, 1);
  });

  it('does not remember a failure: the next request tries again', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: 'second' });
    const read = secretReader({ kind: 'secretsManager', secretId: arn });
    await expect(read()).rejects.toThrow('throttled');
    expect(await read()).toBe('second');
  });

  it('refuses a secret without a string value', async () => {
    secrets.on(GetSecretValueCommand).resolves({});
    await expect(secretReader({ kind: 'secretsManager', secretId: arn })()).rejects.toThrow(
      'no string value',
    );
  });

  it('returns an inline key without calling AWS', async () => {
    expect(await secretReader({ kind: 'inline', key: 'local-key' })()).toBe('local-key');
    expect(secrets.calls()).toHaveLength(0);
  });
});

describe('sesMailer', () => {
  it('sends from the configured identity, with Reply-To and both bodies', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    await sesMailer('enquiries@example.co.uk', new SESv2Client({ region: 'eu-west-2' })).send({
      to: ['sales@example.co.uk'],
      replyTo: 'ada@example.com',
      subject: 'New enquiry (contact form)',
      text: 'plain',
      html: '<p>rich</p>',
    });
    expect(ses).toReceiveCommandWith(SendEmailCommand, {
      FromEmailAddress: 'enquiries@example.co.uk',
      Destination: { ToAddresses: ['sales@example.co.uk'] },
      ReplyToAddresses: ['ada@example.com'],
      Content: {
        Simple: {
          Subject: { Data: 'New enquiry (contact form)', Charset: 'UTF-8' },
          Body: {
            Text: { Data: 'plain', Charset: 'UTF-8' },
            Html: { Data: '<p>rich</p>', Charset: 'UTF-8' },
          },
        },
      },
    });
  });
});
