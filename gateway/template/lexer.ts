/**
 * Lexer for Go text/template syntax (text/template/parse/lex.go), delimiters fixed to `{{ }}`.
 *
 * It runs once per compile, so it favours clarity: it scans the whole source into an array of
 * tokens. A lexical error becomes an `error` token and ends the stream, so the parser reports
 * errors in source order (a syntax error before a bad character is reported first, as Go does).
 */

export type TokenKind =
  | 'text'
  | 'open' // `{{` (or `{{- `): start of an action
  | 'close' // `}}` (or ` -}}`)
  | 'field' // `.name`
  | 'dot' // `.`
  | 'var' // `$` or `$name`
  | 'ident' // function name
  | 'string'
  | 'number'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'lparen'
  | 'rparen'
  | 'declare' // :=
  | 'assign' // =
  | 'comma'
  | 'if'
  | 'else'
  | 'end'
  | 'range'
  | 'with'
  | 'define'
  | 'template'
  | 'block'
  | 'break'
  | 'continue'
  | 'bad' // a character that cannot start a token; the parser reports it in context
  | 'error'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** Offset of the token's first character in the source. */
  pos: number;
  /** Source text of the token (for messages); for `text` the text after trimming. */
  text: string;
  /** Decoded value: string contents, number, boolean; the message for `error`. */
  value?: string | number | boolean;
  /** Whitespace precedes the token inside an action; separates operands from field chains. */
  sp: boolean;
}

// A Map, not an object literal: `toString` must not find Object.prototype.toString.
const KEYWORDS = new Map<string, TokenKind>(Object.entries({
  if: 'if',
  else: 'else',
  end: 'end',
  range: 'range',
  with: 'with',
  define: 'define',
  template: 'template',
  block: 'block',
  break: 'break',
  continue: 'continue',
  nil: 'nil',
  true: 'bool',
  false: 'bool',
} satisfies Record<string, TokenKind>));

/** Go's isSpace in lex.go: the characters trim markers remove and that separate operands. */
export function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

const ALNUM = /[\p{L}\p{Nd}_]*/uy;

