/**
 * Go time layouts ("2006-01-02 15:04:05", time.Format) for the `date` function. Times are
 * formatted in UTC: the gateway has no meaningful local zone, and UTC keeps output reproducible
 * (sprig's `date` uses the local zone).
 */
import { FuncError } from './errors.ts';
import { show } from './value.ts';

const LONG_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

type Chunk =
  | 'January'
  | 'Jan'
  | 'Monday'
  | 'Mon'
  | 'MST'
  | '01'
  | '02'
  | '03'
  | '04'
  | '05'
  | '06'
  | '002'
  | '1'
  | '15'
  | '2006'
  | '2'
  | '_2'
  | '__2'
  | '3'
  | '4'
  | '5'
  | 'PM'
  | 'pm'
  | 'zone' // any -07:00 / Z07:00 form, carried in `zone`
  | 'frac';

interface Std {
  chunk: Chunk;
  len: number;
  /** For `frac`: digit count and whether trailing zeros are dropped (`.999`). */
  digits?: number;
  trim?: boolean;
  sep?: string;
}

const ZONES = ['Z070000', 'Z07:00:00', 'Z0700', 'Z07:00', 'Z07', '-070000', '-07:00:00', '-0700', '-07:00', '-07'];

function startsWithLower(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 97 && c <= 122;
}

/** time/format.go nextStdChunk, reduced to what formatting needs: the std element at `i`, if any. */
function stdAt(l: string, i: number): Std | null {
  const at = (s: string): boolean => l.startsWith(s, i);
  switch (l[i]) {
    case 'J':
      if (at('January')) return { chunk: 'January', len: 7 };
      if (at('Jan') && !startsWithLower(l, i + 3)) return { chunk: 'Jan', len: 3 };
      return null;
    case 'M':
      if (at('Monday')) return { chunk: 'Monday', len: 6 };
      if (at('Mon') && !startsWithLower(l, i + 3)) return { chunk: 'Mon', len: 3 };
      if (at('MST')) return { chunk: 'MST', len: 3 };
      return null;
    case '0': {
      const d = l[i + 1];
      if (d !== undefined && d >= '1' && d <= '6') return { chunk: `0${d}` as Chunk, len: 2 };
      if (at('002')) return { chunk: '002', len: 3 };
      return null;
    }
    case '1':
      return at('15') ? { chunk: '15', len: 2 } : { chunk: '1', len: 1 };
    case '2':
      return at('2006') ? { chunk: '2006', len: 4 } : { chunk: '2', len: 1 };
    case '_':
      if (at('_2')) return at('_2006') ? null : { chunk: '_2', len: 2 }; // `_2006` is a literal `_` then the year
      if (at('__2')) return { chunk: '__2', len: 3 };
      return null;
    case '3':
    case '4':
    case '5':
      return { chunk: l[i] as Chunk, len: 1 };
    case 'P':
      return at('PM') ? { chunk: 'PM', len: 2 } : null;
    case 'p':
      return at('pm') ? { chunk: 'pm', len: 2 } : null;
    case '-':
    case 'Z':
      for (const z of ZONES) if (at(z)) return { chunk: 'zone', len: z.length, sep: z };
      return null;
    case '.':
    case ',': {
      const ch = l[i + 1];
      if (ch !== '0' && ch !== '9') return null;
      let j = i + 1;
      while (l[j] === ch) j++;
      const next = l.charCodeAt(j);
      if (next >= 48 && next <= 57) return null; // fraction digits must end the run
      return { chunk: 'frac', len: j - i, digits: j - i - 1, trim: ch === '9', sep: l[i]! };
    }
    default:
      return null;
  }
}

const p2 = (n: number): string => (n < 10 ? '0' + n : String(n));

/** Formats `d` (UTC) with a Go layout. */
export function formatGoDate(layout: string, d: Date): string {
  if (Number.isNaN(d.getTime())) throw new FuncError('invalid time');
  let out = '';
  let i = 0;
  while (i < layout.length) {
    const std = stdAt(layout, i);
    if (!std) {
      out += layout[i];
      i++;
      continue;
    }
    i += std.len;
    const hour = d.getUTCHours();
    switch (std.chunk) {
      case 'January':
        out += LONG_MONTHS[d.getUTCMonth()];
        break;
      case 'Jan':
        out += LONG_MONTHS[d.getUTCMonth()]!.slice(0, 3);
        break;
      case 'Monday':
        out += LONG_DAYS[d.getUTCDay()];
        break;
      case 'Mon':
        out += LONG_DAYS[d.getUTCDay()]!.slice(0, 3);
        break;
      case 'MST':
        out += 'UTC';
        break;
      case '01':
        out += p2(d.getUTCMonth() + 1);
        break;
      case '1':
        out += d.getUTCMonth() + 1;
        break;
      case '02':
        out += p2(d.getUTCDate());
        break;
      case '2':
        out += d.getUTCDate();
        break;
      case '_2':
        out += String(d.getUTCDate()).padStart(2, ' ');
        break;
      case '002':
        out += String(yearDay(d)).padStart(3, '0');
        break;
      case '__2':
        out += String(yearDay(d)).padStart(3, ' ');
        break;
      case '2006':
        out += String(d.getUTCFullYear()).padStart(4, '0');
        break;
      case '06':
        out += p2(d.getUTCFullYear() % 100);
        break;
      case '15':
        out += p2(hour);
        break;
      case '03':
        out += p2(hour % 12 === 0 ? 12 : hour % 12);
        break;
      case '3':
        out += hour % 12 === 0 ? 12 : hour % 12;
        break;
      case '04':
        out += p2(d.getUTCMinutes());
        break;
      case '4':
        out += d.getUTCMinutes();
        break;
      case '05':
        out += p2(d.getUTCSeconds());
        break;
      case '5':
        out += d.getUTCSeconds();
        break;
      case 'PM':
        out += hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += hour >= 12 ? 'pm' : 'am';
        break;
      case 'zone':
        // UTC: the Z forms print "Z", the numeric forms a zero offset of the same shape.
        out += std.sep!.startsWith('Z') ? 'Z' : '+' + std.sep!.slice(1).replace(/\d/g, '0');
        break;
      case 'frac': {
        // Dates carry milliseconds; further digits are zeros.
        let digits = String(d.getUTCMilliseconds()).padStart(3, '0').padEnd(std.digits!, '0').slice(0, std.digits);
        if (std.trim) {
          digits = digits.replace(/0+$/, '');
          if (digits !== '') out += std.sep + digits;
        } else out += std.sep + digits;
        break;
      }
    }
  }
  return out;
}

function yearDay(d: Date): number {
  return Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

/** A `date`/`unixEpoch` argument: a Date, an ISO-8601 string or unix seconds. */
export function toDate(v: unknown): Date {
  if (v instanceof Date) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v * 1000);
  if (typeof v === 'string') {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw new FuncError(`cannot use ${show(v)} as a time`);
}
