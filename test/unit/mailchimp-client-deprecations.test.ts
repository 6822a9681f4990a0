/** MailChimp's client's two deprecation warnings are contained; every other warning still goes out. */
import { afterEach, describe, expect, it } from 'vitest';
import '../../shared/adapters/mailchimp/client.ts';

const seen: string[] = [];
const record = (warning: Error & { code?: string }) => void seen.push(warning.code ?? warning.name);
afterEach(() => {
  process.off('warning', record);
  seen.length = 0;
});

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('the MailChimp client deprecation filter', () => {
  it('passes every other warning', async () => {
    process.on('warning', record);
    process.emitWarning('Buffer() is deprecated', 'DeprecationWarning', 'DEP0999');
    await flush();
    expect(seen).toEqual(['DEP0999']);
  });

  it('passes DEP0005 and DEP0169 raised outside the client', async () => {
    process.on('warning', record);
    process.emitWarning('Buffer() is deprecated', 'DeprecationWarning', 'DEP0005');
    process.emitWarning('url.parse() is not standardized', { type: 'DeprecationWarning', code: 'DEP0169' });
    await flush();
    expect(seen).toEqual(['DEP0005', 'DEP0169']);
  });
});
