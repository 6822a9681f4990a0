/**
 * Email addresses as identities. Normalisation is deliberately light (trim, lower-case): folding Gmail dots
 * or `+tags` would merge different people's permissions. MailChimp also keys members by the lower-cased address.
 */

const MAX_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
// One @, no spaces or control characters, a dotted domain of letters, digits and hyphens.
const SHAPE = /^[^\s@\p{Cc}]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+[\p{L}\p{N}]{2,}$/u;

export function normaliseEmail(input: string): string {
  return input.trim().toLowerCase();
}

/** True when `email` (already normalised) looks deliverable enough to store. */
export function isValidEmail(email: string): boolean {
  if (email.length > MAX_LENGTH || !SHAPE.test(email)) return false;
  const local = email.slice(0, email.lastIndexOf('@'));
  return (
    local.length <= MAX_LOCAL_LENGTH &&
    !local.startsWith('.') &&
    !local.endsWith('.') &&
    !local.includes('..')
  );
}
