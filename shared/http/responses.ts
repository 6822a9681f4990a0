/**
 * Building API Gateway proxy results. Security headers (nosniff, no-referrer) are added to every answer
 * by the middleware in `edge.ts`; pages carry their own Content-Security-Policy.
 */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';

const COMMON_HEADERS = {
  // Answers concern one person's submission: never cache them anywhere.
  'Cache-Control': 'no-store',
} as const;

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { ...COMMON_HEADERS, 'Content-Type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

export function textResponse(statusCode: number, body: string): APIGatewayProxyResult {
  return { statusCode, headers: { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }, body };
}

/** 303 See Other: the browser follows with a GET, so a reload never re-posts the form. */
export function seeOther(location: string, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: 303, headers: { ...COMMON_HEADERS, Location: location, ...headers }, body: '' };
}

const BASE_STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:1.5rem;color:#1a1a1a;background:#fff}
main{max-width:36rem;margin:0 auto}
h1{font-size:1.5rem;margin:0 0 1rem}
ul{padding-left:1.25rem}
a{color:#0b57d0}
button{margin-top:1rem;padding:.75rem 1.25rem;font:inherit;border:0;border-radius:4px;background:#0b57d0;color:#fff}
fieldset{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem}
input[type=checkbox]{width:1.25rem;height:1.25rem;vertical-align:middle;margin-right:.5rem}
`.trim();

/** The Content-Security-Policy for a page whose only inline content is `style`. */
function pageCsp(style: string): string {
  // The stylesheet is inline; allowing it by hash keeps the policy free of 'unsafe-inline' and of scripts.
  const hash = createHash('sha256').update(style).digest('base64');
  return [
    "default-src 'none'",
    `style-src 'sha256-${hash}'`,
    "img-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const PAGE_CSP = pageCsp(BASE_STYLE);

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * A small, self-contained HTML document: no scripts, no external assets, readable on a phone.
 * `extraStyle` is appended to the base stylesheet; the returned policy allows exactly that stylesheet.
 */
export function htmlDocument(
  title: string,
  bodyHtml: string,
  extraStyle = '',
): { html: string; csp: string } {
  const style = extraStyle ? `${BASE_STYLE}\n${extraStyle.trim()}` : BASE_STYLE;
  const html = `<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${bodyHtml}
</main>
</body>
</html>
`;
  return { html, csp: style === BASE_STYLE ? PAGE_CSP : pageCsp(style) };
}

export function htmlPage(statusCode: number, title: string, bodyHtml: string): APIGatewayProxyResult {
  const { html, csp } = htmlDocument(title, bodyHtml);
  return {
    statusCode,
    headers: {
      ...COMMON_HEADERS,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': csp,
    },
    body: html,
  };
}
