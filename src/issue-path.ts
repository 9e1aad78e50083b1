/**
 * Where an input failed validation, for messages the sender (and a log) may see. Record keys come
 * from the input: they are shown when they look like field names and masked otherwise, so a value
 * someone put in a key position (a name, an address) is never echoed.
 */
export function issuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p) =>
      typeof p === 'number' || (typeof p === 'string' && /^[A-Za-z0-9_$-]{1,64}$/.test(p))
        ? String(p)
        : '<key>',
    )
    .join('.');
}
