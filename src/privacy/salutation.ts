import type { Language } from '../policy.ts';

/**
 * German salutations must stay grammatical, so code decides them, never the model:
 * "Sehr geehrte Frau …", "Sehr geehrter Herr …", and a neutral "Guten Tag …" when the CRM does not say.
 * `lastName`/`fullName` may be real values or placeholders.
 */
type Gender = 'female' | 'male' | 'unknown';

function genderOf(salutation: string | null | undefined): { gender: Gender; title: string } {
  const s = (salutation ?? '').trim().toLowerCase();
  // DIN 5008: every academic title the contact holds, in order ("Frau Prof. Dr. …").
  const title = `${/\bprof\b/.test(s) ? 'Prof. ' : ''}${/\bdr\b/.test(s) ? 'Dr. ' : ''}`;
  if (/\b(frau|ms|mrs|miss|female|f|w)\b\.?/.test(s)) return { gender: 'female', title };
  if (/\b(herr|herrn|mr|male|m)\b\.?/.test(s)) return { gender: 'male', title };
  return { gender: 'unknown', title };
}

export function greeting(input: {
  lang: Language;
  salutation: string | null | undefined;
  lastName?: string | undefined;
  fullName?: string | undefined;
}): string {
  const { gender, title } = genderOf(input.salutation);
  const last = input.lastName?.trim();
  const full = input.fullName?.trim() || last;
  if (input.lang === 'de') {
    if (gender === 'female' && last) return `Sehr geehrte Frau ${title}${last},`;
    if (gender === 'male' && last) return `Sehr geehrter Herr ${title}${last},`;
    return full ? `Guten Tag ${title}${full},` : 'Guten Tag,';
  }
  if (gender === 'female' && last) return `Dear ${title ? title : 'Ms '}${last},`;
  if (gender === 'male' && last) return `Dear ${title ? title : 'Mr '}${last},`;
  return full ? `Dear ${title}${full},` : 'Hello,';
}
