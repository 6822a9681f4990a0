/**
 * Staff groups, and reading them from what API Gateway's Cognito authorizer passes on. Each staff route
 * names the groups it admits (staff-routes.ts); a member of any of them may call it.
 */

export const STAFF_GROUPS = ['marketing', 'sales', 'privacy'] as const;
export type StaffGroup = (typeof STAFF_GROUPS)[number];

/** A signed-in member of staff, as the staff use cases see them. */
export interface StaffIdentity {
  /** Cognito's `sub`: never reused or renamed, so audit records name people by it. */
  readonly subject: string;
  /** `cognito:username`, or the subject when the token has none. */
  readonly username: string;
  readonly groups: readonly StaffGroup[];
}

/** What each group is for; the user pool's group descriptions. */
export const STAFF_GROUP_DESCRIPTIONS: Readonly<Record<StaffGroup, string>> = {
  marketing: 'Lists who may be emailed about a topic and on which basis, exports them, and reads a contact.',
  sales: 'Reads the enquiries received.',
  privacy: 'Reads contacts, enquiries and the audit log, to answer data-subject requests.',
};

export function isStaffGroup(value: unknown): value is StaffGroup {
  return typeof value === 'string' && (STAFF_GROUPS as readonly string[]).includes(value);
}

/**
 * The staff groups in a `cognito:groups` claim, in claim order without repeats. API Gateway's REST Cognito
 * authorizer passes every claim as a string, the groups as `"a,b"`; `"[a b]"` (how a list is sometimes
 * printed) and a decoded token's real array are read too. Groups we do not know are ignored, and anything
 * else reads as no groups, so a surprising claim can only ever deny.
 */
export function parseGroupsClaim(value: unknown): StaffGroup[] {
  let names: readonly unknown[];
  if (Array.isArray(value)) {
    names = value;
  } else if (typeof value === 'string') {
    const trimmed = value.trim();
    const listed = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
    names = listed.split(/[\s,]+/);
  } else {
    return [];
  }
  const groups: StaffGroup[] = [];
  for (const name of names) if (isStaffGroup(name) && !groups.includes(name)) groups.push(name);
  return groups;
}
