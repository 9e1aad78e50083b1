/**
 * Note wordings for the held-out privacy set, written apart from the detectors: sentence frames in
 * which third parties appear, special-category statements and clean business notes. `{F}`/`{L}` are
 * a given and a family name, `{F2}`/`{L2}` a second person, `{H}` an honorific. Grow this file when a
 * detector changes; never copy a sentence from here into a lexicon.
 */

/** Frames naming third parties (not the contact). */
export const THIRD_PARTY_FRAMES: { de: string[]; en: string[] } = {
  de: [
    'Hat mit ihrer Kollegin {F} {L} gesprochen, die das Projekt ab März übernimmt.',
    'Der Hausmeister, {H} {L}, schließt uns die Halle ab 7 Uhr auf.',
    'Ansprechpartner vor Ort ist {F} {L} aus der Instandhaltung.',
    'Laut {F} {L} (Einkauf) ist das Budget für dieses Jahr freigegeben.',
    'Rückruf bitte über die Assistenz, {F} {L}, Durchwahl kommt per Mail.',
    'Sein Sohn {F} kümmert sich inzwischen um die Buchhaltung.',
    '{H} {L} aus der Buchhaltung schickt die Unterlagen bis Freitag.',
    '{F} {L} vertritt sie bis Ende des Monats.',
    'Vertretung während der Messe: {F} {L}.',
    'Termin zusammen mit {F} {L} und {F2} {L2} vereinbart.',
    'Geschäftsführer {F} {L} will beim nächsten Gespräch selbst dabei sein.',
    'Dr. {L} aus dem Labor hat Fragen zur Kalibrierung der Waagen.',
    'Bitte {F} von der Technik in cc nehmen.',
    'Die neue Werkleiterin heißt {F} {L}, sie entscheidet über die Linie 3.',
    'Ihr Stellvertreter {F} {L} war beim Termin auch dabei.',
    'Kam über eine Empfehlung von {F} {L}.',
    'Unterschrieben wird von {H} {L}, nicht vom Einkauf.',
    'Seine Tochter {F} {L} übernimmt nächstes Jahr den Betrieb.',
    'Wir sollen uns an {F} {L} wenden, sie koordiniert die Ausschreibung.',
    'Gespräch mit {H} {F} {L} war sehr konstruktiv, Angebot folgt.',
    'Der Schwager, {F} {L}, betreibt die zweite Filiale.',
    'IT-Leiter {F} {L} prüft noch die Schnittstelle.',
    'Mit {F} und {F2} aus dem Vertriebsinnendienst die Preise abgestimmt.',
    '{F} {L} hat gekündigt, Nachfolger noch offen.',
    'Anruf kam von {F} {L}, der Frau des Inhabers.',
    'Bitte Grüße an {H} {L} ausrichten, sie war sehr hilfsbereit.',
    'Kontaktperson im Lager: {F} {L}.',
    'Abstimmung mit dem Architekten {F} {L} steht noch aus.',
  ],
  en: [
    'Spoke to her colleague {F} {L}, who now runs procurement.',
    'The caretaker, {H} {L}, will open the gate at 7.',
    '{F} {L} from finance asked for a copy of the invoice.',
    'According to {F} {L}, the budget has been approved.',
    'Her assistant {F} {L} manages the calendar, go through her.',
    'Met {F} {L} and {F2} {L2} at the trade fair in Hanover.',
    'Please copy {F} from IT on the reply.',
    'His daughter {F} is taking over the business next year.',
    'Our contact there is now {F} {L}.',
    '{H} {L} in accounts will send the purchase order.',
    'Dr {F} {L} chairs the evaluation panel.',
    'Introduced by {F} {L}, an old friend of the owner.',
    'The plant manager, {F} {L}, wants a site visit first.',
    'Call went well; {F} {L} will sign off on the pilot.',
    'Loop in {F} {L} on anything technical.',
    '{F} {L} is covering for her while she is away.',
    'Her deputy {F} {L} joined the call halfway through.',
    'Quote should be addressed to {H} {F} {L}.',
    'Talked to {F} and {F2} from the warehouse team about pallet sizes.',
    'The new head of operations is {F} {L}.',
    'Referred to us by {H} {L} at the chamber of commerce.',
    '{F} {L} left the company; no successor yet.',
    'Her husband {F} {L} co-owns the firm and was on the call.',
    'Ask for {F} {L} at reception.',
  ],
};

