import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvLine, neutralizeFormula, readLines, restoreFormula } from '../../activities/mapping/csv';

async function collect(chunks: Array<Buffer | string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of readLines(
    (async function* () {
      yield* chunks;
    })(),
  ))
    out.push(l);
  return out;
}

test('csvLine quotes only fields that need it (RFC 4180)', () => {
  assert.equal(
    csvLine(['6000', 'a,b', 'say "x"', 'two\nlines', '-12.50']),
    '6000,"a,b","say ""x""","two\nlines",-12.50\n',
  );
});

test('readLines splits LF and CRLF, keeps empty lines, and yields a last line without a newline', async () => {
  assert.deepEqual(await collect(['a,1\r\nb,2\n', '\nc,', '3']), ['a,1', 'b,2', '', 'c,3']);
  assert.deepEqual(await collect(['x\n']), ['x']);
  assert.deepEqual(await collect([]), []);
});

test('readLines decodes a UTF-8 character split across two chunks', async () => {
  const bytes = Buffer.from('Zürich,€5\n', 'utf8');
  const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte euro sign
  assert.deepEqual(await collect([bytes.subarray(0, 2), bytes.subarray(2, cut), bytes.subarray(cut)]), ['Zürich,€5']);
});

test('readLines pulls the source only as fast as lines are consumed', async () => {
  let pulled = 0;
  const source = (async function* () {
    for (let i = 0; i < 1000; i++) {
      pulled++;
      yield `line ${i}\n`;
    }
  })();
  const it = readLines(source);
  for (let i = 0; i < 3; i++) await it.next();
  // A queueing reader would have drained all 1000 chunks by now.
  assert.ok(pulled <= 4, `pulled ${pulled} chunks for 3 lines`);
  await it.return(undefined);
});

test('csvLine neutralises cells a spreadsheet would run as formulas, and leaves numbers and -number codes alone', async () => {
  const { parse } = await import('csv-parse/sync');
  const cells = [
    '=1+2',
    '+SUM(A1)',
    '@cmd',
    '-A1*2',
    '\tx',
    '-100',
    '-12.50',
    '-1e3',
    '-.5',
    '4000',
    'Sales - East',
    '',
  ];
  const [parsed] = parse(csvLine(cells)) as string[][];
  assert.deepEqual(parsed, [
    "'=1+2",
    "'+SUM(A1)",
    "'@cmd",
    "'-A1*2",
    "'\tx",
    '-100',
    '-12.50',
    '-1e3',
    '-.5',
    '4000',
    'Sales - East',
    '',
  ]);
  for (const c of cells) assert.equal(restoreFormula(neutralizeFormula(c)), c, `${JSON.stringify(c)} round-trips`);
  assert.equal(restoreFormula("'plain"), "'plain", 'a quote that guards nothing is data');
});
