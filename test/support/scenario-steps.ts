/** Steps the policy scenarios share: posting a form, reading the emulator, confirming a request by its link. */
import { onlyEmailTo } from './local-server.ts';

export async function postForm(baseUrl: string, fields: Record<string, string>): Promise<number> {
  const response = await fetch(`${baseUrl}/enquiries`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(fields),
  });
  return response.status;
}

export async function mailchimpStatus(baseUrl: string, email: string): Promise<string | undefined> {
  const members = (await (await fetch(`${baseUrl}/__local/mailchimp/members`)).json()) as {
    email_address: string;
    status: string;
  }[];
  return members.find((member) => member.email_address === email)?.status;
}

/** Uses the emailed verification link as the person would: GET shows the button, POST confirms. */
export async function confirmRequestByLink(baseUrl: string, email: string): Promise<void> {
  const message = await onlyEmailTo(baseUrl, email, /confirm your request/i);
  const link = /\S+\/verify-request\?token=\S+/.exec(message.text)?.[0];
  if (!link) throw new Error('no verification link in the email');
  const confirmed = await fetch(link, { method: 'POST' });
  if (confirmed.status !== 200) throw new Error(`verification answered ${confirmed.status}`);
}
