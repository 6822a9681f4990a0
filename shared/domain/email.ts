/**
 * Email addresses as identities: the one rule every entry point (forms, webhooks, imports, staff, links)
 * uses to accept an address and to turn it into the form that is stored, hashed and suppressed.
 *
 * Normalisation is deliberately light: Unicode NFC, trimmed, lower-cased, the domain in its IDNA (punycode)
 * form, so `josé@exämple.de` and `JOSÉ@xn--exmple-cua.de` are one person. Folding Gmail dots or `+tags`
 * would merge different people's permissions. MailChimp also keys members by the lower-cased address.
 */
import { domainToASCII } from 'node:url';

/** RFC 5321: a path of at most 256 octets including the angle brackets leaves 254 for the address. */
const MAX_LENGTH = 254;
/** RFC 5321 §4.5.3.1.1: the local part is at most 64 octets. */
const MAX_LOCAL_OCTETS = 64;
const MAX_LABEL_LENGTH = 63;
const utf8 = new TextEncoder();

/**
 * An unquoted local part (RFC 5322 dot-atom, with RFC 6531's non-ASCII letters, marks and digits).
 * Quoted strings, comments, angle brackets and backslashes are refused: they are legal in headers but
 * a way to smuggle markup or a second identity for the same mailbox.
 */
const LOCAL_ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\p{L}\p{M}\p{N}]+$/u;
/** An LDH label (letters, digits, hyphens; no hyphen at either end), after IDNA conversion. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
/**
 * Control and format characters (bidi overrides, zero-width spaces and joiners) and any other separator
 * than none at all: an address with them is refused, never silently cleaned, because it would be a
 * different contact that another address's suppression does not cover.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Z}]/u;

/** The canonical form of an address: what is stored, hashed and compared. Valid or not, it never throws. */
export function normaliseEmail(input: string): string {
  const text = input.trim().normalize('NFC').toLowerCase();
  const at = text.lastIndexOf('@');
  if (at < 0) return text;
  const domain = text.slice(at + 1);
  // Only a domain that converts is rewritten; one that does not stays as it was and fails validation.
  const ascii = INVISIBLE.test(domain) ? '' : domainToASCII(domain);
  return ascii ? `${text.slice(0, at)}@${ascii}` : text;
}

/** True when `email`, in its canonical form (see `normaliseEmail`), is an address we accept. */
export function isValidEmail(email: string): boolean {
  if (email.length > MAX_LENGTH || INVISIBLE.test(email)) return false;
  if (email !== normaliseEmail(email)) return false;
  const at = email.lastIndexOf('@');
  if (at <= 0) return false;
  return isValidLocalPart(email.slice(0, at)) && isValidDomain(email.slice(at + 1));
}

/** Accepts an address as typed: its canonical form, or `undefined` when it is not one we accept. */
export function parseEmail(input: string): string | undefined {
  const email = normaliseEmail(input);
  return isValidEmail(email) ? email : undefined;
}

function isValidLocalPart(local: string): boolean {
  if (utf8.encode(local).length > MAX_LOCAL_OCTETS) return false;
  const atoms = local.split('.');
  return atoms.every((atom) => LOCAL_ATOM.test(atom));
}

function isValidDomain(domain: string): boolean {
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  if (!labels.every((label) => label.length <= MAX_LABEL_LENGTH && LABEL.test(label))) return false;
  // A top-level domain is never all digits: `a@1.2.3.4` is an address literal without its brackets.
  return /[a-z]/.test(labels[labels.length - 1] ?? '');
}
