/**
 * The environment contract: CHANGE_LOG_REDACT, CHANGE_LOG_IMAGES, POWERTOOLS_LOG_LEVEL,
 * POWERTOOLS_SERVICE_NAME, and refusing to start on invalid values.
 */
import { ORDER_CHANGED_ATTRIBUTES, ORDER_INSERTED, ORDER_KEYS, ORDER_MODIFIED } from './fixtures/expected-items';
import { byMessage, event, handEdited, initError, invoke, loadEvent, loadHandler, single } from './fixtures/harness';

const MASK = '***REDACTED***';

/** The MODIFY of the order (both images) through a handler loaded with `env`. */
async function modifyLine(env: Record<string, string>) {
  const { handler } = loadHandler(env);
  const run = await invoke(handler, event([loadEvent('stream-new-and-old-images.json').Records[1]]));
  expect(run.result).toStrictEqual({ batchItemFailures: [] });
  return single(run.printed, 'change');
}

function withCustomer(image: Record<string, unknown>, edit: (customer: any) => void): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(image));
  edit(copy.customer);
  return copy;
}

describe('CHANGE_LOG_REDACT', () => {
  test('a bare top-level name is masked in both images; changedAttributes still names it', async () => {
    const line = await modifyLine({ CHANGE_LOG_REDACT: '["status"]' });
    expect(line.newImage).toStrictEqual({ ...ORDER_MODIFIED, status: MASK });
    expect(line.oldImage).toStrictEqual({ ...ORDER_INSERTED, status: MASK });
    expect(line.changedAttributes).toStrictEqual(ORDER_CHANGED_ATTRIBUTES);
  });

  test('a bare name is masked at any depth, including inside lists of maps', async () => {
    const line = await modifyLine({ CHANGE_LOG_REDACT: '["number","city","qty"]' });
    const expected = withCustomer(ORDER_MODIFIED, (c) => {
      c.address.city = MASK;
      c.phones = [{ kind: 'home', number: MASK }, { kind: 'mobile', number: MASK }];
    });
    expected.lines = [{ sku: 'A-1', qty: MASK }, ['nested', 1, null, false, ''], ''];
    expect(line.newImage).toStrictEqual(expected);
  });

  test('a bare name masks a whole map when the attribute is a map', async () => {
    const line = await modifyLine({ CHANGE_LOG_REDACT: '["customer"]' });
    expect(line.newImage).toStrictEqual({ ...ORDER_MODIFIED, customer: MASK });
    expect(line.oldImage).toStrictEqual({ ...ORDER_INSERTED, customer: MASK });
  });

  test('a dotted path is masked only at that path from the top, crossing lists', async () => {
    const line = await modifyLine({ CHANGE_LOG_REDACT: '["customer.address.street","customer.phones.kind","lines.sku"]' });
    const expected = withCustomer(ORDER_MODIFIED, (c) => {
      c.address.street = MASK;
      c.phones = [{ kind: MASK, number: '+44 20 7946 0000' }, { kind: MASK, number: '+44 7700 900000' }];
    });
    expected.lines = [{ sku: MASK, qty: 2 }, ['nested', 1, null, false, ''], ''];
    expect(line.newImage).toStrictEqual(expected);
  });

  test('a dotted path that does not start at the top masks nothing', async () => {
    const line = await modifyLine({ CHANGE_LOG_REDACT: '["address.street","geo.lat"]' });
    expect(line.newImage).toStrictEqual(ORDER_MODIFIED);
  });

  test('key attributes are masked in keys too', async () => {
    const line = await modifyLine({ CHANGE_LOG_REDACT: '["pk"]' });
    expect(line.keys).toStrictEqual({ ...ORDER_KEYS, pk: MASK });
    expect((line.newImage as Record<string, unknown>).pk).toBe(MASK);
  });

  test('a dotted entry also masks a top-level attribute with that literal name', async () => {
    const { handler } = loadHandler({ CHANGE_LOG_REDACT: '["a.b","constructor"]' });
    const run = await invoke(handler, event([handEdited('edge-case-records.json', 'awkwardAttributeNames')]));
    const image = single(run.printed, 'change').newImage as Record<string, unknown>;
    expect(image['a.b']).toBe(MASK);
    expect(image.constructor).toBe(MASK);
    expect(image.status).toBe('NEW');
  });

  test('names are case-sensitive', async () => {
    const line = await modifyLine({ CHANGE_LOG_REDACT: '["Status","EMAIL"]' });
    expect(line.newImage).toStrictEqual(ORDER_MODIFIED);
  });

  test('an empty list masks nothing', async () => {
    const line = await modifyLine({ CHANGE_LOG_REDACT: '[]' });
    expect(line.newImage).toStrictEqual(ORDER_MODIFIED);
  });
});

