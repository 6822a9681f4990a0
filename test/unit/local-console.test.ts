/**
 * The local server's console service: the built files with the security headers, config.json in local
 * mode, the app for client routes, nothing outside the build, and the local sign-in's token endpoint.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consoleService } from '../../local/console.ts';
import type { LocalRequest, LocalRoute, LocalServiceContext } from '../../local/services.ts';
import { loadOrCreateSigningKey, verifyStaffToken } from '../../local/staff-auth.ts';
import { exampleConfig } from '../support/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'consent-desk-local-console-'));
const distDir = join(dir, 'dist');
mkdirSync(distDir);
writeFileSync(join(distDir, 'index.html'), '<!doctype html><title>console</title>');
writeFileSync(join(distDir, 'app.js'), 'console.log(1)');
writeFileSync(join(dir, 'secret.txt'), 'not served');
const keyFile = join(dir, 'key');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const service = consoleService({ distDir, keyFile, build: false });

function request(method: string, path: string, init: Partial<LocalRequest> = {}) {
  const routes = service.routes ?? [];
  const file =
    path.startsWith('/console/') && path !== '/console/' ? path.slice('/console/'.length) : undefined;
  const route = routes.find(
    (candidate: LocalRoute) =>
      candidate.method === method &&
      (candidate.path === path || (file !== undefined && candidate.path === '/console/{file+}')),
  );
  if (!route) throw new Error(`No route for ${method} ${path}`);
  return route.handle({
    method,
    pathname: path,
    query: new URLSearchParams(),
    pathParameters: file === undefined ? null : { file },
    headers: {},
    body: Buffer.alloc(0),
    ...init,
  });
}

describe('the staff console in local mode', async () => {
  await service.start?.({ config: exampleConfig } as unknown as LocalServiceContext);

  it('serves the build with a strict CSP, and config.json in local mode with the topics and the backup window', async () => {
    const index = await request('GET', '/console/');
    expect(index.statusCode).toBe(200);
    expect(index.headers?.['Content-Security-Policy']).toContain("script-src 'self';");
    expect(index.headers?.['X-Frame-Options']).toBe('DENY');
    const script = await request('GET', '/console/app.js');
    expect(script.headers?.['Content-Type']).toBe('text/javascript; charset=utf-8');
    const config = await request('GET', '/console/config.json');
    expect(JSON.parse(String(config.body))).toEqual({
      mode: 'local',
      topics: exampleConfig.topics.map(({ id, label }) => ({ id, label })),
      backupDays: exampleConfig.retention.backupDays,
    });
  });

  it('answers client routes with the app, and never a file outside the build', async () => {
    expect(String((await request('GET', '/console/lists')).body)).toContain('<title>console</title>');
    expect(String((await request('GET', '/console/../secret.txt')).body)).not.toContain('not served');
    expect((await request('GET', '/console/missing.js')).statusCode).toBe(404);
    expect((await request('GET', '/console')).headers?.Location).toBe('/console/');
  });

  it('mints a local staff token for a JSON sign-in, and refuses anything else', async () => {
    const json = { 'content-type': 'application/json' };
    const signIn = (body: unknown, headers: Record<string, string> = json) =>
      request('POST', '/__local/console/token', { headers, body: Buffer.from(JSON.stringify(body)) });
    const answer = await signIn({ username: 'amy', groups: ['marketing', 'privacy'] });
    expect(answer.statusCode).toBe(200);
    const { token } = JSON.parse(String(answer.body)) as { token: string };
    const check = await verifyStaffToken(loadOrCreateSigningKey(keyFile), token, new Date());
    expect(check.ok && check.claims['cognito:groups']).toEqual(['marketing', 'privacy']);
    expect(check.ok && check.claims['cognito:username']).toBe('amy');

    expect(
      (await signIn({ username: 'amy', groups: ['marketing'] }, { 'content-type': 'text/plain' })).statusCode,
    ).toBe(415);
    expect((await signIn({ username: 'amy', groups: [] })).statusCode).toBe(400);
    expect((await signIn({ username: 'amy', groups: ['admin'] })).statusCode).toBe(400);
    expect((await signIn({ username: 'a b', groups: ['sales'] })).statusCode).toBe(400);
  });
});
