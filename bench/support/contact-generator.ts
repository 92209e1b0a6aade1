import type { ContactData, NumberData, NumberType } from "../../layers/core/contacts/formats/common.js";
import { prng } from "../../test/support/prng.js";

/**
 * The contacts bench/contacts.ts imports (BENCH_SEED, default 1): accented and non-Latin-script
 * names drawn with a skew like real name frequencies, 35 % without a company, 1–3 numbers each in
 * mixed national formats, addresses, emails, remarks with quotes and line breaks.
 */
/** One seeded stream for the contacts and then the bench's queries, so a run repeats exactly. */
export const random = prng(Number(process.env.BENCH_SEED ?? 1));
export const int = (n: number) => Math.floor(random() * n);
export const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
/**
 * Skewed towards the start of the list, as real name frequencies are: with exponent e the first
 * of n entries comes up with probability n^(-1/e).
 */
const pickSkewed = <T>(list: readonly T[], exponent = 2): T =>
  list[Math.floor(random() ** exponent * list.length)] as T;
const digits = (n: number) => Array.from({ length: n }, () => String(int(10))).join("");

// biome-ignore format: name lists
const FIRST = [
  "James", "Maria", "John", "Anna", "Michael", "Sarah", "David", "Laura", "Thomas", "Emma", "Daniel", "Sophie",
  "José", "Zoë", "Amélie", "François", "Chloé", "Renée", "Jürgen", "Björn", "Søren", "Ørjan", "Łukasz", "Siobhán",
  "Ângela", "Inês", "João", "Günther", "Hélène", "Éric", "Noël", "Åsa", "Märta", "Mikael", "Olga", "Dmitri",
  "Yuki", "Hiroshi", "Mei", "Wei", "Priya", "Arjun", "Fatima", "Omar", "Ahmed", "Leila", "Kwame", "Amara",
  "Lucas", "Mateo", "Valentina", "Camila", "Santiago", "Isabella", "Liam", "Olivia", "Noah", "Ava", "Elijah",
  "Charlotte", "William", "Amelia", "Benjamin", "Mia", "Henry", "Harper", "Alexander", "Evelyn", "Sebastián",
  "Nicolás", "Ana-Maria", "Jean-Luc", "Marie-Claire", "Karl", "Heinz", "Ute", "Dörte", "Štěpán", "Zdeněk",
  "Ágnes", "Zoltán", "Ioana", "Andrei", "Nikos", "Eleni", "Murat", "Ayşe", "Çağla", "Emre", "Kofi", "Chidi",
  "Ngozi", "Sipho", "Thandiwe", "Aroha", "Tane", "Grace", "Ada", "Alan", "Barbara", "Edsger", "Niklaus",
];
// biome-ignore format: name lists
const LAST = [
  "Smith", "Johnson", "Williams", "Brown", "Jones", "García", "Miller", "Davis", "Rodríguez", "Martínez",
  "Hernández", "López", "González", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
  "Lee", "Pérez", "Thompson", "White", "Harris", "Sánchez", "Clark", "Ramírez", "Lewis", "Robinson", "Müller",
  "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schäfer", "Köhler", "Groß",
  "Dubois", "Lefèvre", "Moreau", "Laurent", "Simon", "Michel", "Leroy", "Girard", "Bonnet", "Dupont", "Faure",
  "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
  "Nakamura", "Tanaka", "Suzuki", "Watanabe", "Itō", "Yamamoto", "Kobayashi", "Wang", "Li", "Zhang", "Liu",
  "Chen", "Yang", "Huang", "Nguyễn", "Trần", "Lê", "Phạm", "Kim", "Park", "Choi", "Singh", "Kumar", "Sharma",
  "Patel", "Gupta", "O'Brien", "O'Connor", "McDonald", "MacLeod", "van der Berg", "de Vries", "van Dijk",
  "Janssen", "Ångström", "Øvergård", "Johansson", "Lindqvist", "Nordström", "Kowalski", "Nowak", "Wiśniewski",
  "Dvořák", "Novák", "Svoboda", "Horváth", "Nagy", "Popescu", "Ionescu", "Papadopoulos", "Yılmaz", "Kaya",
  "Öztürk", "Ivanov", "Smirnov", "Kuznetsov", "Mensah", "Okafor", "Adeyemi", "Dlamini", "Ngata", "García-López",
  "Fernández de Córdoba", "Lovelace", "Hopper", "Turing", "Dijkstra", "Wirth", "Liskov", "Knuth", "Hamilton",
];
// biome-ignore format: syllable lists
const SURNAME_STARTS = [
  "Ber", "Kow", "Lind", "Mar", "Sch", "Dal", "Fer", "Hol", "Nak", "Öst", "Åk", "Gar", "Pet", "Ros", "Vil", "Wes",
  "Bra", "Cal", "Dom", "Ell", "Fra", "Gon", "Hen", "Ivan", "Jan", "Kar", "Lor", "Mor", "Nor", "Ort", "Pal", "Qui",
  "Ram", "San", "Tor", "Ulr", "Val", "Wal", "Yam", "Zel", "Bäck", "Čer", "Dvo", "Éch", "Gué", "Hø", "Łas", "Mü",
];
// biome-ignore format: syllable lists
const SURNAME_ENDS = [
  "gren", "ski", "mann", "ez", "ova", "stein", "ström", "ard", "elli", "son", "ić", "escu", "oğlu", "berg", "feld",
  "ier", "ino", "aki", "oto", "sen", "quist", "ley", "ton", "well", "ero", "ada", "eau", "ot", "čák", "ný", "ás",
];
/** About 6,100 surnames: the real ones first (most frequent), then made-up ones. */
const SURNAMES = [
  ...LAST,
  ...SURNAME_STARTS.flatMap((start) =>
    SURNAME_ENDS.flatMap((end) => ["", "a", "en", "or"].map((middle) => start + middle + end)),
  ),
];
// biome-ignore format: word lists
const COMPANY_WORDS = [
  "Acme", "Nordwind", "Blue", "Granite", "Silver", "Northern", "Pacific", "Atlas", "Orion", "Helix", "Vertex",
  "Summit", "Harbor", "Cedar", "Maple", "Falcon", "Quantum", "Pioneer", "Sterling", "Crescent", "Évora", "Zürich",
  "Müller", "Société", "Brasserie", "Café", "Øresund", "Königs", "Lumière", "Aurora", "Delta", "Evergreen",
  "Horizon", "Keystone", "Lighthouse", "Meridian", "Nimbus", "Oakridge", "Redwood", "Riverside", "Sunrise",
]
// biome-ignore format: word lists
const COMPANY_KINDS = [
  "Systems", "Logistics", "Logistik", "Consulting", "Partners", "Holdings", "Dental", "Bakery", "Motors",
  "Insurance", "Software", "Hotels", "Médical", "Électrique", "Bau", "Transport", "Foods", "Labs", "Studio",
  "Legal", "Finance", "Energy", "Pharma", "Textiles", "Analytics", "Networks", "Design", "Imports",
];
const COMPANY_SUFFIXES = ["", "", "Inc.", "Ltd", "GmbH", "S.A.", "SARL", "AG", "LLC", "B.V.", "S.p.A.", "& Co."];
const COMPANIES = Array.from({ length: 3000 }, () =>
  [pick(COMPANY_WORDS), random() < 0.3 ? pick(COMPANY_WORDS) : "", pick(COMPANY_KINDS), pick(COMPANY_SUFFIXES)]
    .filter(Boolean)
    .join(" "),
);
const CITIES = [
  ["Springfield", "IL", "USA"],
  ["Berlin", "", "Germany"],
  ["München", "Bayern", "Germany"],
  ["Paris", "", "France"],
  ["Lyon", "", "France"],
  ["London", "", "United Kingdom"],
  ["Zürich", "ZH", "Switzerland"],
  ["São Paulo", "SP", "Brazil"],
  ["Tokyo", "", "Japan"],
  ["Kraków", "", "Poland"],
] as const;