describe('CHANGE_LOG_IMAGES', () => {
  test('"false": no newImage or oldImage on any line, changedAttributes still exact', async () => {
    const { handler } = loadHandler({ CHANGE_LOG_IMAGES: 'false' });
    const run = await invoke(handler, loadEvent('stream-new-and-old-images.json'));
    expect(run.result).toStrictEqual({ batchItemFailures: [] });
    const changes = byMessage(run.printed, 'change');
    expect(changes).toHaveLength(5);
    for (const line of changes) {
      expect('newImage' in line).toBe(false);
      expect('oldImage' in line).toBe(false);
    }
    expect(changes[1].changedAttributes).toStrictEqual(ORDER_CHANGED_ATTRIBUTES);
    expect(changes[0].keys).toStrictEqual(ORDER_KEYS);
    expect(run.printed.texts.join('\n')).not.toContain('Ada Lovelace');
  });

  test('"true" (the default) prints the images', async () => {
    const line = await modifyLine({ CHANGE_LOG_IMAGES: 'true' });
    expect(line.newImage).toStrictEqual(ORDER_MODIFIED);
    expect(line.oldImage).toStrictEqual(ORDER_INSERTED);
  });

  test('"false": images that are not printed are not read, so a bad value in an INSERT image does not fail it', async () => {
    const { handler } = loadHandler({ CHANGE_LOG_IMAGES: 'false' });
    const run = await invoke(handler, event([handEdited('malformed-records.json', 'badNumberInNewImage')]));
    expect(run.result).toStrictEqual({ batchItemFailures: [] });
    expect(single(run.printed, 'change').eventName).toBe('INSERT');
  });

  test('"false": a MODIFY\'s images are still compared, so a bad value there fails the record', async () => {
    const { handler } = loadHandler({ CHANGE_LOG_IMAGES: 'false' });
    const record = handEdited('malformed-records.json', 'badNumberInOldImage');
    const run = await invoke(handler, event([record]));
    expect(run.result).toStrictEqual({ batchItemFailures: [{ itemIdentifier: record.dynamodb!.SequenceNumber }] });
    expect(single(run.printed, 'record failed').reason).toBe('dynamodb.OldImage.quantity: N is not a valid number');
  });
});

describe('POWERTOOLS_LOG_LEVEL', () => {
  test('INFO is the default: change lines and the summary, no debug line', async () => {
    const { handler, init } = loadHandler();
    expect(init.lines).toEqual([]);
    const run = await invoke(handler, loadEvent('stream-keys-only.json'));
    expect(run.printed.lines.map((line) => `${line.level} ${line.message}`)).toEqual([
      'INFO change', 'INFO change', 'INFO change', 'INFO change', 'INFO change', 'INFO batch',
    ]);
  });

  test('DEBUG adds the configuration line at init', async () => {
    const { handler, init } = loadHandler({
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      CHANGE_LOG_IMAGES: 'false',
      CHANGE_LOG_REDACT: '["email","customer.address"]',
    });
    const config = single(init, 'change log configuration');
    expect(config.level).toBe('DEBUG');
    expect(config.logImages).toBe(false);
    expect(config.redactAttributes).toStrictEqual(['email', 'customer.address']);
    const run = await invoke(handler, loadEvent('stream-keys-only.json'));
    expect(byMessage(run.printed, 'change')).toHaveLength(5);
  });

  test('lower case is accepted (Powertools alone would silently fall back to INFO)', () => {
    const { init } = loadHandler({ POWERTOOLS_LOG_LEVEL: 'debug' });
    expect(single(init, 'change log configuration').level).toBe('DEBUG');
  });

  test('WARN: nothing is printed for a batch that succeeds', async () => {
    const { handler } = loadHandler({ POWERTOOLS_LOG_LEVEL: 'WARN' });
    const run = await invoke(handler, loadEvent('stream-new-and-old-images.json'));
    expect(run.result).toStrictEqual({ batchItemFailures: [] });
    expect(run.printed.lines).toEqual([]);
  });

  test('WARN: a failed record prints the error and the summary (at WARN), still no change lines', async () => {
    const { handler } = loadHandler({ POWERTOOLS_LOG_LEVEL: 'WARN' });
    const { Records } = loadEvent('stream-new-and-old-images.json');
    const bad = handEdited('malformed-records.json', 'missingKeys');
    bad.dynamodb!.SequenceNumber = Records[2].dynamodb!.SequenceNumber;
    Records[2] = bad;
    const run = await invoke(handler, event(Records));
    expect(run.result).toStrictEqual({ batchItemFailures: [{ itemIdentifier: Records[2].dynamodb!.SequenceNumber }] });
    expect(run.printed.lines.map((line) => `${line.level} ${line.message}`)).toEqual(['ERROR record failed', 'WARN batch']);
    expect(single(run.printed, 'batch').processed).toBe(2);
  });

  test('WARN: images are not read when no change line is printed, so a bad image value does not fail the record', async () => {
    const { handler } = loadHandler({ POWERTOOLS_LOG_LEVEL: 'WARN' });
    const run = await invoke(handler, event([handEdited('malformed-records.json', 'badNumberInNewImage')]));
    expect(run.result).toStrictEqual({ batchItemFailures: [] });
    expect(run.printed.lines).toEqual([]);
  });

  test('WARN: keys are always read, so a bad key still fails the record', async () => {
    const { handler } = loadHandler({ POWERTOOLS_LOG_LEVEL: 'WARN' });
    const record = handEdited('malformed-records.json', 'badNumberInKeys');
    const run = await invoke(handler, event([record]));
    expect(run.result).toStrictEqual({ batchItemFailures: [{ itemIdentifier: record.dynamodb!.SequenceNumber }] });
    expect(single(run.printed, 'record failed').reason).toBe('dynamodb.Keys.sk: N is not a valid number');
  });

  test('ERROR: only the failed record', async () => {
    const { handler } = loadHandler({ POWERTOOLS_LOG_LEVEL: 'ERROR' });
    const record = handEdited('malformed-records.json', 'missingKeys');
    const run = await invoke(handler, event([record]));
    expect(run.printed.lines.map((line) => `${line.level} ${line.message}`)).toEqual(['ERROR record failed']);
  });
});

