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
 * redirects stay on this API wherever it is mounted. A path only: a redirect never takes a host from the
 * request (absolute URLs come from `shared/api-base-url.ts`).
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
