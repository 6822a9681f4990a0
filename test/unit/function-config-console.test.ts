/**
 * The staff console's origin in a function's environment: known only at deploy time, so it arrives as
 * STAFF_CONSOLE_ORIGIN rather than in the inlined APP_CONFIG, and joins the allowed origins.
 */
import { describe, expect, it } from 'vitest';
import { parseFunctionConfig } from '../../shared/config.ts';
import { runtimeConfig } from '../support/config.ts';

const base = {
  TABLE_NAME: 'ConsentDesk',
  APP_CONFIG: JSON.stringify(runtimeConfig()),
  MAIL_TRANSPORT: 'ses',
};

describe('the staff console origin', () => {
  it('is added to the allowed origins when set', () => {
    const origin = 'https://d111111abcdef8.cloudfront.net';
    const config = parseFunctionConfig({ ...base, STAFF_CONSOLE_ORIGIN: origin });
    expect(config.app.allowedOrigins).toEqual([...runtimeConfig().allowedOrigins, origin]);
  });

  it('leaves the allowed origins alone when unset', () => {
    expect(parseFunctionConfig(base).app.allowedOrigins).toEqual(runtimeConfig().allowedOrigins);
  });

  it.each(['http://d111111abcdef8.cloudfront.net', 'https://example.com/path', '*'])(
    'refuses %s',
    (origin) => {
      expect(() => parseFunctionConfig({ ...base, STAFF_CONSOLE_ORIGIN: origin })).toThrow(
        /STAFF_CONSOLE_ORIGIN/,
      );
    },
  );
});
