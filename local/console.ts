/**
 * The staff console in local mode: builds it, serves it at `/console/` with the deployed security headers,
 * answers its `config.json` with `{"mode":"local"}`, and mints local staff tokens for its local sign-in
 * (`POST /__local/console/token`). Never deployed: in AWS the console is on CloudFront and staff sign in
 * with Cognito.
 */
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { buildConsole, CONSOLE_DIST } from '../console/build.ts';
import { STAFF_GROUPS, type StaffGroup } from '../shared/domain/staff-access.ts';
import { jsonResponse, type LocalRequest, type LocalResponse, type LocalService } from './services.ts';
import { DEFAULT_STAFF_TOKEN_KEY_FILE, loadOrCreateSigningKey, signStaffToken } from './staff-auth.ts';

export const CONSOLE_PATH = '/console/';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
};

/** As the deployed CloudFront policy, with the API on the same origin: tests see what staff will see. */
export const LOCAL_CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

const USER_NAME = /^[\p{L}\p{N}._@+-]{1,128}$/u;

export interface ConsoleServiceOptions {
  readonly distDir?: string;
  readonly keyFile?: string;
  /** Build before serving (`npm start`); off when the files are already built. */
  readonly build?: boolean;
}

export function consoleService(options: ConsoleServiceOptions = {}): LocalService {
  const distDir = options.distDir ?? CONSOLE_DIST;
  const keyFile = options.keyFile ?? DEFAULT_STAFF_TOKEN_KEY_FILE;
  let topics: readonly { id: string; label: string }[] = [];
  let backupDays = 0;

  const serveFile = async (request: LocalRequest): Promise<LocalResponse> => {
    const wanted = request.pathParameters?.file ?? '';
    if (wanted === 'config.json')
      return staticResponse('.json', JSON.stringify({ mode: 'local', topics, backupDays }));
    const path = resolve(distDir, wanted);
    // Only files inside the built console; anything else gets the app (client routes) or nothing.
    const inside = path.startsWith(`${distDir}${sep}`) && !wanted.includes('\0');
    if (inside && extname(path) !== '') {
      const body = await readFile(path).catch(() => undefined);
      return body
        ? staticResponse(extname(path), body)
        : { statusCode: 404, headers: LOCAL_CONSOLE_HEADERS, body: '' };
    }
    return staticResponse('.html', await readFile(resolve(distDir, 'index.html')));
  };

  return {
    name: 'staff console',
    async start(context) {
      topics = context.config.topics.map((topic) => ({ id: topic.id, label: topic.label }));
      backupDays = context.config.retention.backupDays;
      if (options.build !== false) buildConsole(distDir);
    },
    routes: [
      {
        method: 'GET',
        path: '/console',
        handle: () => ({ statusCode: 301, headers: { Location: CONSOLE_PATH }, body: '' }),
      },
      {
        method: 'GET',
        path: CONSOLE_PATH,
        handle: async () => staticResponse('.html', await readFile(resolve(distDir, 'index.html'))),
      },
      { method: 'GET', path: '/console/{file+}', handle: serveFile },
      {
        method: 'POST',
        path: '/__local/console/token',
        handle: (request) => mintToken(request, keyFile),
      },
    ],
  };
}

/**
 * The local sign-in. JSON only: a page on another site can send a form or text/plain POST to localhost,
 * but not application/json without a CORS preflight, which this server never grants.
 */
async function mintToken(request: LocalRequest, keyFile: string): Promise<LocalResponse> {
  if (!(request.headers['content-type'] ?? '').startsWith('application/json'))
    return jsonResponse(415, { message: 'Send JSON' });
  let body: { username?: unknown; groups?: unknown };
  try {
    body = JSON.parse(request.body.toString('utf8')) as typeof body;
  } catch {
    return jsonResponse(400, { message: 'Invalid JSON' });
  }
  const groups = Array.isArray(body.groups) ? body.groups : [];
  if (
    typeof body.username !== 'string' ||
    !USER_NAME.test(body.username) ||
    groups.length === 0 ||
    !groups.every((group) => (STAFF_GROUPS as readonly unknown[]).includes(group))
  )
    return jsonResponse(400, { message: 'Give a user name and one or more staff groups' });
  const token = await signStaffToken(loadOrCreateSigningKey(keyFile), {
    username: body.username,
    groups: groups as StaffGroup[],
    now: new Date(),
  });
  return jsonResponse(200, { token });
}

function staticResponse(extension: string, body: string | Buffer): LocalResponse {
  return {
    statusCode: 200,
    headers: {
      ...LOCAL_CONSOLE_HEADERS,
      'Content-Type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
    },
    body,
  };
}
