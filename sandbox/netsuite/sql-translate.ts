/**
 * SuiteQL → SQLite. SuiteQL is Oracle-flavoured SQL (docs/netsuite.md §3.4–3.5);
 * the connector's queries use NVL, BUILTIN.DF, TO_DATE/TO_CHAR with explicit masks, 'T'/'F'
 * booleans, `||` and FETCH FIRST. The query is tokenised first, so string literals (which may hold
 * anything, including text that looks like SQL) are never rewritten; only identifier and keyword
 * tokens are. Rules enforced here mirror SuiteQL's: SELECT only, no WITH, no square brackets, no
 * multiple statements, only NetSuite tables.
 */
import { DISPLAY_COLUMN, MULTI_BOOK_NAMES, REFERENCES, SUITEQL_TABLES } from './schema';

export class SuiteQLSyntaxError extends Error {}

type Kind = 'ws' | 'str' | 'ident' | 'qident' | 'num' | 'op';
interface Token {
  kind: Kind;
  text: string;
}

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const rest = sql.slice(i);
    let m: RegExpMatchArray | null;
    if ((m = rest.match(/^(\s+|--[^\n]*|\/\*[\s\S]*?\*\/)/))) out.push({ kind: 'ws', text: m[0] });
    else if (c === "'") {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new SuiteQLSyntaxError('Unterminated string literal.');
        if (sql[j] === "'") {
          if (sql[j + 1] === "'") j += 2;
          else break;
        } else j++;
      }
      out.push({ kind: 'str', text: sql.slice(i, j + 1) });
      m = [sql.slice(i, j + 1)];
    } else if (c === '"') {
      const j = sql.indexOf('"', i + 1);
      if (j < 0) throw new SuiteQLSyntaxError('Unterminated quoted identifier.');
      m = [sql.slice(i, j + 1)];
      out.push({ kind: 'qident', text: m[0] });
    } else if ((m = rest.match(/^[A-Za-z_][A-Za-z0-9_$#]*/))) out.push({ kind: 'ident', text: m[0] });
    else if ((m = rest.match(/^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/))) out.push({ kind: 'num', text: m[0] });
    else if ((m = rest.match(/^(\|\||<=|>=|<>|!=)/))) out.push({ kind: 'op', text: m[0] });
    else if (c === '[' || c === ']') throw new SuiteQLSyntaxError('Square brackets are not supported.');
    else if (c === ';') throw new SuiteQLSyntaxError('Only one statement is allowed.');
    else if (c === '?' || c === ':')
      throw new SuiteQLSyntaxError('Bind parameters are not supported; put literals in the query.');
    else if ('(),.*+-/=<>%'.includes(c)) {
      m = [c];
      out.push({ kind: 'op', text: c });
    } else throw new SuiteQLSyntaxError(`Unexpected character ${JSON.stringify(c)}.`);
    i += m[0].length;
  }
  return out;
}

const upper = (t: Token | undefined) => (t && t.kind === 'ident' ? t.text.toUpperCase() : undefined);
const FROM_END = new Set([
  'WHERE',
  'GROUP',
  'ORDER',
  'HAVING',
  'UNION',
  'INTERSECT',
  'MINUS',
  'EXCEPT',
  'FETCH',
  'OFFSET',
  'LIMIT',
]);
const CLAUSE_END = new Set(['ON', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'CROSS', 'OUTER', 'USING', 'NATURAL']);
/** SQLite keywords that are NetSuite table/column names; quoted wherever they appear as identifiers. */
const QUOTE_IDENTS = new Set(['TRANSACTION']);

/** Oracle functions SuiteQL allows that SQLite lacks are registered by state.ts; these are renamed. */
const RENAME: Record<string, string> = { NVL: 'IFNULL', SYSDATE: "datetime('now')", SYSTIMESTAMP: "datetime('now')" };

export interface Translation {
  sql: string;
  /** alias (lowercase) → table name, for diagnostics and tests. */
  tables: Record<string, string>;
}

export interface TranslateOptions {
  /** The account has the Multi-Book Accounting feature (default true); without it `accountingbook` is unknown. */
  multiBook?: boolean;
  /**
   * Without Multi-Book, what SuiteQL refuses: the record and the column (default, the strict side),
   * or only the `accountingbook` record while `tal.accountingbook` stays a column (FIDELITY N10).
   */
  singleBookRefuses?: 'table-and-column' | 'table';
  /** Columns this account does not have, as `table.column` (a role or feature without them; FIDELITY N23, N25). */
  hiddenFields?: ReadonlySet<string>;
}

/** Raised for a record or field the account does not have: SuiteQL's 400 "not found" / "Unknown identifier". */
export class SuiteQLUnknownNameError extends SuiteQLSyntaxError {}

export function translateSuiteQL(input: string, options: TranslateOptions = {}): Translation {
  const toks = tokenize(input).filter((t) => t.kind !== 'ws');
  const first = upper(toks[0]);
  if (first === 'WITH') throw new SuiteQLSyntaxError('WITH clauses are not supported.');
  if (first !== 'SELECT' && !(toks[0]?.text === '(' && upper(toks[1]) === 'SELECT'))
    throw new SuiteQLSyntaxError('Only SELECT statements are supported.');

  const multiBook = options.multiBook ?? true;
  const aliases = collectTables(toks, multiBook ? undefined : MULTI_BOOK_NAMES);
  if (!multiBook && options.singleBookRefuses !== 'table') refuseNames(toks, MULTI_BOOK_NAMES);
  if (options.hiddenFields?.size) refuseHiddenFields(toks, aliases, options.hiddenFields);
  const defaultTable = Object.values(aliases)[0];
  const out: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    const u = upper(t);
    if (u === 'ROWNUM')
      throw new SuiteQLSyntaxError('ROWNUM is not supported by this sandbox; use FETCH FIRST n ROWS ONLY.');
    if (u === 'BUILTIN' && toks[i + 1]?.text === '.') {
      const fn = upper(toks[i + 2]);
      if (fn !== 'DF' || toks[i + 3]?.text !== '(')
        throw new SuiteQLSyntaxError(`Unsupported function BUILTIN.${toks[i + 2]?.text ?? ''}.`);
      const close = matchParen(toks, i + 3);
      const inner = toks.slice(i + 4, close);
      out.push(displayOf(inner, aliases, defaultTable));
      i = close;
      continue;
    }
    if (u === 'FETCH' && ['FIRST', 'NEXT'].includes(upper(toks[i + 1]) ?? '') && toks[i + 2]?.kind === 'num') {
      // FETCH FIRST n ROWS ONLY → LIMIT n
      const n = toks[i + 2]!.text;
      let j = i + 3;
      if (['ROWS', 'ROW'].includes(upper(toks[j]) ?? '')) j++;
      if (upper(toks[j]) !== 'ONLY') throw new SuiteQLSyntaxError('Expected FETCH FIRST n ROWS ONLY.');
      out.push(`LIMIT ${n}`);
      i = j;
      continue;
    }
    if (u === 'ORDER' && upper(toks[i + 1]) === 'BY') {
      i = orderBy(toks, i + 2, out, aliases, defaultTable);
      continue;
    }
    out.push(render(t, toks, i));
  }
  return { sql: joinSql(out), tables: aliases };
}

function render(t: Token, toks: Token[], i: number): string {
  const u = upper(t);
  if (u === undefined) return t.text;
  if (QUOTE_IDENTS.has(u)) return `"${t.text.toLowerCase()}"`;
  if (RENAME[u] && (u !== 'NVL' || toks[i + 1]?.text === '(') && toks[i - 1]?.text !== '.') return RENAME[u]!;
  return t.text;
}

function matchParen(toks: Token[], open: number): number {
  let depth = 0;
  for (let j = open; j < toks.length; j++) {
    if (toks[j]!.text === '(' && toks[j]!.kind === 'op') depth++;
    else if (toks[j]!.text === ')' && toks[j]!.kind === 'op' && --depth === 0) return j;
  }
  throw new SuiteQLSyntaxError('Unbalanced parentheses.');
}

/**
 * A column (or any identifier) the account does not have: "Unknown identifier", named the way the
 * query wrote it (`tal.accountingbook`), like SQLite's "no such column" rephrased in state.ts.
 */
function refuseNames(toks: Token[], hidden: Set<string>): void {
  toks.forEach((t, i) => {
    if ((t.kind !== 'ident' && t.kind !== 'qident') || !hidden.has(t.text.replace(/"/g, '').toLowerCase())) return;
    const qualified = toks[i - 1]?.text === '.' && toks[i - 2] ? `${toks[i - 2]!.text}.${t.text}` : t.text;
    throw new SuiteQLUnknownNameError(
      `Unknown identifier '${qualified.replace(/"/g, '')}'. Field may not exist or may not be accessible.`,
    );
  });
}

/**
 * A column the account does not have (`table.column` in `hidden`): "Unknown identifier", like any
 * unknown field. A qualified name is checked against its alias's table; a bare name against every
 * table of the query (it would resolve to the one that has it). Names right after `AS` are output
 * aliases, and a name followed by `(` is a function: neither is a field.
 */
function refuseHiddenFields(toks: Token[], aliases: Record<string, string>, hidden: ReadonlySet<string>): void {
  const tables = new Set(Object.values(aliases));
  toks.forEach((t, i) => {
    if (t.kind !== 'ident' && t.kind !== 'qident') return;
    const column = t.text.replace(/"/g, '').toLowerCase();
    if (toks[i + 1]?.text === '.' || toks[i + 1]?.text === '(' || upper(toks[i - 1]) === 'AS') return;
    let table: string | undefined;
    let written = t.text;
    if (toks[i - 1]?.text === '.' && toks[i - 2]) {
      const alias = toks[i - 2]!.text.replace(/"/g, '').toLowerCase();
      table = aliases[alias] ?? alias;
      written = `${toks[i - 2]!.text}.${t.text}`;
      if (!hidden.has(`${table}.${column}`)) return;
    } else if (![...tables].some((tb) => hidden.has(`${tb}.${column}`))) return;
    throw new SuiteQLUnknownNameError(
      `Unknown identifier '${written.replace(/"/g, '')}'. Field may not exist or may not be accessible.`,
    );
  });
}

/** FROM/JOIN table references (validated against the NetSuite tables) and their aliases. */
function collectTables(toks: Token[], hidden?: Set<string>): Record<string, string> {
  const aliases: Record<string, string> = {};
  const inFrom: boolean[] = [];
  let depth = 0;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.kind === 'op' && t.text === '(') depth++;
    if (t.kind === 'op' && t.text === ')') inFrom[depth--] = false;
    const u = upper(t);
    const startsRef = u === 'FROM' || u === 'JOIN' || (t.kind === 'op' && t.text === ',' && inFrom[depth] === true);
    if (u === 'FROM') inFrom[depth] = true;
    else if (u && FROM_END.has(u)) inFrom[depth] = false;
    if (!startsRef) continue;
    const name = toks[i + 1];
    if (!name || (name.kind !== 'ident' && name.kind !== 'qident')) continue;
    const table = name.text.replace(/"/g, '').toLowerCase();
    if (!SUITEQL_TABLES.has(table) || hidden?.has(table))
      throw new SuiteQLUnknownNameError(`Record '${name.text.replace(/"/g, '')}' was not found.`);
    let k = i + 2;
    if (upper(toks[k]) === 'AS') k++;
    const alias = toks[k];
    const isAlias =
      alias !== undefined && alias.kind === 'ident' && !CLAUSE_END.has(upper(alias)!) && !FROM_END.has(upper(alias)!);
    aliases[isAlias ? alias.text.toLowerCase() : table] = table;
  }
  return aliases;
}

/** BUILTIN.DF(ref): the display name of the referenced record, as a correlated sub-select. */
function displayOf(inner: Token[], aliases: Record<string, string>, defaultTable: string | undefined): string {
  let innerSql = joinSql(inner.map((t, j) => render(t, inner, j)));
  let alias: string | undefined;
  let column: string | undefined;
  if (inner.length === 3 && inner[1]!.text === '.' && inner[0]!.kind === 'ident' && inner[2]!.kind === 'ident') {
    alias = inner[0]!.text.toLowerCase();
    column = inner[2]!.text.toLowerCase();
  } else if (inner.length === 1 && inner[0]!.kind === 'ident') {
    column = inner[0]!.text.toLowerCase();
  }
  const table = alias ? aliases[alias] : defaultTable;
  if (!column || !table) return `(${innerSql})`;
  if (!alias) {
    // Qualify a bare column with the outer table's alias so the sub-select cannot capture it.
    const outer = Object.keys(aliases).find((k) => aliases[k] === table)!;
    innerSql = `${QUOTE_IDENTS.has(outer.toUpperCase()) ? `"${outer}"` : outer}.${render(inner[0]!, inner, 0)}`;
  }
  const target = column === 'parent' ? table : (REFERENCES[`${table}.${column}`] ?? REFERENCES[`*.${column}`]);
  const display = target ? DISPLAY_COLUMN[target] : undefined;
  if (!target || !display) return `(${innerSql})`;
  const q = (name: string) => (QUOTE_IDENTS.has(name.toUpperCase()) ? `"${name}"` : name);
  return `(SELECT ns_df.${display} FROM ${q(target)} ns_df WHERE ns_df.id = ${innerSql})`;
}

/**
 * Oracle sorts NULLs last in ascending order (first in descending); SQLite does the opposite.
 * Each ORDER BY term without an explicit NULLS clause gets Oracle's default, so keyset and offset
 * paging see the same order as on NetSuite.
 */
function orderBy(
  toks: Token[],
  start: number,
  out: string[],
  aliases: Record<string, string>,
  defaultTable: string | undefined,
): number {
  out.push('ORDER BY');
  let depth = 0;
  let term: Token[] = [];
  const flush = () => {
    if (term.length === 0) return;
    const sub = translateFragment(term, aliases, defaultTable);
    const words = term.map(upper);
    const hasNulls = words.includes('NULLS');
    const desc = words[words.length - 1] === 'DESC';
    out.push(hasNulls ? sub : `${sub} ${desc ? 'NULLS FIRST' : 'NULLS LAST'}`);
    term = [];
  };
  let i = start;
  for (; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.kind === 'op' && t.text === '(') depth++;
    if (t.kind === 'op' && t.text === ')') {
      if (depth === 0) break;
      depth--;
    }
    const u = upper(t);
    if (
      depth === 0 &&
      (u === 'FETCH' || u === 'OFFSET' || u === 'LIMIT' || u === 'UNION' || u === 'ROWS' || u === 'RANGE')
    )
      break;
    if (depth === 0 && t.text === ',' && t.kind === 'op') {
      flush();
      out.push(',');
      continue;
    }
    term.push(t);
  }
  flush();
  return i - 1;
}

function translateFragment(toks: Token[], aliases: Record<string, string>, defaultTable: string | undefined): string {
  const parts: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    if (
      upper(toks[i]) === 'BUILTIN' &&
      toks[i + 1]?.text === '.' &&
      upper(toks[i + 2]) === 'DF' &&
      toks[i + 3]?.text === '('
    ) {
      const close = matchParen(toks, i + 3);
      parts.push(displayOf(toks.slice(i + 4, close), aliases, defaultTable));
      i = close;
    } else parts.push(render(toks[i]!, toks, i));
  }
  return joinSql(parts);
}

/** Joins rendered tokens with spaces, except around `.`, `(`, `)` and `,`, so expression column
 * names read like the query (`count(*)`, not `count ( * )`). */
function joinSql(parts: string[]): string {
  let out = '';
  for (const p of parts) {
    const prev = out[out.length - 1];
    const glue =
      out === '' ||
      p === '.' ||
      p === ',' ||
      p === ')' ||
      prev === '.' ||
      prev === '(' ||
      (p === '(' && /[A-Za-z0-9_"]$/.test(out))
        ? ''
        : ' ';
    out += glue + p;
  }
  return out;
}