/** Tokenizes `src`; the last token is always `eof` or `error`. */
export function lex(src: string): Token[] {
  const toks: Token[] = [];
  const n = src.length;
  let i = 0;
  let trimNext = false; // previous action ended with ` -}}`

  const error = (pos: number, message: string): Token[] => {
    toks.push({ kind: 'error', pos, text: '', value: message, sp: false });
    return toks;
  };

  while (i < n) {
    // --- text up to the next `{{` ---
    let open = src.indexOf('{{', i);
    if (open < 0) open = n;
    let text = src.slice(i, open);
    const trimLeft = open < n && src.charCodeAt(open + 2) === 45 /* - */ && isSpace(src.charCodeAt(open + 3));
    if (trimNext) text = trimStart(text);
    if (trimLeft) text = trimEnd(text);
    trimNext = false;
    if (text.length > 0) toks.push({ kind: 'text', pos: i, text, sp: false });
    if (open >= n) break;

    // --- an action or comment ---
    const openTok: Token = { kind: 'open', pos: open, text: '{{', sp: false };
    i = open + (trimLeft ? 4 : 2);
    if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) return error(open, 'unclosed comment');
      i = end + 2;
      const r = atRightDelim(src, i);
      if (r === 0) return error(open, 'comment ends before closing delimiter');
      trimNext = r === 2;
      i += r === 2 ? 4 : 2;
      continue; // comments produce no tokens
    }
    toks.push(openTok);
    let depth = 0;
    for (;;) {
      const start = i;
      while (i < n && isSpace(src.charCodeAt(i))) i++;
      const sp = i > start;
      if (i >= n) return error(open, 'unclosed action');
      // ` -}}`: the space may already have been consumed as the separator above.
      if (src.startsWith('-}}', i) && i > 0 && isSpace(src.charCodeAt(i - 1)) && i - 1 >= open + (trimLeft ? 4 : 2)) {
        if (depth > 0) return error(i, 'unclosed left paren');
        toks.push({ kind: 'close', pos: i, text: '-}}', sp });
        i += 3;
        trimNext = true;
        break;
      }
      if (src.startsWith('}}', i)) {
        if (depth > 0) return error(i, 'unclosed left paren');
        toks.push({ kind: 'close', pos: i, text: '}}', sp });
        i += 2;
        break;
      }
      const c = src.charCodeAt(i);
      const pos = i;
      const push = (kind: TokenKind, end: number, value?: string | number | boolean): void => {
        const t: Token = { kind, pos, text: src.slice(pos, end), sp };
        if (value !== undefined) t.value = value;
        toks.push(t);
        i = end;
      };
      switch (c) {
        case 124 /* | */:
          push('pipe', i + 1);
          continue;
        case 40 /* ( */:
          depth++;
          push('lparen', i + 1);
          continue;
        case 41 /* ) */:
          if (--depth < 0) return error(i, 'unexpected right paren');
          push('rparen', i + 1);
          continue;
        case 58 /* : */:
          if (src.charCodeAt(i + 1) !== 61) return error(i, 'expected :=');
          push('declare', i + 2);
          continue;
        case 61 /* = */:
          push('assign', i + 1);
          continue;
        case 44 /* , */:
          push('comma', i + 1);
          continue;
        case 34 /* " */: {
          let j = i + 1;
          for (; j < n; j++) {
            const d = src.charCodeAt(j);
            if (d === 92 /* \ */) {
              j++;
              if (j < n && src.charCodeAt(j) === 10) return error(pos, 'unterminated quoted string');
              continue;
            }
            if (d === 10) return error(pos, 'unterminated quoted string');
            if (d === 34) break;
          }
          if (j >= n) return error(pos, 'unterminated quoted string');
          const raw = src.slice(i, j + 1);
          const v = unquote(raw.slice(1, -1), '"');
          if (v === null) return error(pos, `bad string syntax: ${raw}`);
          push('string', j + 1, v);
          continue;
        }
        case 96 /* ` */: {
          const j = src.indexOf('`', i + 1);
          if (j < 0) return error(pos, 'unterminated raw quoted string');
          // Go's strconv.Unquote drops carriage returns from raw strings.
          push('string', j + 1, src.slice(i + 1, j).replaceAll('\r', ''));
          continue;
        }
        case 39 /* ' */: {
          let j = i + 1;
          for (; j < n; j++) {
            const d = src.charCodeAt(j);
            if (d === 92) {
              j++;
              continue;
            }
            if (d === 10) return error(pos, 'unterminated character constant');
            if (d === 39) break;
          }
          if (j >= n) return error(pos, 'unterminated character constant');
          const raw = src.slice(i, j + 1);
          const v = unquote(raw.slice(1, -1), "'");
          const cp = v === null ? undefined : v.codePointAt(0);
          if (v === null || cp === undefined || String.fromCodePoint(cp) !== v) {
            return error(pos, `malformed character constant: ${raw}`);
          }
          push('number', j + 1, cp);
          continue;
        }
        case 36 /* $ */: {
          ALNUM.lastIndex = i + 1;
          ALNUM.exec(src);
          push('var', ALNUM.lastIndex);
          if (!atTerminator(src, i)) return badChar(src, i, error);
          continue;
        }
        case 46 /* . */: {
          const d = src.charCodeAt(i + 1);
          if (d >= 48 && d <= 57) break; // `.5` is a number
          ALNUM.lastIndex = i + 1;
          ALNUM.exec(src);
          const end = ALNUM.lastIndex;
          if (end === i + 1) push('dot', end);
          else push('field', end, src.slice(i + 1, end));
          if (!atTerminator(src, i)) return badChar(src, i, error);
          continue;
        }
      }
      if (c === 43 || c === 45 || c === 46 || (c >= 48 && c <= 57)) {
        const end = scanNumber(src, i);
        const text = src.slice(i, end);
        if (end < n && /[\p{L}\p{Nd}_]/u.test(String.fromCodePoint(src.codePointAt(end)!))) {
          ALNUM.lastIndex = end;
          ALNUM.exec(src);
          return error(pos, `bad number syntax: ${JSON.stringify(src.slice(i, ALNUM.lastIndex))}`);
        }
        const v = parseNumber(text);
        if (typeof v === 'string') return error(pos, v);
        push('number', end, v);
        continue;
      }
      ALNUM.lastIndex = i;
      ALNUM.exec(src);
      if (ALNUM.lastIndex > i) {
        const word = src.slice(i, ALNUM.lastIndex);
        const kw = KEYWORDS.get(word);
        if (kw === 'bool') push('bool', ALNUM.lastIndex, word === 'true');
        else push(kw ?? 'ident', ALNUM.lastIndex, word);
        if (!atTerminator(src, i)) return badChar(src, i, error);
        continue;
      }
      // Unrecognized: let the parser say what it expected there.
      const cp = src.codePointAt(i)!;
      push('bad', i + (cp > 0xffff ? 2 : 1));
    }
  }
  toks.push({ kind: 'eof', pos: n, text: '', sp: false });
  return toks;
}

/** 0: not at `}}`; 1: at `}}`; 2: at ` -}}`. */
function atRightDelim(src: string, i: number): 0 | 1 | 2 {
  if (isSpace(src.charCodeAt(i)) && src.startsWith('-}}', i + 1)) return 2;
  return src.startsWith('}}', i) ? 1 : 0;
}

