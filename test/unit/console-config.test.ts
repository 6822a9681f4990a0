/** The console's config.json: local mode, or everything Cognito sign-in needs; anything else is refused. */
import { describe, expect, it } from 'vitest';
import { checkConsoleConfig } from '../../console/src/config.ts';

const topics = [{ id: 'newsletter', label: 'Monthly newsletter' }];
const cognito = {
  mode: 'cognito',
  apiBaseUrl: 'https://abc123.execute-api.eu-west-2.amazonaws.com/v1/',
  authority: 'https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_AbCdEf',
  domain: 'https://example-staff.auth.eu-west-2.amazoncognito.com',
  clientId: '1example23456789',
  topics,
};

describe("the console's config.json", () => {
  it('reads local mode', () => {
    expect(checkConsoleConfig({ mode: 'local', topics })).toEqual({ mode: 'local', topics });
  });

  it('reads the deployed settings', () => {
    expect(checkConsoleConfig(cognito)).toEqual(cognito);
    expect(checkConsoleConfig({ ...cognito, backupDays: 35 })).toEqual({ ...cognito, backupDays: 35 });
  });

  it('reads the backup window only when it is one point-in-time recovery allows (1 to 35 days)', () => {
    expect(checkConsoleConfig({ mode: 'local', topics, backupDays: 7 })).toEqual({
      mode: 'local',
      topics,
      backupDays: 7,
    });
    for (const backupDays of [0, 36, 2.5, '35', null])
      expect(checkConsoleConfig({ mode: 'local', topics, backupDays })).toEqual({ mode: 'local', topics });
  });

  it.each(['apiBaseUrl', 'authority', 'domain', 'clientId'])(
    'refuses deployed settings without %s',
    (name) => {
      expect(() => checkConsoleConfig({ ...cognito, [name]: '' })).toThrow(name);
    },
  );

  it('refuses anything that is not an object', () => {
    expect(() => checkConsoleConfig(null)).toThrow();
    expect(() => checkConsoleConfig('local')).toThrow();
  });
});
