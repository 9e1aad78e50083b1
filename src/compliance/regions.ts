/**
 * Where a region named by a vendor setting lies: inside the EU/EEA or in a third country (Chapter V
 * GDPR). Only regions listed here are classified; anything else is `unknown`, and the documents say
 * so instead of guessing.
 */

export type Zone = 'eea' | 'third' | 'unknown';

export interface RegionPlace {
  /** What the documents print: `swedencentral (SE)`, `EU`, `crm4 (Europe)`. */
  label: string;
  zone: Zone;
}

/** EU member states plus Iceland, Liechtenstein and Norway. */
const EEA = new Set(
  'AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO'.split(' '),
);

/** Country (ISO 3166-1 alpha-2) of cloud regions by their vendor names; `EU` for EU-wide zones. */
const REGION_COUNTRY: Record<string, string> = {
  // Azure
  eu: 'EU', // Azure OpenAI Data Zone (EU) deployments
  swedencentral: 'SE',
  germanywestcentral: 'DE',
  germanynorth: 'DE',
  francecentral: 'FR',
  francesouth: 'FR',
  westeurope: 'NL',
  northeurope: 'IE',
  italynorth: 'IT',
  polandcentral: 'PL',
  spaincentral: 'ES',
  norwayeast: 'NO',
  norwaywest: 'NO',
  switzerlandnorth: 'CH',
  switzerlandwest: 'CH',
  uksouth: 'GB',
  ukwest: 'GB',
  eastus: 'US',
  eastus2: 'US',
  westus: 'US',
  westus3: 'US',
  northcentralus: 'US',
  southcentralus: 'US',
  canadaeast: 'CA',
  japaneast: 'JP',
  australiaeast: 'AU',
  // AWS
  'eu-central-1': 'DE',
  'eu-central-2': 'CH',
  'eu-west-1': 'IE',
  'eu-west-2': 'GB',
  'eu-west-3': 'FR',
  'eu-north-1': 'SE',
  'eu-south-1': 'IT',
  'eu-south-2': 'ES',
  'us-east-1': 'US',
  'us-west-2': 'US',
  // Google Cloud
  'europe-west1': 'BE',
  'europe-west2': 'GB',
  'europe-west3': 'DE',
  'europe-west4': 'NL',
  'europe-west6': 'CH',
  'europe-west8': 'IT',
  'europe-west9': 'FR',
  'europe-west10': 'DE',
  'europe-west12': 'IT',
  'europe-north1': 'FI',
  'europe-central2': 'PL',
  'europe-southwest1': 'ES',
  'us-central1': 'US',
};

/** Dataverse environment hosts (`<org>.crm4.dynamics.com`) name their region by number. */
const DATAVERSE_REGION: Record<string, { label: string; country: string }> = {
  crm: { label: 'North America', country: 'US' },
  crm2: { label: 'South America', country: 'BR' },
  crm3: { label: 'Canada', country: 'CA' },
  crm4: { label: 'Europe (EMEA)', country: 'EU' },
  crm5: { label: 'Asia Pacific', country: 'APAC' },
  crm6: { label: 'Australia', country: 'AU' },
  crm7: { label: 'Japan', country: 'JP' },
  crm8: { label: 'India', country: 'IN' },
  crm9: { label: 'North America 2', country: 'US' },
  crm11: { label: 'United Kingdom', country: 'GB' },
  crm12: { label: 'France', country: 'FR' },
};

function zoneOfCountry(country: string): Zone {
  if (country === 'EU' || country === 'EEA' || EEA.has(country)) return 'eea';
  return /^[A-Z]{2,4}$/.test(country) ? 'third' : 'unknown';
}

/** A region as a vendor names it (`swedencentral`, `eu-central-1`), a country code (`DE`) or `EU`. */
export function placeOf(region: string | undefined): RegionPlace | undefined {
  if (!region) return undefined;
  const key = region.trim().toLowerCase();
  const country = REGION_COUNTRY[key];
  if (country)
    return {
      label: country === key.toUpperCase() ? country : `${key} (${country})`,
      zone: zoneOfCountry(country),
    };
  const upper = region.trim().toUpperCase();
  if (upper === 'EU' || upper === 'EEA' || /^[A-Z]{2}$/.test(upper))
    return { label: upper, zone: zoneOfCountry(upper) };
  return { label: region.trim(), zone: 'unknown' };
}

/** The region a Dataverse environment URL names, if it is a `*.crmN.dynamics.com` host we know. */
export function dataverseRegion(url: string | undefined): RegionPlace | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  const match = /\.(crm\d*)\.dynamics\.com$/i.exec(new URL(url).hostname);
  const known = match ? DATAVERSE_REGION[match[1]!.toLowerCase()] : undefined;
  if (!known) return undefined;
  return { label: `${match![1]!.toLowerCase()} (${known.label})`, zone: zoneOfCountry(known.country) };
}
