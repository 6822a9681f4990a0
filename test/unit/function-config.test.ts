import { describe, expect, it } from 'vitest';
import { parseFunctionConfig } from '../../shared/config.ts';
import { runtimeConfig, TEST_HASH_KEY } from '../support/config.ts';

const base = {
  TABLE_NAME: 'ConsentDesk',
  APP_CONFIG: JSON.stringify(runtimeConfig()),
  MAIL_TRANSPORT: 'ses',
  EMAIL_HASH_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:key',
};

describe('a function environment', () => {
  it('parses the deployed settings, with Cloudflare as the default Turnstile verifier', () => {
    const config = parseFunctionConfig(base);
    expect(config).toMatchObject({
      tableName: 'ConsentDesk',
      mailTransport: 'ses',
      dynamoDbEndpoint: undefined,
      turnstileVerifyUrl: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
    });
    expect(config.secrets).toEqual({
      emailHashKey: { kind: 'secretsManager', secretId: base.EMAIL_HASH_KEY_SECRET_ARN },
    });
    expect(config.app.forms.map((form) => form.id)).toEqual(['contact', 'quote', 'callback']);
  });

  it.each([
    ['a missing table name', { TABLE_NAME: undefined }, 'TABLE_NAME'],
    ['an unknown mail transport', { MAIL_TRANSPORT: 'smtp' }, 'MAIL_TRANSPORT'],
    ['config that is not JSON', { APP_CONFIG: '{nope' }, 'APP_CONFIG is not valid JSON'],
    ['config that fails the schema', { APP_CONFIG: '{"forms": []}' }, 'Invalid Consent Desk runtime config'],
    ['two email-hashing keys', { EMAIL_HASH_KEY: TEST_HASH_KEY }, 'not both'],
    [
      'a remote DynamoDB endpoint',
      { DYNAMODB_ENDPOINT: 'http://dynamodb.example.com:8000' },
      'DYNAMODB_ENDPOINT',
    ],
  ])('fails at start-up on %s', (_label, change, message) => {
    expect(() => parseFunctionConfig({ ...base, ...change })).toThrow(message);
  });
});

describe('the email-hashing key', () => {
  it('is optional for reading, and required by every function that works on contacts', () => {
    const env = { ...base, EMAIL_HASH_KEY_SECRET_ARN: undefined };
    expect(parseFunctionConfig(env).secrets.emailHashKey).toBeUndefined();
    expect(() => parseFunctionConfig(env, { required: ['emailHashKey'] })).toThrow(
      'Set EMAIL_HASH_KEY_SECRET_ARN (AWS) or EMAIL_HASH_KEY',
    );
  });
});

describe('the secrets a function requires', () => {
  it('may depend on the settings, and every missing one is named in one error', () => {
    const withTurnstile = runtimeConfig();
    const first = withTurnstile.forms[0];
    if (!first) throw new Error('no form');
    const env = {
      ...base,
      APP_CONFIG: JSON.stringify({ ...withTurnstile, forms: [{ ...first, turnstile: true }] }),
    };
    const needs = {
      required: ['tokenSigningKeys'] as const,
      requiredFor: (app: { forms: readonly { turnstile: boolean }[] }) =>
        app.forms.some((form) => form.turnstile) ? (['turnstileSecret'] as const) : [],
    };
    const problems = (() => {
      try {
        parseFunctionConfig(env, needs);
        return '';
      } catch (error) {
        return String(error);
      }
    })();
    expect(problems).toContain('Set TOKEN_SIGNING_KEYS_SECRET_ARN (AWS) or TOKEN_SIGNING_KEYS (local mode)');
    expect(problems).toContain('Set TURNSTILE_SECRET_ARN (AWS) or TURNSTILE_SECRET (local mode)');
    expect(() => parseFunctionConfig(base, needs)).toThrow(/TOKEN_SIGNING_KEYS/);
    expect(() => parseFunctionConfig(base, needs)).not.toThrow(/TURNSTILE/);
    const config = parseFunctionConfig(
      { ...env, TOKEN_SIGNING_KEYS: 'k'.repeat(40), TURNSTILE_SECRET: 'turnstile-secret' },
      needs,
    );
    expect(config.secrets.turnstileSecret).toEqual({ kind: 'inline', key: 'turnstile-secret' });
  });
});

describe('the link-signing key ring setting', () => {
  const ringArn = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:token-keys';
  const ringJson = JSON.stringify({ current: 'k1', k1: 'local-token-key-0123456789abcdefghijklmnop' });

  it('may be absent for now', () => {
    expect(parseFunctionConfig(base).secrets.tokenSigningKeys).toBeUndefined();
  });

  it('reads the Secrets Manager secret in AWS', () => {
    expect(
      parseFunctionConfig({ ...base, TOKEN_SIGNING_KEYS_SECRET_ARN: ringArn }).secrets.tokenSigningKeys,
    ).toEqual({
      kind: 'secretsManager',
      secretId: ringArn,
    });
  });

  it('takes the key ring inline in local mode', () => {
    expect(parseFunctionConfig({ ...base, TOKEN_SIGNING_KEYS: ringJson }).secrets.tokenSigningKeys).toEqual({
      kind: 'inline',
      key: ringJson,
    });
  });

  it.each([
    [
      'both a secret and an inline key ring',
      { TOKEN_SIGNING_KEYS_SECRET_ARN: ringArn, TOKEN_SIGNING_KEYS: ringJson },
      'Set either TOKEN_SIGNING_KEYS_SECRET_ARN or TOKEN_SIGNING_KEYS, not both',
    ],
    [
      'a secret ARN that is too short',
      { TOKEN_SIGNING_KEYS_SECRET_ARN: 'arn:short' },
      'TOKEN_SIGNING_KEYS_SECRET_ARN',
    ],
    ['an inline key ring that is too short', { TOKEN_SIGNING_KEYS: '{}' }, 'TOKEN_SIGNING_KEYS'],
  ])('fails at start-up on %s', (_label, change, message) => {
    expect(() => parseFunctionConfig({ ...base, ...change })).toThrow(message);
  });
});
