/**
 * A cheap, dependency-free check that an audit detail is not personal data: audit details are meant
 * to be codes, counts, ids and enum values, so anything shaped like an address, a phone number, an
 * IBAN or a sentence is refused. The privacy core's recognisers can be plugged in on top.
 */
const EMAIL = /[^\s@]+@[^\s@]+\.[a-z]{2,}/i;
const PHONE = /(?:\+|00)\d[\d\s/().-]{6,}\d|\b0\d{2,5}[\s/-]\d[\d\s-]{3,}\d/;
const IBAN = /\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}\b/;
const PROSE = /\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+/; // six words or more: free text, not a code

/** A UUID (request and trace ids): its digit groups can look like a phone number (`00955444-7672`). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids the service generates are never personal data; checking them only gives false alarms. */
export function isGeneratedId(value: string): boolean {
  return UUID.test(value);
}

export function findPersonalValues(value: string): string[] {
  if (isGeneratedId(value)) return [];
  const found: string[] = [];
  if (EMAIL.test(value)) found.push('EMAIL');
  if (PHONE.test(value)) found.push('PHONE');
  if (IBAN.test(value)) found.push('IBAN');
  if (PROSE.test(value)) found.push('FREE_TEXT');
  return found;
}