/** Go requires a word or number to be followed by a separator (lex.go atTerminator); `i` is its end. */
function atTerminator(src: string, i: number): boolean {
  if (i >= src.length) return true;
  const c = src.charCodeAt(i);
  if (isSpace(c)) return true;
  switch (c) {
    case 46 /* . */:
    case 44 /* , */:
    case 124 /* | */:
    case 58 /* : */:
    case 41 /* ) */:
    case 40 /* ( */:
    case 61 /* = */: // lenient: Go wants `$x = 1` spaced
      return true;
  }
  return src.startsWith('}}', i);
}

function badChar(src: string, i: number, error: (pos: number, m: string) => Token[]): Token[] {
  return error(i, `bad character ${unicodeName(src.codePointAt(i)!)}`);
}

/** `U+0040 '@'`, as Go's %#U. */
export function unicodeName(cp: number): string {
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return /\p{L}|\p{N}|\p{P}|\p{S}/u.test(String.fromCodePoint(cp)) ? `U+${hex} '${String.fromCodePoint(cp)}'` : `U+${hex}`;
}

function trimStart(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i === 0 ? s : s.slice(i);
}

function trimEnd(s: string): string {
  let j = s.length;
  while (j > 0 && isSpace(s.charCodeAt(j - 1))) j--;
  return j === s.length ? s : s.slice(0, j);
}

/** Go's lex.go scanNumber: returns the end offset of the longest number-like prefix. */
function scanNumber(src: string, i: number): number {
  const acceptRun = (set: string): void => {
    while (i < src.length && set.includes(src[i]!)) i++;
  };
  const accept = (set: string): boolean => {
    if (i < src.length && set.includes(src[i]!)) {
      i++;
      return true;
    }
    return false;
  };
  accept('+-');
  let digits = '0123456789_';
  if (accept('0')) {
    if (accept('xX')) digits = '0123456789abcdefABCDEF_';
    else if (accept('oO')) digits = '01234567_';
    else if (accept('bB')) digits = '01_';
  }
  acceptRun(digits);
  if (accept('.')) acceptRun(digits);
  if (digits.length === 11 && accept('eE')) {
    accept('+-');
    acceptRun('0123456789_');
  }
  if (digits.length === 23 && accept('pP')) {
    accept('+-');
    acceptRun('0123456789_');
  }
  accept('i');
  return i;
}

/** Converts a Go number literal; returns an error message when it is not one. */
function parseNumber(text: string): number | string {
  const bad = `bad number syntax: ${JSON.stringify(text)}`;
  if (text.endsWith('i')) return `complex numbers are not supported: ${JSON.stringify(text)}`;
  let t = text;
  let sign = 1;
  if (t[0] === '+' || t[0] === '-') {
    if (t[0] === '-') sign = -1;
    t = t.slice(1);
  }
  // Go allows `_` only between digits (or after a base prefix).
  if (/^_|_$|__|_\.|\._/.test(t)) return bad;
  t = t.replaceAll('_', '');
  if (t === '' || t === '.') return bad;
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) v = parseInt(t.slice(2), 16);
  else if (/^0[oO][0-7]+$/.test(t)) v = parseInt(t.slice(2), 8);
  else if (/^0[bB][01]+$/.test(t)) v = parseInt(t.slice(2), 2);
  else if (/^0[0-7]+$/.test(t)) v = parseInt(t.slice(1), 8); // legacy octal, as Go
  else if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) v = Number(t);
  else return bad;
  if (!Number.isFinite(v)) return `number out of range: ${JSON.stringify(text)}`;
  return sign * v;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

const utf8Decoder = new TextDecoder('utf-8');

/**
 * Go's strconv.Unquote for the body of a "..." or '...' literal; null if malformed.
 * `\x` and octal escapes produce bytes, decoded as UTF-8 like Go strings.
 */
export function unquote(body: string, quote: '"' | "'"): string | null {
  if (!body.includes('\\')) return body;
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) {
      out += utf8Decoder.decode(new Uint8Array(bytes));
      bytes = [];
    }
  };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      flush();
      out += ch;
      continue;
    }
    const e = body[++i];
    if (e === undefined) return null;
    if (e in SIMPLE_ESCAPES) {
      flush();
      out += SIMPLE_ESCAPES[e];
    } else if (e === quote) {
      flush();
      out += e;
    } else if (e === 'x') {
      const h = body.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return null;
      bytes.push(parseInt(h, 16));
      i += 2;
    } else if (e >= '0' && e <= '7') {
      const o = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(o)) return null;
      const b = parseInt(o, 8);
      if (b > 255) return null;
      bytes.push(b);
      i += 2;
    } else if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      const h = body.slice(i + 1, i + 1 + len);
      if (h.length !== len || !/^[0-9a-fA-F]+$/.test(h)) return null;
      const cp = parseInt(h, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
      flush();
      out += String.fromCodePoint(cp);
      i += len;
    } else {
      return null;
    }
  }
  flush();
  return out;
}
