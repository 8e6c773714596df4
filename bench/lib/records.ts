/**
 * Deterministic DynamoDB stream records for the handler benchmarks, in the exact shape Lambda delivers
 * them (see test/fixtures/stream-new-and-old-images.json for a recorded one): NEW_AND_OLD_IMAGES MODIFY
 * records of an "order" item, about 1 KB each by DynamoDB's own size rules (`SizeBytes`).
 *
 * The items are what a real table holds: strings, ordinary numbers (integers and two-decimal prices),
 * a boolean, a nested map (customer, with an address map inside), a list of maps (order lines) and a list
 * of strings. They deliberately avoid what only some unmarshallers can read (sets, binary, numbers beyond
 * 2^53 or with more than 15 significant digits), so that every contender can print exactly the same lines.
 *
 * Nothing here depends on the clock or on Math.random: record i is the same in every process and run.
 */
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

type Image = { [name: string]: AttributeValue };

export const TABLE_NAME = 'orders';
export const REGION = 'eu-west-1';
export const STREAM_ARN = `arn:aws:dynamodb:${REGION}:123456789012:table/${TABLE_NAME}/stream/2026-11-01T00:00:00.000`;
/** Epoch seconds of the first record (AWS rounds ApproximateCreationDateTime down to the second). */
const FIRST_CREATED = 1_795_000_000;
const FIRST_SEQUENCE = 410_000_000_000_000_000_000n;

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Frances', 'Donald', 'Margaret', 'Ken', 'Radia'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Liskov', 'Dijkstra', 'Allen', 'Knuth', 'Hamilton', 'Thompson', 'Perlman'];
const CITIES = [['London', 'GB', 'SW1Y 4LE'], ['Paris', 'FR', '75008'], ['Berlin', 'DE', '10117'], ['Dublin', 'IE', 'D02 X285'], ['Madrid', 'ES', '28013']];
const STREETS = ['St James\'s Square', 'Rue de Rivoli', 'Unter den Linden', 'Grafton Street', 'Gran Via', 'High Street'];
const PRODUCTS = [
  ['KB-104', 'Mechanical keyboard, brown switches'], ['MS-221', 'Wireless mouse'], ['MN-270', '27 inch monitor, USB-C'],
  ['CB-010', 'USB-C cable, 2 m'], ['HS-550', 'Noise cancelling headset'], ['DK-300', 'Docking station, dual display'],
  ['WC-120', 'Webcam, 1080p'], ['LS-015', 'Laptop stand, aluminium'],
];
const TAGS = ['priority', 'gift', 'b2b', 'repeat-customer', 'newsletter', 'eco-shipping'];
const STATUSES = ['NEW', 'PAID', 'PACKED', 'SHIPPED', 'DELIVERED'];

/** Park–Miller (MINSTD) generator, seeded per record through a multiplicative hash: deterministic, no bit operations. */
function prng(seed: number): () => number {
  const M = 2147483647;
  let x = ((seed * 2654435761) % (M - 1)) + 1;
  const next = () => {
    x = (x * 48271) % M;
    return (x - 1) / (M - 1);
  };
  for (let i = 0; i < 3; i++) next();
  return next;
}

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)];
}

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number | string): AttributeValue => ({ N: String(value) });

function hex(random: () => number, length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
  return out.slice(0, length);
}

/** Cents as DynamoDB spells the number (normalized: "19.9", never "19.90"). */
function decimal(cents: number): string {
  return String(Number((cents / 100).toFixed(2)));
}

