/** Middleware giving the enquiry handler an already-parsed, typed input for POSTs. */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { EnquiryInput } from '../domain/enquiry.ts';
import { parseBody } from './body.ts';
import { referringPage, wantsJson } from './request.ts';

export interface EnquiryBody {
  enquiry?: EnquiryInput;
}

/** `baseUrl`: where links in the emails point, from the deployment (never from the request's Host). */
export function enquiryBody(options: {
  readonly baseUrl: string;
}): MiddlewareObj<APIGatewayProxyEvent & EnquiryBody> {
  return {
    before: async (request) => {
      const { event } = request;
      if (event.httpMethod !== 'POST') return;
      const { fields } = await parseBody(event);
      event.enquiry = {
        fields,
        method: wantsJson(event) ? 'json' : 'html_form',
        page: referringPage(event),
        baseUrl: options.baseUrl,
      };
    },
  };
}
