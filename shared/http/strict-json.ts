/**
 * The checks on JSON text that `JSON.parse` does not make: an object may not name a key twice (a form
 * may not repeat a field either), and no string, key or value, may hold a lone surrogate (text that is
 * no Unicode, which `\ud800` escapes can smuggle past a UTF-8 check). Run on text that parsed.
 */

/** Whether parsed JSON text names no key twice in one object and holds only well-formed strings. */
export function isStrictJson(text: string): boolean {
  // One set of keys per open object; `undefined` for an open array.
  const open: (Set<string> | undefined)[] = [];
  let expectingKey = false;
  for (let at = 0; at < text.length; at++) {
    const char = text[at];
    if (char === '"') {
      const end = stringEnd(text, at);
      const value: unknown = JSON.parse(text.slice(at, end + 1));
      if (typeof value !== 'string' || !value.isWellFormed()) return false;
      const keys = open.at(-1);
      if (expectingKey && keys) {
        if (keys.has(value)) return false;
        keys.add(value);
      }
      expectingKey = false;
      at = end;
    } else if (char === '{') {
      open.push(new Set());
      expectingKey = true;
    } else if (char === '[') {
      open.push(undefined);
    } else if (char === '}' || char === ']') {
      open.pop();
    } else if (char === ',') {
      expectingKey = open.at(-1) !== undefined;
    }
  }
  return true;
}

/** The index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  for (let at = start + 1; at < text.length; at++) {
    if (text[at] === '\\') at++;
    else if (text[at] === '"') return at;
  }
  return text.length - 1;
}
