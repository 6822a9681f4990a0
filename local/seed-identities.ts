/**
 * Who a synthetic seed person is (name, address, phone, company, what they write) and the seeded random
 * numbers their history is drawn from. Nobody is real: names come from short lists, addresses are on the
 * reserved `example.*` domains and phones are in Ofcom's drama range.
 */

// biome-ignore format: a table of names reads better than one name a line
const FIRST_NAMES = [
  'Ada', 'Alan', 'Amara', 'Ben', 'Chloe', 'Dev', 'Eilidh', 'Ffion', 'Grace', 'Hamid', 'Isla', 'Jack',
  'Kofi', 'Lena', 'Maya', 'Niamh', 'Oscar', 'Priya', 'Quentin', 'Rhys', 'Sofia', 'Tom', 'Uma', 'Wei',
  'Yusuf', 'Zara',
];
// biome-ignore format: a table of names reads better than one name a line
const LAST_NAMES = [
  'Ahmed', 'Baker', 'Campbell', 'Davies', 'Evans', 'Fraser', 'Green', 'Hughes', 'Iqbal', 'Jones', 'Khan',
  'Lewis', 'Morgan', 'Nowak', "O'Neill", 'Patel', 'Quinn', 'Roberts', 'Singh', 'Taylor', 'Walsh', 'Young',
];
const DOMAINS = ['example.com', 'example.org', 'example.net'];
const COMPANIES = ['Example Widgets Ltd', 'Sample Joinery', 'Placeholder Dental', 'Demo Bakery Ltd'];
const SUBJECTS = ['Pricing', 'Support', 'Partnership', 'General'];
const MESSAGES = [
  'Could you send me a quote for the monthly support plan?',
  'We are moving office next month and need help with the network.',
  'Do you offer training for new staff?',
  'Please call me back about the backup service.',
  'What would it cost to look after ten laptops?',
];
export interface Identity {
  readonly name: string;
  readonly email: string;
  readonly phone: string;
  readonly company: string | undefined;
  readonly subject: string;
  readonly message: string;
}

export function makeIdentity(seed: number, index: number, random: Random): Identity {
  const first = pick(FIRST_NAMES, random);
  const last = pick(LAST_NAMES, random);
  const local = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '');
  return {
    name: `${first} ${last}`,
    // The seed and index make every address unique; the domains are reserved for examples (RFC 2606).
    email: `${local}.${seed}.${index}@${pick(DOMAINS, random)}`,
    // Ofcom's range for drama: never a real subscriber.
    phone: `07700 900${String(Math.floor(random() * 1000)).padStart(3, '0')}`,
    company: random() < 0.6 ? pick(COMPANIES, random) : undefined,
    subject: pick(SUBJECTS, random),
    message: pick(MESSAGES, random),
  };
}

export type Random = () => number;

/** mulberry32, seeded from the seed and the person's index: small, fast and the same everywhere. */
export function personRandom(seed: number, index: number): Random {
  let state = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function pick<T>(values: readonly T[], random: Random): T {
  return values[Math.floor(random() * values.length)] as T;
}

export function pickWeighted<T>(
  kinds: readonly T[],
  weights: readonly number[],
  total: number,
  random: Random,
): T {
  let roll = random() * total;
  for (const [position, kind] of kinds.entries()) {
    roll -= weights[position] ?? 0;
    if (roll < 0) return kind;
  }
  return kinds.at(-1) as T;
}

/** A version-4-shaped UUID from the person's generator, so ids repeat with the seed. */
export function uuidFrom(random: Random): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  const text = hex.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}
