import { ArrivalClock } from '../local/mapping/arrival-clock';

// DynamoDB Local gives a record's creation time to the minute; the arrival clock gives it to the second,
// from the first read by any reader of the stream.

const MINUTE = Date.UTC(2025, 0, 1, 12, 34) / 1000; // epoch seconds, on a minute boundary

function fakeClock(epochMs: number) {
  return { ms: epochMs, now() { return this.ms; } };
}

test('the first reader sets the time, floored to the second; later readers get the same', () => {
  const clock = fakeClock((MINUTE + 17) * 1000 + 999);
  const arrivals = new ArrivalClock(clock);
  const mapping = arrivals.join();
  const audit = arrivals.join();
  expect(audit.creationTime('1', MINUTE)).toBe(MINUTE + 17);
  clock.ms += 20_000;
  expect(mapping.creationTime('1', MINUTE)).toBe(MINUTE + 17);
  expect(mapping.creationTime('2', MINUTE)).toBe(MINUTE + 37);
});

test('clamped into the minute DynamoDB Local reports: not before it began, not after it ended', () => {
  const clock = fakeClock((MINUTE - 5) * 1000); // a clock behind DynamoDB Local's
  const reader = new ArrivalClock(clock).join();
  expect(reader.creationTime('1', MINUTE)).toBe(MINUTE);
  clock.ms = (MINUTE + 59) * 1000 + 500;
  expect(reader.creationTime('2', MINUTE)).toBe(MINUTE + 59);
  clock.ms = (MINUTE + 3600) * 1000; // read an hour after its minute
  expect(reader.creationTime('3', MINUTE)).toBe(MINUTE + 59);
});

test('an entry is forgotten once every reader has asked for it; a lone reader keeps nothing', () => {
  const clock = fakeClock(MINUTE * 1000);
  const shared = new ArrivalClock(clock);
  const a = shared.join();
  const b = shared.join();
  a.creationTime('1', MINUTE);
  a.creationTime('2', MINUTE);
  expect(shared.size).toBe(2);
  b.creationTime('1', MINUTE);
  expect(shared.size).toBe(1);
  b.creationTime('2', MINUTE);
  expect(shared.size).toBe(0);

  const alone = new ArrivalClock(clock);
  alone.join().creationTime('1', MINUTE);
  expect(alone.size).toBe(0);
});

test('entries a reader never asks for are bounded: the oldest go first', () => {
  const clock = fakeClock((MINUTE + 1) * 1000);
  const arrivals = new ArrivalClock(clock, { maxEntries: 2 });
  const reader = arrivals.join();
  const lagging = arrivals.join();
  for (const seq of ['1', '2', '3']) reader.creationTime(seq, MINUTE);
  expect(arrivals.size).toBe(2);
  clock.ms = (MINUTE + 30) * 1000;
  expect(lagging.creationTime('3', MINUTE)).toBe(MINUTE + 1); // remembered
  expect(lagging.creationTime('1', MINUTE)).toBe(MINUTE + 30); // forgotten: stamped afresh, still within its minute
});
