/**
 * Amounts as Oracle prints them (docs/netsuite.md §12): `.5`, `-.25`, no trailing zeros, integers without a
 * point, exponents for extreme magnitudes — and JSON numbers — parsed exactly into cents. The
 * sandbox renders SuiteQL numbers that way, so the connector must read them through the wire too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AmountFormatError, amountProblem, parseCents, toCents } from '../../activities/mapping/amounts';
import { formatNumber } from '../../sandbox/netsuite/oracle-functions';
import type { StartedNetSuiteSandbox } from '../../sandbox/netsuite/server';
import { clientFor, startSandbox } from '../fixtures/netsuite/harness';

describe('amount text to cents', () => {
  test("Oracle's number text: no leading zero, no trailing zeros, signs, integers", () => {
    const cases: Array<[string, number]> = [
      ['.5', 50],
      ['-.25', -25],
      ['+.25', 25],
      ['.05', 5],
      ['-.01', -1],
      ['0', 0],
      ['-0', 0],
      ['+0', 0],
      ['-.0', 0],
      ['1', 100],
      ['-3', -300],
      ['1234.5', 123450],
      ['-1234.56', -123456],
      ['1.10', 110],
      ['007.5', 750],
      ['5.', 500],
      ['90071992547409.91', 9007199254740991],
      ['-90071992547409.91', -9007199254740991],
    ];
    for (const [text, cents] of cases) assert.equal(toCents(text), cents, text);
    assert.ok(Object.is(toCents('-0'), 0) && Object.is(toCents('-.001'), 0), 'no negative zero');
  });

  test('exponents in either case and sign, as Oracle writes extreme magnitudes', () => {
    const cases: Array<[string, number]> = [
      ['1E+2', 10000],
      ['1e2', 10000],
      ['1.5E-1', 15],
      ['-2.5e+3', -250000],
      ['1E-130', 0],
      ['-1.5E-130', 0],
      ['5E-3', 1],
      ['-5E-3', -1],
      ['4.9E-3', 0],
      ['123456789E-6', 12346],
      ['.00000001E+8', 100],
    ];
    for (const [text, cents] of cases) assert.equal(toCents(text), cents, text);
  });

  test('exact decimal rounding to the cent, half away from zero (no binary float in between)', () => {
    // 1.005 * 100 is 100.49999999999999 in binary floating point; the decimal is exactly half a cent.
    assert.equal(toCents('1.005'), 101);
    assert.equal(toCents('-1.005'), -101);
    assert.equal(toCents('1.00499999999999999999'), 100);
    assert.equal(toCents('0.125'), 13);
    assert.equal(toCents('2.675'), 268);
    assert.equal(toCents('.3333333333333333333333333333333333333333'), 33);
  });

  test('JSON numbers are read as the decimal they print as', () => {
    assert.equal(toCents(0.5), 50);
    assert.equal(toCents(-0.25), -25);
    assert.equal(toCents(1.005), 101);
    assert.equal(toCents(0.1 + 0.2), 30);
    assert.equal(toCents(-0), 0);
    assert.equal(toCents(1e-7), 0);
    assert.equal(toCents(123456789.12), 12345678912);
  });

  test('whitespace around the text is ignored; inside it is not', () => {
    assert.equal(toCents('  -.25\n'), -25);
    assert.equal(toCents('\t12.5 '), 1250);
    assert.throws(() => toCents('- 12'), AmountFormatError);
    assert.throws(() => toCents('1 000'), AmountFormatError);
  });

  test('what is not a number is refused with a clear error naming the value, never read as zero', () => {
    const refused: Array<[unknown, RegExp]> = [
      ['abc', /amount "abc" is not a number/],
      ['12,00', /decimal comma/],
      ['1,234.50', /thousands separators/],
      ['.', /not a number/],
      ['-', /not a number/],
      ['', /not a number/],
      ['1e', /not a number/],
      ['e5', /not a number/],
      ['NaN', /not a number/],
      ['Infinity', /not a number/],
      ['0x10', /not a number/],
      ['$12', /not a number/],
      ['12-', /not a number/],
      ['1.2.3', /not a number/],
      ['1E+21', /too large to hold exactly in cents/],
      ['1e20', /too large/],
      ['-90071992547409.92', /too large/],
      [Number.NaN, /not a finite number/],
      [Infinity, /not a finite number/],
      [1e21, /too large/],
      ['9'.repeat(80), /longer than 64 characters/],
      ['1E+999999', /too large/],
    ];
    for (const [raw, pattern] of refused) {
      assert.throws(
        () => toCents(raw as string),
        (e: unknown) => e instanceof AmountFormatError && pattern.test(e.message) && Object.is(e.raw, raw),
        String(raw),
      );
    }
    assert.throws(() => toCents(null as unknown as string), /is a object/);
    assert.throws(
      () => toCents('x', 'NetSuite total of period 32'),
      /amount "x" \(NetSuite total of period 32\) is not a number/,
    );
  });

  test('the lenient form for row mapping: null when empty, NaN when not a number, with the reason', () => {
    assert.equal(parseCents(null), null);
    assert.equal(parseCents(undefined), null);
    assert.equal(parseCents('  '), null);
    assert.equal(parseCents('.5'), 50);
    assert.equal(parseCents(-0.25), -25);
    assert.ok(Number.isNaN(parseCents('N/A')!));
    assert.equal(
      amountProblem('1,234.50'),
      'amount "1,234.50" is not a number (thousands separators are not accepted)',
    );
    assert.equal(amountProblem('-.25'), undefined);
    assert.equal(amountProblem(''), 'amount is empty');
  });
});

describe('numbers on the SuiteQL wire', () => {
  let sb: StartedNetSuiteSandbox;
  before(async () => {
    sb = await startSandbox({ glLines: 200 });
  });
  after(() => sb.close());

  test("the sandbox prints numbers like Oracle's number-to-text conversion", () => {
    const cases: Array<[number, string]> = [
      [0.5, '.5'],
      [-0.25, '-.25'],
      [1.1, '1.1'],
      [100, '100'],
      [-3, '-3'],
      [0, '0'],
      [-0, '0'],
      [0.1 + 0.2, '.3'],
      [1234.5, '1234.5'],
      [0.000123, '.000123'],
      [1e21, '1000000000000000000000'],
      [1e40, '1E+40'],
      [-1.5e-130, '-1.5E-130'],
    ];
    for (const [n, text] of cases) assert.equal(formatNumber(n), text, String(n));
  });

  test('the connector reads every form the sandbox sends, exactly, in cents', async () => {
    const client = clientFor(sb);
    const [row] =
      await client.suiteqlAll(`SELECT .5 AS a, -0.25 AS b, 1.10 AS c, 100 AS d, -0.001 AS e, 1234.5 + 0.05 AS f, 1E-130 AS g, 0 AS h,
      SUM(NVL(tal.debit, 0)) - SUM(NVL(tal.debit, 0)) + 0.07 AS i FROM transactionaccountingline tal`);
    assert.deepEqual(row, {
      a: '.5',
      b: '-.25',
      c: '1.1',
      d: '100',
      e: '-.001',
      f: '1234.55',
      g: '1E-130',
      h: '0',
      i: '.07',
    });
    assert.deepEqual(Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, toCents(v!)])), {
      a: 50,
      b: -25,
      c: 110,
      d: 10000,
      e: 0,
      f: 123455,
      g: 0,
      h: 0,
      i: 7,
    });
  });
});