/** Frames where the contact's own (known) name appears, in whatever spelling the rep typed. */
export const KNOWN_FRAMES: { de: string[]; en: string[] } = {
  de: [
    '{L} hat heute angerufen, bitte zurückrufen.',
    'Rückruf bei {F} {L} wegen der Ersatzteile.',
    '{H} {L} fragt nach dem Liefertermin.',
    'Notiz: {F} möchte lieber per Mail kontaktiert werden.',
    'Mit {L} das Angebot durchgesprochen, {F} meldet sich.',
  ],
  en: [
    '{L} called today, please ring back.',
    'Callback for {F} {L} about spare parts.',
    '{H} {L} asked about the delivery date.',
    'Note: {F} prefers e-mail.',
    'Went through the quote with {L}; {F} will get back to us.',
  ],
};

/** Special categories, one statement each, written without looking at the lexicons. */
export const CATEGORY_STATEMENTS: Record<string, { de: string[]; en: string[] }> = {
  health: {
    de: [
      'hat seit der Chemo nur halbe Tage',
      'ist nach der Hüft-OP noch zuhause',
      'hat Long Covid und braucht kurze Termine',
      'kommt gerade aus der Psychiatrie zurück',
      'hat MS und sitzt im Rollstuhl',
      'ist zuckerkrank, Termine nicht über Mittag',
      'wartet auf eine Spenderniere',
    ],
    en: [
      'has been off work with long Covid',
      'is recovering from a knee replacement',
      'has MS and uses a wheelchair',
      'is on insulin, avoid lunchtime meetings',
      'is having chemo until May',
      'had a breakdown last month and is back part-time',
      'is waiting for a kidney transplant',
    ],
  },
  religion: {
    de: [
      'hält den Schabbat, freitags ab Mittag nicht erreichbar',
      'ist Zeugin Jehovas, bitte keine Weihnachtsgrüße',
      'fastet im Moment (Ramadan), Termine lieber morgens',
      'ist streng orthodox und isst nur koscher',
      'betet freitags in der Moschee, dann nicht anrufen',
      'ist Sikh und trägt Turban, bitte bei der Sicherheitsschleuse beachten',
      'singt im Kirchenchor und ist sonntags nicht erreichbar',
    ],
    en: [
      'keeps Shabbat, nothing after Friday noon',
      'is a Jehovah’s Witness, no Christmas card please',
      'is fasting for Ramadan, mornings are better',
      'is Orthodox Jewish and only eats kosher',
      'goes to Friday prayers, avoid early afternoon',
      'is a devout Hindu and vegetarian for religious reasons',
      'is a Mormon and does not drink coffee',
    ],
  },
  political: {
    de: [
      'sitzt für die Grünen im Gemeinderat',
      'kandidiert bei der Kommunalwahl für die FDP',
      'ist Kreisvorsitzende der SPD',
      'ist im Nationalrat für die ÖVP',
      'ist SVP-Kantonsrat in Zürich',
      'ist AfD-Mitglied, Thema bitte meiden',
      'engagiert sich im Wahlkampf der Linken',
      'ist Landtagsabgeordneter der CSU',
    ],
    en: [
      'is a Labour councillor in Leeds',
      'stood as a Lib Dem candidate last year',
      'is a registered Republican and hosts fundraisers',
      'volunteers for the Democratic campaign',
      'is a Tory MP’s constituency agent',
      'sits on the town council for the Greens',
      'is running for the state senate as a Democrat',
    ],
  },
  trade_union: {
    de: [
      'ist Vertrauensfrau bei ver.di',
      'ist im ÖGB aktiv',
      'ist bei der Unia organisiert',
      'ist Mitglied der IG BAU',
      'sitzt für die GEW im Personalrat',
      'ist in der Gewerkschaft GPA',
    ],
    en: [
      'is a Unite rep at the depot',
      'is active in UNISON',
      'is a member of the Teamsters',
      'is a GMB steward',
      'is on the AFL-CIO regional board',
      'is a member of the RMT',
    ],
  },
  ethnic_origin: {
    de: [
      'stammt aus einer kurdischen Familie',
      'gehört zur sorbischen Minderheit',
      'ist Roma und wurde deswegen schon abgewiesen',
      'ist Afrodeutsche und engagiert sich dazu',
      'hat jesidische Wurzeln',
      'ist Russlanddeutscher',
    ],
    en: [
      'is of Vietnamese heritage',
      'is Roma and mentioned discrimination',
      'comes from a Kurdish family',
      'is Black British',
      'identifies as Aboriginal',
      'is of mixed race',
    ],
  },
  sex_life: {
    de: [
      'sie und ihre Frau ziehen nach Leipzig',
      'er und sein Mann adoptieren gerade',
      'lebt mit ihrer Partnerin zusammen',
      'ist mit einem Mann verheiratet und spricht offen darüber',
      'ist trans und hat den Namen geändert',
      'ist bi und offen damit',
    ],
    en: [
      'she and her wife are moving to Leeds',
      'he and his husband are adopting',
      'lives with her girlfriend',
      'came out as gay to the team',
      'is trans and recently transitioned',
      'and his boyfriend run the shop together',
    ],
  },
};

