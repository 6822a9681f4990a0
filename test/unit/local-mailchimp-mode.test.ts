/** Which MailChimp `npm start` uses, and what the emulator's routes say while real MailChimp is in use. */
import { describe, expect, it } from 'vitest';
import { chooseLocalMailchimp, mailchimpEmulatorOffService } from '../../local/mailchimp-mode.ts';
import { findRoute } from '../../local/routing.ts';
import type { LocalRequest } from '../../local/services.ts';

const KEY = '0123456789abcdef0123456789abcdef-us21';
const audience = { mailchimp: { server: 'us21', listId: 'abc123', preferencesMergeTag: 'PREFSURL' } };

describe('chooseLocalMailchimp', () => {
  it('uses the emulator when no API key is set, or it is blank', () => {
    expect(chooseLocalMailchimp({}, audience)).toEqual({ kind: 'emulator' });
    expect(chooseLocalMailchimp({ MAILCHIMP_API_KEY: '  ' }, audience)).toEqual({ kind: 'emulator' });
  });

  it('uses the real audience the config names when the key is set', () => {
    expect(chooseLocalMailchimp({ MAILCHIMP_API_KEY: KEY }, audience)).toEqual({
      kind: 'real',
      apiKey: KEY,
      server: 'us21',
      listId: 'abc123',
    });
  });

  it('keeps the emulator, and says why, when the config names no audience', () => {
    const choice = chooseLocalMailchimp({ MAILCHIMP_API_KEY: KEY }, {});
    expect(choice).toEqual({ kind: 'emulator', note: expect.stringMatching(/no mailchimp section/) });
  });

  it('refuses a key from another data centre than the config, without quoting the key', () => {
    const attempt = () => chooseLocalMailchimp({ MAILCHIMP_API_KEY: KEY.replace('us21', 'us7') }, audience);
    expect(attempt).toThrow(/data centre us7.*mailchimp\.server in the config is us21/);
    let message = '';
    try {
      attempt();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain('0123456789abcdef');
  });
});

describe('the emulator routes while real MailChimp is in use', () => {
  const { routes = [] } = mailchimpEmulatorOffService();
  const request = (method: string, pathname: string): LocalRequest => ({
    method,
    pathname,
    query: new URLSearchParams(),
    pathParameters: null,
    headers: {},
    body: Buffer.alloc(0),
  });

  it.each([
    ['GET', '/__local/mailchimp/members'],
    ['POST', '/__local/mailchimp/unsubscribe'],
    ['PUT', '/mailchimp/3.0/lists/local-list/members/abc'],
  ])('answer %s %s with 404 and the reason', async (method, path) => {
    const match = findRoute(routes, method, path);
    expect(match).toBeDefined();
    const response = await match?.route.handle(request(method, path));
    expect(response?.statusCode).toBe(404);
    expect(JSON.parse(String(response?.body))).toEqual({
      message: expect.stringMatching(/real MailChimp \(MAILCHIMP_API_KEY is set\).*emulator.*off/),
    });
  });
});
