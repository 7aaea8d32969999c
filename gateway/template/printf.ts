/**
 * The subset of Go's fmt used by templates: Sprintf (printf), Sprint (print), Sprintln (println)
 * and strconv.Quote (%q, quote).
 *
 * Values are JS values, so Go's int/float64 distinction is made by Number.isInteger. Lenient
 * where Go prints `%!verb(type=value)` for common template mistakes: %s and %v print any value
 * as an action would (nil as "", objects as JSON), %d truncates non-integral numbers.
 */
import { formatNumber, goExponent, toText } from './value.ts';

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number; // -1: none
  prec: number; // -1: none
}

/** Go's fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argNum = 0;
  let reordered = false;
  const n = format.length;
  let i = 0;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, width: -1, prec: -1 };
    flags: for (; i < n; i++) {
      switch (format[i]) {
        case '-':
          spec.minus = true;
          spec.zero = false; // Go: '-' overrides '0'
          break;
        case '+':
          spec.plus = true;
          break;
        case '#':
          spec.sharp = true;
          break;
        case ' ':
          spec.space = true;
          break;
        case '0':
          spec.zero = !spec.minus;
          break;
        default:
          break flags;
      }
    }
    // [n] explicit argument index
    const argIndex = (): void => {
      if (format[i] !== '[') return;
      const close = format.indexOf(']', i);
      const idx = close < 0 ? NaN : Number(format.slice(i + 1, close));
      reordered = true;
      if (Number.isInteger(idx) && idx >= 1 && idx <= args.length) {
        argNum = idx - 1;
        i = close + 1;
      } else {
        argNum = args.length + 1; // makes the verb report BADINDEX
        i = close < 0 ? n : close + 1;
      }
    };
    argIndex();
    let bad = '';
    if (format[i] === '*') {
      i++;
      const w = args[argNum++];
      if (typeof w === 'number' && Number.isInteger(w) && Math.abs(w) < 1e6) {
        spec.width = Math.abs(w);
        if (w < 0) {
          spec.minus = true;
          spec.zero = false;
        }
      } else bad += '%!(BADWIDTH)';
      argIndex();
    } else {
      const m = /^\d+/.exec(format.slice(i, i + 7));
      if (m) {
        spec.width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === '.') {
      i++;
      argIndex();
      if (format[i] === '*') {
        i++;
        const p = args[argNum++];
        if (typeof p === 'number' && Number.isInteger(p) && p >= 0 && p < 1e6) spec.prec = p;
        else bad += '%!(BADPREC)';
      } else {
        const m = /^\d+/.exec(format.slice(i, i + 7));
        spec.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
      argIndex();
    }
    out += bad;
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argNum > args.length) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argNum++], verb, spec);
  }
  if (!reordered && argNum < args.length) {
    out += '%!(EXTRA ' + args.slice(argNum).map((a) => `${goType(a)}=${toText(a)}`).join(', ') + ')';
  }
  return out;
}

/** Go's fmt.Sprint: a space between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += toText(a);
  }
  return out;
}

/** Go's fmt.Sprintln: spaces between all operands and a trailing newline. */
export function sprintln(args: readonly unknown[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) out += (i > 0 ? ' ' : '') + toText(args[i]);
  return out + '\n';
}