/** Sentences that look sensitive but are business: no category, no block. */
export const NEAR_MISSES: { de: string[]; en: string[] } = {
  de: [
    'Kunde aus der Gesundheitsbranche, 40 Arbeitsplätze.',
    'Die Union Investment ist Anteilseignerin, Entscheidung dort.',
    'Projekt für die Kirchengemeinde-Software eines Dienstleisters, Anfrage über Portal.',
    'Grüne Energie ist Thema: Angebot für PV-Anlage.',
    'Labortermin für die Materialprüfung am 14.10.2025.',
    'Die Gegenpartei im Vertrag verlangt längere Zahlungsziele.',
    'Betriebsarzt-Software gehört nicht zu unserem Portfolio.',
    'Sie fragt nach Rollstuhlrampen für das Showroom-Konzept.',
    'Angebot für den Umbau der Krankenhausküche, Ausschreibung läuft.',
  ],
  en: [
    'Labour costs are rising, they want automation.',
    'Green energy is a priority: quote for a heat pump.',
    'They supply the healthcare sector with cleanroom gloves.',
    'The other party to the contract wants 60-day terms.',
    'Asked for a quote for the union of both sites’ networks.',
    'Demo at the Democratic Republic of Congo embassy trade desk next week.',
    'Conservative estimate: 300 units in Q2.',
    'Church Street depot needs a new forklift.',
    'Their pharmacy chain wants 12 new tills.',
  ],
};

/** Clean business notes: dates, products, companies, order numbers. Nothing here is personal. */
export const CLEAN_FRAMES: { de: string[]; en: string[] } = {
  de: [
    'Lieferung am {DATE} ausgeliefert, Lieferschein {ORDER} liegt vor.',
    'Interesse an {PRODUCT}, Vergleich mit {COMPANY} läuft.',
    'Bestellung {ORDER} vom {DATE} ist unterwegs.',
    'Webinar am {DATE} zu {PRODUCT} gebucht.',
    '{COMPANY} ist Hauptwettbewerber, Preis liegt 8 % darunter.',
    'Wartungsvertrag für {PRODUCT} läuft am {DATE} aus.',
    'Angebot {ORDER} für zwei {PRODUCT} verschickt.',
    'Muster am {DATE} bei {COMPANY} vorgeführt.',
    'Reklamation zu Auftrag {ORDER}: Teil fehlt, Ersatz am {DATE}.',
    'Umstieg von {COMPANY} auf uns im Gespräch, Entscheidung bis {DATE}.',
  ],
  en: [
    'Delivered on {DATE}, delivery note {ORDER} attached in CRM.',
    'Interested in {PRODUCT}; comparing with {COMPANY}.',
    'Order {ORDER} placed on {DATE}, shipping next week.',
    'Booked the {DATE} webinar on {PRODUCT}.',
    '{COMPANY} is the incumbent supplier, we are 5% cheaper.',
    'Service contract for {PRODUCT} ends on {DATE}.',
    'Quote {ORDER} for three {PRODUCT} units sent.',
    'Demo at {COMPANY} on {DATE} went well.',
    'Complaint on order {ORDER}: one part missing, replacement on {DATE}.',
    'Switching from {COMPANY} is on the table, decision by {DATE}.',
  ],
};

