/** Case-insensitive, whole words: which personal values appear in any of these texts? */
export function leakedValues(texts: string[], values: string[]): string[] {
  const hay = texts.join('\n');
  return values.filter((v) =>
    new RegExp(
      `(?<![\\p{L}\\p{N}_])${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}_])`,
      'iu',
    ).test(hay),
  );
}