function formatArg(v: unknown, verb: string, spec: Spec): string {
  switch (verb) {
    case 'v':
      if (typeof v === 'number') return pad(signed(formatNumber(v), spec), spec, true);
      return pad(toText(v), spec, false);
    case 's':
      return pad(truncRunes(toText(v), spec.prec), spec, false);
    case 'q':
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x10ffff) {
        return pad(quoteRune(v), spec, false);
      }
      return pad(goQuote(truncRunes(toText(v), spec.prec)), spec, false);
    case 't':
      if (typeof v !== 'boolean') return badVerb(verb, v);
      return pad(v ? 'true' : 'false', spec, false);
    case 'T':
      return pad(goType(v), spec, false);
    case 'd':
    case 'b':
    case 'o':
    case 'O':
    case 'c':
    case 'U':
      if (typeof v !== 'number' || !Number.isFinite(v)) return badVerb(verb, v);
      return fmtInteger(Math.trunc(v), verb, spec);
    case 'x':
    case 'X':
      if (typeof v === 'string') return pad(hexString(v, verb === 'X', spec), spec, false);
      if (typeof v !== 'number' || !Number.isFinite(v)) return badVerb(verb, v);
      return fmtInteger(Math.trunc(v), verb, spec);
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
      if (typeof v !== 'number') return badVerb(verb, v);
      return fmtFloat(v, verb, spec);
    default:
      return badVerb(verb, v);
  }
}

