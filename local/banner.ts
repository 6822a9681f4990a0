/** What `npm start` prints once everything is up: where each part of the local system answers. */
import { ROUTES, type RouteSpec } from '../infra/routes.ts';
import { STAFF_GROUPS } from '../shared/domain/staff-access.ts';
import { CONSOLE_PATH } from './console.ts';
import { LOCAL_TABLE_NAME as TABLE_NAME } from './dynamodb.ts';

export interface BannerFacts {
  readonly baseUrl: string;
  readonly dynamoDbEndpoint: string;
  readonly persist: boolean;
  /** One line or more about the MailChimp in use. */
  readonly mailchimp: readonly string[];
}

export function banner({ baseUrl, dynamoDbEndpoint, persist, mailchimp }: BannerFacts): string {
  const routeList = (access: RouteSpec['access']) =>
    ROUTES.filter((route) => route.access === access)
      .map((route) => `${route.method} ${route.path}`)
      .join(', ');
  return `
Consent Desk is running locally${persist ? ' (data kept in .data/)' : ' (in memory; --persist keeps data)'}
  Demo page       ${baseUrl}/
  Staff console   ${baseUrl}${CONSOLE_PATH} (local sign-in)
  Local outbox    ${baseUrl}/__local/outbox
  MailChimp       ${mailchimp.join('\n                  ')}
  Clock           ${baseUrl}/__local/clock
  Seed data       npm run seed -- --contacts N (${baseUrl}/__local/seed)
  API             ${routeList('public')}
  Staff API       ${routeList('staff')}
                  Authorization: Bearer $(npm run -s token -- --groups ${STAFF_GROUPS.join(',')})
  DynamoDB Local  ${dynamoDbEndpoint} (table ${TABLE_NAME})
Press Ctrl-C to stop.
`;
}
