/** Reading what API Gateway (REST, proxy integration) hands a function. */
import type { APIGatewayProxyEvent } from 'aws-lambda';

/** A header by its lower-case name: @middy/http-header-normalizer has lower-cased every name. */
export function header(
  event: Pick<APIGatewayProxyEvent, 'headers'>,
  name: Lowercase<string>,
): string | undefined {
  return event.headers?.[name] ?? undefined;
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

/** JSON callers ask for JSON or send it; everyone else is a browser posting a form. */
export function wantsJson(event: Pick<APIGatewayProxyEvent, 'headers'>): boolean {
  const accept = header(event, 'accept')?.toLowerCase() ?? '';
  if (accept.includes('application/json')) return true;
  if (accept.includes('text/html')) return false;
  return mediaType(header(event, 'content-type')) === 'application/json';
}

/**
 * The path prefix in front of our routes (`/prod` behind a stage, or a custom domain's base path), so
 * redirects stay on this API wherever it is mounted.
 */
export function basePath(event: Pick<APIGatewayProxyEvent, 'path' | 'requestContext'>): string {
  const full = event.requestContext.path;
  return full?.endsWith(event.path) ? full.slice(0, full.length - event.path.length) : '';
}

/** The page a form was on, from Referer: origin and path only (queries may hold personal data). */
export function referringPage(event: Pick<APIGatewayProxyEvent, 'headers'>): string | undefined {
  const referer = header(event, 'referer');
  if (!referer) return undefined;
  try {
    const url = new URL(referer);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return `${url.origin}${url.pathname}`.slice(0, 500);
  } catch {
    return undefined;
  }
}

/**
 * The public URL of this API (scheme, host and base path), for links in emails. API Gateway sets the
 * domain name itself, so a client's Host header cannot steer where links point; loopback is local mode.
 */
export function apiBaseUrl(event: Pick<APIGatewayProxyEvent, 'headers' | 'path' | 'requestContext'>): string {
  const host = event.requestContext.domainName ?? header(event, 'host') ?? 'localhost';
  const loopback = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host);
  const scheme = header(event, 'x-forwarded-proto') ?? (loopback ? 'http' : 'https');
  return `${scheme}://${host}${basePath(event)}`;
}