function badVerb(verb: string, v: unknown): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goType(v)}=${toText(v)})`;
}

/** Go type names as %T shows them for decoded JSON values. */
export function goType(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof Date) return 'time.Time';
  if (typeof v === 'object') return 'map[string]interface {}';
  return typeof v;
}

function signed(num: string, spec: Spec): string {
  if (num[0] === '-') return num;
  if (spec.plus) return '+' + num;
  if (spec.space) return ' ' + num;
  return num;
}

/** Width padding; zero padding goes after the sign for numbers, as Go does. */
function pad(s: string, spec: Spec, numeric: boolean): string {
  if (spec.width < 0) return s;
  const len = runeCount(s);
  if (len >= spec.width) return s;
  const fill = spec.width - len;
  if (spec.minus) return s + ' '.repeat(fill);
  if (!spec.zero) return ' '.repeat(fill) + s;
  if (numeric && (s[0] === '-' || s[0] === '+' || s[0] === ' ')) return s[0] + '0'.repeat(fill) + s.slice(1);
  return '0'.repeat(fill) + s;
}

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff || i === 0 || s.charCodeAt(i - 1) < 0xd800 || s.charCodeAt(i - 1) > 0xdbff) n++;
  }
  return n;
}

function truncRunes(s: string, prec: number): string {
  if (prec < 0) return s;
  return Array.from(s).slice(0, prec).join('');
}

function fmtInteger(n: number, verb: string, spec: Spec): string {
  const neg = n < 0;
  // BigInt keeps all digits of integral values beyond 2^53.
  const abs = Math.abs(n);
  const big = abs >= 2 ** 53 ? BigInt(abs) : null;
  const radix = (r: number): string => (big === null ? abs.toString(r) : big.toString(r));
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'c':
      return pad(abs <= 0x10ffff && !neg ? String.fromCodePoint(abs) : '\ufffd', spec, false);
    case 'U': {
      const hex = radix(16).toUpperCase().padStart(4, '0');
      const s = `U+${hex}` + (spec.sharp && abs <= 0x10ffff ? ` '${String.fromCodePoint(abs)}'` : '');
      return pad(s, spec, false);
    }
    case 'b':
      digits = radix(2);
      if (spec.sharp) prefix = '0b';
      break;
    case 'o':
      digits = radix(8);
      if (spec.sharp) prefix = '0';
      break;
    case 'O':
      digits = radix(8);
      prefix = '0o';
      break;
    case 'x':
      digits = radix(16);
      if (spec.sharp) prefix = '0x';
      break;
    case 'X':
      digits = radix(16).toUpperCase();
      if (spec.sharp) prefix = '0X';
      break;
    default:
      digits = radix(10);
  }
  if (spec.prec >= 0) {
    if (spec.prec === 0 && abs === 0) digits = '';
    else digits = digits.padStart(spec.prec, '0');
  }
  let s = prefix + digits;
  s = neg ? '-' + s : spec.plus ? '+' + s : spec.space ? ' ' + s : s;
  // Go ignores the 0 flag when a precision is given for integers.
  return pad(s, spec.prec >= 0 ? { ...spec, zero: false } : spec, true);
}

function fmtFloat(v: number, verb: string, spec: Spec): string {
  if (!Number.isFinite(v)) {
    // Go: +Inf always carries its sign, NaN only with the + or space flag.
    const s = Number.isNaN(v) ? (spec.plus ? '+NaN' : spec.space ? ' NaN' : 'NaN') : v > 0 ? (spec.space && !spec.plus ? ' Inf' : '+Inf') : '-Inf';
    return pad(s, { ...spec, zero: false }, false);
  }
  const neg = v < 0 || Object.is(v, -0);
  const abs = Math.abs(v);
  const prec = Math.min(spec.prec, 100);
  let s: string;
  switch (verb) {
    case 'e':
    case 'E':
      s = goExponent(abs.toExponential(prec < 0 ? 6 : prec));
      if (verb === 'E') s = s.toUpperCase();
      break;
    case 'f':
    case 'F':
      s = fixed(abs, prec < 0 ? 6 : prec);
      break;
    default:
      s = fmtG(abs, prec < 0 ? -1 : prec);
      if (verb === 'G') s = s.toUpperCase();
  }
  s = neg ? '-' + s : spec.plus ? '+' + s : spec.space ? ' ' + s : s;
  return pad(s, spec, true);
}

/** toFixed, which switches to exponent form at 1e21; Go's %f never does. */
function fixed(abs: number, prec: number): string {
  if (abs < 1e21) return abs.toFixed(prec);
  return BigInt(abs).toString() + (prec > 0 ? '.' + '0'.repeat(prec) : '');
}

/** strconv.FormatFloat(abs, 'g', prec, 64); prec -1 is the shortest representation. */
function fmtG(abs: number, prec: number): string {
  if (prec === 0) prec = 1;
  const e = prec < 0 ? abs.toExponential() : abs.toExponential(Math.min(prec - 1, 100));
  const [mant, expStr] = e.split('e') as [string, string];
  const digits = mant.replace('.', '').replace(/0+$/, '') || '0';
  const exp = Number(expStr);
  const nd = digits.length;
  const dp = exp + 1;
  let eprec = prec < 0 ? 6 : prec;
  if (prec >= 0 && eprec > nd && nd >= dp) eprec = nd;
  if (exp < -4 || exp >= eprec) {
    return goExponent(`${digits[0]}${nd > 1 ? '.' + digits.slice(1) : ''}e${exp < 0 ? '-' : '+'}${Math.abs(exp)}`);
  }
  if (dp <= 0) return '0.' + '0'.repeat(-dp) + digits;
  if (dp >= nd) return digits + '0'.repeat(dp - nd);
  return digits.slice(0, dp) + '.' + digits.slice(dp);
}

function hexString(s: string, upper: boolean, spec: Spec): string {
  const bytes = new TextEncoder().encode(spec.prec >= 0 ? s.slice(0, spec.prec) : s);
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0 && spec.space) out += ' ';
    if (spec.sharp && (i === 0 || spec.space)) out += upper ? '0X' : '0x';
    out += bytes[i]!.toString(16).padStart(2, '0');
  }
  return upper ? out.toUpperCase() : out;
}

const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

function escapeRune(cp: number, quote: number): string {
  if (cp === quote || cp === 92) return '\\' + String.fromCharCode(cp);
  const ch = String.fromCodePoint(cp);
  if (cp >= 0xd800 && cp <= 0xdfff) return '\\ufffd'; // lone surrogate: not valid text
  if (PRINTABLE.test(ch)) return ch;
  switch (cp) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return '\\x' + cp.toString(16).padStart(2, '0');
  if (cp < 0x10000) return '\\u' + cp.toString(16).padStart(4, '0');
  return '\\U' + cp.toString(16).padStart(8, '0');
}

/** Go's strconv.Quote. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch.codePointAt(0)!, 34);
  return out + '"';
}

/** Go's strconv.QuoteRune (%q of an integer). */
function quoteRune(cp: number): string {
  return "'" + escapeRune(cp, 39) + "'";
}
