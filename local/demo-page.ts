/**
 * The demo page at `/`: every configured form, rendered from the config the way a business would put it
 * on its own site. Plain HTML posting to /enquiries: no scripts, no external assets.
 */
import type { EnquiryField, FormConfig, RuntimeConfig } from '../shared/config/schema.ts';
import { escapeHtml, htmlDocument } from '../shared/http/responses.ts';
import type { LocalResponse, LocalService } from './services.ts';

const FIELD_INPUTS: Record<EnquiryField, { label: string; input: (attrs: string) => string }> = {
  name: { label: 'Your name', input: (a) => `<input type="text" autocomplete="name" maxlength="200"${a}>` },
  email: { label: 'Email', input: (a) => `<input type="email" autocomplete="email" maxlength="254"${a}>` },
  phone: { label: 'Phone', input: (a) => `<input type="tel" autocomplete="tel" maxlength="40"${a}>` },
  company: {
    label: 'Company',
    input: (a) => `<input type="text" autocomplete="organization" maxlength="200"${a}>`,
  },
  topic: { label: 'What is it about?', input: (a) => `<input type="text" maxlength="200"${a}>` },
  message: { label: 'Message', input: (a) => `<textarea rows="5" maxlength="5000"${a}></textarea>` },
};

const FORM_STYLE = `
h2{font-size:1.2rem;margin-top:2rem}
form{border:1px solid #ccc;border-radius:6px;padding:1rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=email],input[type=tel],textarea{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;border:1px solid #767676;border-radius:4px}
.check{display:flex;gap:.5rem;align-items:flex-start;margin:1rem 0}
.check input{margin-top:.3rem;flex:none;width:1.25rem;height:1.25rem}
.check label{margin:0;font-weight:400}
.req{font-weight:400;color:#555}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
`;

const MODE_NOTES: Record<FormConfig['marketing']['mode'], string> = {
  consent: 'Express consent: marketing only if the box is ticked.',
  soft_opt_in: 'Sales enquiry: soft opt-in for similar services, with the opt-out offered here.',
  none: 'No marketing permission is asked for.',
};

export function renderDemoPage(config: RuntimeConfig): { html: string; csp: string } {
  const forms = config.forms.map(renderForm).join('\n');
  return htmlDocument(
    `${config.organisation.name}: Consent Desk demo`,
    `<p>The forms from your config, posting to this local API. Emails the system would have sent are in the
<a href="/__local/outbox">local outbox</a>.</p>
${forms}`,
    FORM_STYLE,
  );
}

function renderForm(form: FormConfig): string {
  const id = (name: string) => `${form.id}-${name}`;
  const fields = form.keep
    .map((field) => {
      const { label, input } = FIELD_INPUTS[field];
      const required = form.required.includes(field);
      const attrs = ` id="${id(field)}" name="${field}"${required ? ' required' : ''}`;
      const marker = required ? ' <span class="req">(required)</span>' : '';
      return `<label for="${id(field)}">${label}${marker}</label>\n${input(attrs)}`;
    })
    .join('\n');
  const note = form.store ? MODE_NOTES[form.marketing.mode] : 'Not stored: delivered to staff only.';
  return `<h2 id="${id('heading')}">Form “${escapeHtml(form.id)}”</h2>
<p>${escapeHtml(note)}</p>
<form method="post" action="/enquiries" aria-labelledby="${id('heading')}">
<input type="hidden" name="form" value="${escapeHtml(form.id)}">
${fields}
${renderMarketing(form, id)}
<div class="hp" aria-hidden="true">
<label for="${id('hp')}">Leave this empty</label>
<input type="text" id="${id('hp')}" name="${escapeHtml(form.honeypot)}" tabindex="-1" autocomplete="off" aria-hidden="true">
</div>
<button type="submit">Send</button>
</form>`;
}

function renderMarketing(form: FormConfig, id: (name: string) => string): string {
  const { marketing } = form;
  if (marketing.mode === 'none') return '';
  // An unticked box either way: consent needs a positive action, and the opt-out must be a real choice.
  const name = marketing.mode === 'consent' ? 'marketing_consent' : 'marketing_opt_out';
  return `<input type="hidden" name="statement_version" value="${escapeHtml(marketing.statement.version)}">
<div class="check">
<input type="checkbox" id="${id(name)}" name="${name}" value="yes">
<label for="${id(name)}">${escapeHtml(marketing.statement.text)}</label>
</div>`;
}

export function demoPageService(config: RuntimeConfig): LocalService {
  const { html, csp } = renderDemoPage(config);
  const response: LocalResponse = {
    statusCode: 200,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      // Same-origin posts carry the page address, which the consent record keeps as "where".
      'Referrer-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    },
    body: html,
  };
  return {
    name: 'demo page',
    routes: [
      { method: 'GET', path: '/', handle: () => response },
      // Browsers ask for one on every page; an empty answer keeps their consoles free of 404s.
      { method: 'GET', path: '/favicon.ico', handle: () => ({ statusCode: 204 }) },
    ],
  };
}