/** A phone number in one of the ways people write them (all valid: digits, spaces, ( ) . - +). */
function phoneNumber(): string {
  const a = digits(3);
  const e = digits(3);
  const x = digits(4);
  switch (int(12)) {
    case 0:
      return `+1 (${a}) ${e}-${x}`;
    case 1:
      return `${a}-${e}-${x}`;
    case 2:
      return `1.${a}.${e}.${x}`;
    case 3:
      return `+1${a}${e}${x}`;
    case 4:
      return `+44 20 ${digits(4)} ${digits(4)}`;
    case 5:
      return `020 ${digits(4)} ${digits(4)}`;
    case 6:
      return `+49 30 ${digits(8)}`;
    case 7:
      return `0049 (0)89 ${digits(4)}-${digits(4)}`;
    case 8:
      return `+33 1 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`;
    case 9:
      return `01.${digits(2)}.${digits(2)}.${digits(2)}.${digits(2)}`;
    case 10:
      return `+81 3-${digits(4)}-${digits(4)}`;
    default:
      return `${int(9) + 1}${digits(3)}`; // an internal short number
  }
}

const NUMBER_CHOICES: NumberType[] = ["business", "mobile", "business", "mobile", "home", "business_fax", "other"];

function numbersOf(): NumberData[] {
  const r = random();
  const count = r < 0.5 ? 1 : r < 0.85 ? 2 : 3;
  const used = new Set<NumberType>();
  const numbers: NumberData[] = [];
  while (numbers.length < count) {
    const type = pick(NUMBER_CHOICES);
    const fallback = (
      { business: "business2", mobile: "mobile2", home: "home2" } as Partial<Record<string, NumberType>>
    )[type];
    const chosen = used.has(type) ? fallback : type;
    if (!chosen || used.has(chosen)) continue;
    used.add(chosen);
    numbers.push({ type: chosen, number: phoneNumber() });
  }
  return numbers;
}

const ascii = (s: string) =>
  s
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "");

export function generateContact(): ContactData {
  const shape = random();
  // Most common first name ~4.6% (100 names, exponent 1.5), most common surname ~0.6% (about
  // 6,100, exponent 1.7): a few contacts share a full name, as in a real directory.
  const firstName = shape < 0.03 ? "" : pickSkewed(FIRST, 1.5);
  const lastName = shape >= 0.03 && shape < 0.05 ? "" : pickSkewed(SURNAMES, 1.7);
  const company = random() < 0.35 ? "" : pickSkewed(COMPANIES);
  const [city, state, country] = random() < 0.5 ? pick(CITIES) : ["", "", ""];
  const domain = company ? `${ascii(company.split(" ")[0] ?? "") || "mail"}.example` : "example.com";
  const remarkKind = random();
  return {
    firstName,
    lastName,
    company,
    email: random() < 0.7 ? `${ascii(firstName) || "info"}.${ascii(lastName) || "contact"}@${domain}` : "",
    remark:
      remarkKind < 0.05 ? `Call after 5pm, "VIP"\nAccount ${digits(6)}` : remarkKind < 0.15 ? "Prefers email" : "",
    zipCode: city ? digits(5) : "",
    street: city ? `${int(300) + 1} ${pick(["Main Street", "Hauptstraße", "Rue de la Paix", "Høgbakken"])}` : "",
    city,
    state,
    country,
    numbers: numbersOf(),
  };
}