export const PRODUCTS = [
  'Kärcher HDS 8/18',
  'ThinkPad X1 Carbon',
  'SAP S/4HANA',
  'Dynamics 365',
  'Festo Motion Terminal',
  'Miele Professional PWM 912',
  'Stihl MS 500i',
  'Trumpf TruLaser 3030',
  'Viessmann Vitocal 250-A',
  'Sennheiser TeamConnect',
  'Bosch Rexroth ctrlX',
  'Liebherr LTM 1090',
  'Jungheinrich EFG 216',
  'Würth ORSY',
  'Hilti Nuron',
  'Fronius Symo',
  'Zebra ZT411',
  'Datev Unternehmen online',
];
export const COMPANIES = [
  'Arçelik',
  'Orlen',
  'Vinamilk',
  'Ryanair',
  'Koç Holding',
  'Hochtief',
  'Voestalpine',
  'Ørsted',
  'Škoda Transportation',
  'Pirelli',
  'Dacia',
  'Kärcher',
  'Würth',
  'Haribo',
  'Dürr',
  'Herrenknecht',
  'Şişecam',
  'Żabka',
  'Petrom',
  'Mapei',
];

/** Dates in business wording, each in one common format. */
export const BUSINESS_DATES = [
  '02.06.2025',
  '14.11.2025',
  '2025-03-18',
  '3. April 2026',
  '17/09/2025',
  'March 4, 2026',
  '29.01.26',
  '12. Dezember 2025',
  '5 May 2026',
  '30.06.2026',
];

/**
 * Second wave, written after the detectors changed (issue 8): new wordings only, none taken from a
 * miss. The first wave above was committed before any detector change.
 */
export const WAVE_2 = {
  thirdParty: {
    de: [
      'Die Prokuristin {F} {L} hat die Bestellung freigegeben.',
      'Neuer Einkäufer seit Juli: {F} {L}.',
      'Zuständig im Werk ist jetzt {H} {L}.',
    ],
    en: [
      'Their new buyer, {F} {L}, starts in July.',
      'Escalated to {F} {L}, head of quality.',
      'Got a referral from {H} {L} at the supplier day.',
    ],
  },
  statements: {
    health: {
      de: ['ist seit dem Bandscheibenvorfall nur eingeschränkt belastbar'],
      en: ['is off after a heart operation'],
    },
    religion: {
      de: ['macht im Frühjahr die Pilgerreise nach Mekka'],
      en: ['leaves early on Fridays for synagogue'],
    },
    political: { de: ['ist Ortsvorsteher für die CDU'], en: ['chairs the local Conservative association'] },
    trade_union: {
      de: ['ist Betriebsrätin und bei ver.di aktiv'],
      en: ['negotiates for the union at the plant'],
    },
    ethnic_origin: {
      de: ['gehört zur dänischen Minderheit in Südschleswig'],
      en: ['is of Nigerian descent'],
    },
    sex_life: {
      de: ['hat erzählt, dass er mit seinem Ehemann nach Köln zieht'],
      en: ['mentioned her wife works at the hospital'],
    },
  } as Record<string, { de: string[]; en: string[] }>,
  nearMisses: {
    de: [
      'Schulungsraum für 12 Personen, Beamer vorhanden.',
      'Interesse an der Partei-übergreifenden Ausschreibung der Stadtwerke.',
      'Fragt nach Rabatt für Kirchen und Vereine als Zielgruppe.',
    ],
    en: [
      'The Labour Day closure moves delivery to Tuesday.',
      'Asked about our union-busting stance? No: they meant the union of two catalogues.',
      'Wants pricing for the Jewish Museum gift shop (venue is a customer).',
    ],
  },
};
