/** Staff calls against a local server, with tokens minted as `npm run token` does. */
import { loadOrCreateSigningKey, signStaffToken } from '../../local/staff-auth.ts';
import type { StaffGroup } from '../../shared/domain/staff-access.ts';

export function staffClient(baseUrl: string) {
  const tokens = new Map<string, Promise<string>>();
  const token = (groups: readonly StaffGroup[]) => {
    const key = groups.join(',');
    let found = tokens.get(key);
    if (!found) {
      found = signStaffToken(loadOrCreateSigningKey(), { username: 'scenario', groups, now: new Date() });
      tokens.set(key, found);
    }
    return found;
  };
  return {
    async call(
      groups: readonly StaffGroup[],
      method: 'GET' | 'POST',
      path: string,
      body?: unknown,
      contentType = 'application/json',
    ): Promise<{ status: number; json: () => unknown; text: string }> {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${await token(groups)}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': contentType }),
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, text, json: () => JSON.parse(text) };
    },
  };
}
