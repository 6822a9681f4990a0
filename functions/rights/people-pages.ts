/**
 * The public pages of the rights function: the privacy centre (`/privacy-centre`, `/privacy-centre/export`),
 * the complaint form (`/complaints`) and the link by which a person confirms a request (`/verify-request`).
 * Mapping between API Gateway events and the use cases only. GET and HEAD only ever read; POST acts.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { parseBody } from '#shared/http/body.ts';
import { complaintFormPage, complaintReceivedPage } from '#shared/http/complaint-pages.ts';
import { invalidLinkPage } from '#shared/http/link-pages.ts';
import {
  addressConfirmationSentPage,
  askForLinkPage,
  confirmDeletePage,
  deletedPage,
  heldDataPage,
  holdNothingPage,
  linkSentPage,
} from '#shared/http/privacy-centre-pages.ts';
import { wantsJson } from '#shared/http/request.ts';
import {
  invalidRequestLinkPage,
  requestVerifiedPage,
  verifyRequestPage,
} from '#shared/http/request-pages.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { getOrHead, type ResourceRoute } from '#shared/http/router.ts';
import { receiveComplaint } from '#shared/use-cases/complaints.ts';
import {
  actInPrivacyCentre,
  exportFromPrivacyCentre,
  type PeoplePagesDeps,
  type PrivacyOutcome,
  parsePrivacyAction,
  sendPrivacyCentreLink,
  viewPrivacyCentre,
} from '#shared/use-cases/privacy-centre.ts';
import { checkVerificationLink, verifyByLink } from '#shared/use-cases/subject-requests.ts';

const DONE_TEXT: Readonly<Record<string, string>> = {
  correct: 'Your details are corrected. We have emailed you a confirmation.',
  restrict: 'The use of your data is restricted. We have emailed you a confirmation.',
  lift_restriction: 'The restriction is lifted. We have emailed you a confirmation.',
  stop_marketing: 'You will get no more marketing emails. We have emailed you a confirmation.',
};

export function peoplePageRoutes(
  deps: PeoplePagesDeps,
  baseUrl: string,
): ResourceRoute<APIGatewayProxyEvent>[] {
  const organisation = deps.config.organisation.name;
  const honeypot = deps.config.peoplePages?.honeypot ?? 'website';
  const tokenOf = (event: APIGatewayProxyEvent) => event.queryStringParameters?.token;

  async function showPrivacyCentre(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const token = tokenOf(event);
    if (token === undefined) return askForLinkPage(organisation, honeypot);
    return heldPage(token);
  }

  async function heldPage(token: string, done?: string): Promise<APIGatewayProxyResult> {
    const view = await viewPrivacyCentre(deps, token);
    // Whatever is wrong with a link, the answer is the same page as for every other link.
    if (view.kind === 'invalid') return invalidLinkPage();
    if (view.kind === 'nothing') return holdNothingPage(organisation);
    return heldDataPage({ organisation, token, topics: deps.config.topics, bundle: view.bundle, done });
  }

  async function postPrivacyCentre(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const token = tokenOf(event);
    const { fields } = await parseBody(event);
    if (token === undefined) {
      await sendPrivacyCentreLink(deps, fields, baseUrl);
      // The same answer whether or not the address is known.
      return wantsJson(event) ? jsonResponse(202, { status: 'sent' }) : linkSentPage();
    }
    const outcome = await actInPrivacyCentre(deps, token, parsePrivacyAction(fields), baseUrl);
    return outcomePage(token, outcome);
  }

  async function outcomePage(token: string, outcome: PrivacyOutcome): Promise<APIGatewayProxyResult> {
    switch (outcome.kind) {
      case 'invalid':
        return invalidLinkPage();
      case 'nothing':
        return holdNothingPage(organisation);
      case 'confirm_delete':
        return confirmDeletePage(token);
      case 'address_confirmation_sent':
        return addressConfirmationSentPage();
      case 'done':
        if (outcome.action === 'delete') return deletedPage(organisation);
        return heldPage(token, DONE_TEXT[outcome.action]);
    }
  }

  /** GET reads the bundle; POST (the page's button) also logs it as an access request. */
  async function exportBundle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const bundle = await exportFromPrivacyCentre(deps, tokenOf(event), event.httpMethod === 'POST');
    if (bundle === undefined) return invalidLinkPage();
    return {
      statusCode: 200,
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Disposition': 'attachment; filename="my-data.json"',
        'Cache-Control': 'no-store',
      },
      body: bundle,
    };
  }

  async function complaints(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    if (event.httpMethod !== 'POST') return complaintFormPage(organisation, honeypot);
    await receiveComplaint(deps, (await parseBody(event)).fields);
    return wantsJson(event) ? jsonResponse(201, { status: 'received' }) : complaintReceivedPage();
  }

  /** GET and HEAD show the button and never write (mail scanners fetch links); POST confirms. */
  async function verifyRequestLink(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const token = tokenOf(event);
    if (event.httpMethod !== 'POST') {
      const valid = await checkVerificationLink(deps, token);
      return valid ? verifyRequestPage(organisation, token ?? '') : invalidRequestLinkPage();
    }
    const outcome = await verifyByLink(deps, token);
    // Whatever is wrong with a link, the answer is the same and names no one.
    if (outcome === 'invalid') return invalidRequestLinkPage();
    return requestVerifiedPage(organisation, outcome === 'already');
  }

  return [
    ...getOrHead('/verify-request', verifyRequestLink),
    { method: 'POST', resource: '/verify-request', handler: verifyRequestLink },
    ...getOrHead('/privacy-centre', showPrivacyCentre),
    { method: 'POST', resource: '/privacy-centre', handler: postPrivacyCentre },
    ...getOrHead('/privacy-centre/export', exportBundle),
    { method: 'POST', resource: '/privacy-centre/export', handler: exportBundle },
    ...getOrHead('/complaints', complaints),
    { method: 'POST', resource: '/complaints', handler: complaints },
  ];
}

/** The resources these routes serve, for the handler to tell them from the staff API. */
export const PEOPLE_PAGE_RESOURCES: ReadonlySet<string> = new Set([
  '/verify-request',
  '/privacy-centre',
  '/privacy-centre/export',
  '/complaints',
]);