describe('POWERTOOLS_SERVICE_NAME', () => {
  test('names the service on every line', async () => {
    const { handler } = loadHandler({ POWERTOOLS_SERVICE_NAME: 'orders-change-log' });
    const run = await invoke(handler, loadEvent('stream-keys-only.json'));
    expect(new Set(run.printed.lines.map((line) => line.service))).toEqual(new Set(['orders-change-log']));
  });
});

describe('invalid configuration stops the function at init', () => {
  test.each([
    [{ POWERTOOLS_LOG_LEVEL: 'VERBOSE' }, 'POWERTOOLS_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT, got "VERBOSE"'],
    [{ CHANGE_LOG_IMAGES: 'yes' }, 'CHANGE_LOG_IMAGES must be "true" or "false", got "yes"'],
    [{ CHANGE_LOG_IMAGES: 'TRUE' }, 'CHANGE_LOG_IMAGES must be "true" or "false", got "TRUE"'],
    [{ CHANGE_LOG_REDACT: 'email' }, 'CHANGE_LOG_REDACT must be a JSON array of strings (it is not valid JSON); got "email"'],
    [{ CHANGE_LOG_REDACT: '{"email":true}' }, 'CHANGE_LOG_REDACT must be a JSON array of strings; got "{\\"email\\":true}"'],
    [{ CHANGE_LOG_REDACT: '["email",3]' }, 'CHANGE_LOG_REDACT must be a JSON array of strings, found 3; got "[\\"email\\",3]"'],
    [{ CHANGE_LOG_REDACT: '[""]' }, 'CHANGE_LOG_REDACT "" is neither an attribute name nor a dotted path (empty segment); got "[\\"\\"]"'],
    [{ CHANGE_LOG_REDACT: '["a..b"]' }, 'CHANGE_LOG_REDACT "a..b" is neither an attribute name nor a dotted path (empty segment); got "[\\"a..b\\"]"'],
    [{ CHANGE_LOG_REDACT: '[".a"]' }, 'CHANGE_LOG_REDACT ".a" is neither an attribute name nor a dotted path (empty segment); got "[\\".a\\"]"'],
  ])('%j', (env, problem) => {
    expect(initError(env as Record<string, string>)).toBe(`invalid change-log handler configuration: ${problem}`);
  });

  test('every problem is reported at once', () => {
    expect(initError({ POWERTOOLS_LOG_LEVEL: 'LOUD', CHANGE_LOG_IMAGES: '1' })).toBe(
      'invalid change-log handler configuration: POWERTOOLS_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, '
      + 'CRITICAL, SILENT, got "LOUD"; CHANGE_LOG_IMAGES must be "true" or "false", got "1"');
  });

  test('empty values mean the defaults', async () => {
    const line = await modifyLine({ POWERTOOLS_LOG_LEVEL: '', CHANGE_LOG_IMAGES: '', CHANGE_LOG_REDACT: '' });
    expect(line.newImage).toStrictEqual(ORDER_MODIFIED);
  });
});