function iso(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

interface Order {
  readonly pk: string;
  readonly sk: number;
  readonly created: number;
  readonly image: Image;
}

/** The item before the change; the record's NewImage is this item after a typical update. */
function order(index: number): Order {
  const random = prng(index);
  const pk = `order#${String(100000 + index)}`;
  const sk = 1;
  const created = FIRST_CREATED + Math.floor(index / 50);
  const first = pick(random, FIRST_NAMES);
  const last = pick(random, LAST_NAMES);
  const [city, country, postcode] = pick(random, CITIES);
  const lineCount = 2 + Math.floor(random() * 2);
  const lines: AttributeValue[] = [];
  let totalCents = 0;
  for (let l = 0; l < lineCount; l++) {
    const [sku, name] = pick(random, PRODUCTS);
    const qty = 1 + Math.floor(random() * 4);
    const cents = 499 + Math.floor(random() * 40000);
    totalCents += qty * cents;
    lines.push({ M: { sku: S(sku), name: S(name), qty: N(qty), unitPrice: N(decimal(cents)) } });
  }
  const image: Image = {
    pk: S(pk),
    sk: N(sk),
    status: S(STATUSES[index % 2]),
    createdAt: S(iso(created - 3600)),
    updatedAt: S(iso(created - 60)),
    version: N(1 + (index % 7)),
    currency: S('EUR'),
    total: N(decimal(totalCents)),
    itemCount: N(lineCount),
    gift: { BOOL: random() < 0.2 },
    customer: {
      M: {
        id: S(`cust#${hex(random, 12)}`),
        name: S(`${first} ${last}`),
        email: S(`${first.toLowerCase()}.${last.toLowerCase()}@example.com`),
        address: {
          M: {
            street: S(`${1 + Math.floor(random() * 120)} ${pick(random, STREETS)}`),
            city: S(city),
            postcode: S(postcode),
            country: S(country),
          },
        },
      },
    },
    lines: { L: lines },
    tags: { L: [S(pick(random, TAGS)), S(pick(random, TAGS))] },
    note: S('Leave the parcel with the concierge if nobody answers.'),
  };
  return { pk, sk, created, image };
}

/** A typical MODIFY: status moves on, updatedAt and version change, sometimes a nested value or a list. */
function modified(index: number, old: Image, created: number): Image {
  const next: Image = { ...old };
  next.status = S(STATUSES[(index % 2) + 1 + (index % 3)]);
  next.updatedAt = S(iso(created));
  next.version = N(Number(old.version.N) + 1);
  if (index % 3 === 0) next.trackingNumber = S(`TRK${String(7_000_000_000 + index * 7919)}`);
  if (index % 4 === 0) {
    const customer = old.customer.M!;
    const address = customer.address.M!;
    next.customer = { M: { ...customer, address: { M: { ...address, street: S(`${index % 200} ${STREETS[index % STREETS.length]}`) } } } };
  }
  if (index % 5 === 0) next.tags = { L: [...old.tags.L!, S('expedited')] };
  return next;
}

/**
 * DynamoDB's item size rules: UTF-8 names and strings, numbers ~1 byte per 2 significant digits + 1,
 * 3 bytes per map or list plus 1 per element.
 */
export function itemSize(image: Image): number {
  let size = 0;
  for (const [name, value] of Object.entries(image)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/[-.]/g, '').replace(/^0+/, '').length / 2) + 1;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueSize(element), 0);
  if (value.M !== undefined) {
    return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + valueSize(element), 0);
  }
  throw new Error('records.ts only generates S, N, BOOL, L and M values');
}

/** Record `index` of the stream: a MODIFY with both images, as Lambda delivers it. */
export function streamRecord(index: number): DynamoDBRecord {
  const { pk, sk, created, image: oldImage } = order(index);
  const newImage = modified(index, oldImage, created);
  const keys: Image = { pk: S(pk), sk: N(sk) };
  const eventID = hex(prng(index + 1_000_003), 32);
  return {
    eventID,
    eventName: 'MODIFY',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: REGION,
    dynamodb: {
      ApproximateCreationDateTime: created,
      Keys: keys,
      NewImage: newImage,
      OldImage: oldImage,
      SequenceNumber: (FIRST_SEQUENCE + BigInt(index) * 100n).toString(),
      SizeBytes: itemSize(keys) + itemSize(newImage) + itemSize(oldImage),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: STREAM_ARN,
  };
}

/** A batch of `size` consecutive records starting at record `first`. */
export function streamEvent(size: number, first = 0): DynamoDBStreamEvent {
  const Records: DynamoDBRecord[] = new Array(size);
  for (let i = 0; i < size; i++) Records[i] = streamRecord(first + i);
  return { Records };
}
