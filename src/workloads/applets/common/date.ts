// Dates as busybox reads and prints them. A container has no /etc/localtime
// and no TZ unless its image says so: local time is UTC here.

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export class DateError extends Error {}

const p2 = (n: number) => String(n).padStart(2, '0');

// strftime(3) in the C locale, UTC.
export function strftime(fmt: string, ms: number): string {
  const d = new Date(ms);
  const Y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  const H = d.getUTCHours();
  const M = d.getUTCMinutes();
  const S = d.getUTCSeconds();
  const w = d.getUTCDay();
  const yday = Math.floor((Date.UTC(Y, m, day) - Date.UTC(Y, 0, 1)) / 86400000);
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== '%' || i + 1 >= fmt.length) {
      out += c;
      continue;
    }
    let f = fmt[++i];
    // Flags and width (%-d, %_H, %10Y, %^a, %#b) as glibc takes them; %N is
    // no conversion of glibc's (busybox's default build leaves it as is).
    let flag = '';
    while (f === '-' || f === '_' || f === '0' || f === '^' || f === '#') {
      flag = f;
      f = fmt[++i];
    }
    let width = '';
    while (f >= '0' && f <= '9') {
      width += f;
      f = fmt[++i];
    }
    if (f === 'E' || f === 'O') f = fmt[++i];
    const num = (n: number, w: number, padc = '0') => {
      if (flag === '-') return String(n);
      const pc = flag === '_' ? ' ' : flag === '0' ? '0' : padc;
      return String(n).padStart(width ? Number(width) : w, pc);
    };
    let s: string;
    switch (f) {
      case 'a':
        s = DAYS[w].slice(0, 3);
        break;
      case 'A':
        s = DAYS[w];
        break;
      case 'b':
      case 'h':
        s = MONTHS[m].slice(0, 3);
        break;
      case 'B':
        s = MONTHS[m];
        break;
      case 'c':
        s = strftime('%a %b %e %H:%M:%S %Y', ms);
        break;
      case 'C':
        s = num(Math.floor(Y / 100), 2);
        break;
      case 'd':
        s = num(day, 2);
        break;
      case 'D':
        s = strftime('%m/%d/%y', ms);
        break;
      case 'e':
        s = num(day, 2, ' ');
        break;
      case 'F':
        s = strftime('%Y-%m-%d', ms);
        break;
      case 'g':
        s = num(isoYear(d) % 100, 2);
        break;
      case 'G':
        s = String(isoYear(d));
        break;
      case 'H':
        s = num(H, 2);
        break;
      case 'I':
        s = num(H % 12 || 12, 2);
        break;
      case 'j':
        s = num(yday + 1, 3);
        break;
      case 'k':
        s = num(H, 2, ' ');
        break;
      case 'l':
        s = num(H % 12 || 12, 2, ' ');
        break;
      case 'm':
        s = num(m + 1, 2);
        break;
      case 'M':
        s = num(M, 2);
        break;
      case 'n':
        s = '\n';
        break;
      case 'p':
        s = H < 12 ? 'AM' : 'PM';
        break;
      case 'P':
        s = H < 12 ? 'am' : 'pm';
        break;
      case 'r':
        s = strftime('%I:%M:%S %p', ms);
        break;
      case 'R':
        s = strftime('%H:%M', ms);
        break;
      case 's':
        s = String(Math.floor(ms / 1000));
        break;
      case 'S':
        s = num(S, 2);
        break;
      case 't':
        s = '\t';
        break;
      case 'T':
        s = strftime('%H:%M:%S', ms);
        break;
      case 'u':
        s = String(w || 7);
        break;
      case 'U':
        s = num(Math.floor((yday + 7 - w) / 7), 2);
        break;
      case 'V':
        s = num(isoWeek(d), 2);
        break;
      case 'w':
        s = String(w);
        break;
      case 'W':
        s = num(Math.floor((yday + 7 - ((w + 6) % 7)) / 7), 2);
        break;
      case 'x':
        s = strftime('%m/%d/%y', ms);
        break;
      case 'X':
        s = strftime('%H:%M:%S', ms);
        break;
      case 'y':
        s = num(Y % 100, 2);
        break;
      case 'Y':
        s = num(Y, 1);
        break;
      case 'z':
        s = '+0000';
        break;
      case 'Z':
        s = 'UTC';
        break;
      case '%':
        s = '%';
        break;
      default:
        s = '%' + (f ?? '');
    }
    if (flag === '^') s = s.toUpperCase();
    // glibc's # swaps the case: names up, %p and %Z down.
    else if (flag === '#') s = 'aAbBh'.includes(f) ? s.toUpperCase() : f === 'p' || f === 'Z' ? s.toLowerCase() : s;
    out += s;
  }
  return out;
}

function isoWeekStart(y: number): number {
  const jan4 = new Date(Date.UTC(y, 0, 4));
  return Date.UTC(y, 0, 4) - ((jan4.getUTCDay() + 6) % 7) * 86400000;
}

function isoYear(d: Date): number {
  const y = d.getUTCFullYear();
  const t = d.getTime();
  if (t >= isoWeekStart(y + 1)) return y + 1;
  if (t < isoWeekStart(y)) return y - 1;
  return y;
}

function isoWeek(d: Date): number {
  const start = isoWeekStart(isoYear(d));
  return Math.floor((d.getTime() - start) / (7 * 86400000)) + 1;
}

const MON_ABBR = MONTHS.map((m) => m.slice(0, 3).toLowerCase());

interface Tm {
  year: number;
  mon: number; // 0-11
  mday: number;
  hour: number;
  min: number;
  sec: number;
}

function toTm(ms: number): Tm {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), mon: d.getUTCMonth(), mday: d.getUTCDate(), hour: d.getUTCHours(), min: d.getUTCMinutes(), sec: d.getUTCSeconds() };
}

const fromTm = (t: Tm): number => Date.UTC(t.year, t.mon, t.mday, t.hour, t.min, t.sec);

// parse_datestr: what touch -d/-t and date -d take. `now` fills the fields
// the string leaves out, seconds too (strptime leaves them: touch -d
// '2020-01-01 10:20' keeps the current second; date passes midnight).
// Answers ms since the epoch.
export function parseDateStr(s: string, now: number): number {
  const tm = toTm(now);
  const bad = (): never => {
    throw new DateError(`invalid date '${s}'`);
  };
  let m: RegExpExecArray | null;
  const time = (h: string, mi?: string, se?: string) => {
    tm.hour = Number(h);
    if (mi !== undefined) tm.min = Number(mi);
    if (se !== undefined) tm.sec = Number(se);
  };
  if ((m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(s))) time(m[1], m[2], m[3]);
  else if ((m = /^(\d{1,2})\.(\d{1,2})-(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(s))) {
    tm.mon = Number(m[1]) - 1;
    tm.mday = Number(m[2]);
    time(m[3], m[4], m[5]);
  } else if ((m = /^(\d{4})[.-](\d{1,2})[.-](\d{1,2})(?:[- ](\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?)?(?: ?([+-]\d{2}):?(\d{2}))?$/.exec(s))) {
    tm.year = Number(m[1]);
    tm.mon = Number(m[2]) - 1;
    tm.mday = Number(m[3]);
    if (m[4] !== undefined) time(m[4], m[5], m[6]);
    if (m[7] !== undefined) {
      const off = (Number(m[7].slice(1)) * 60 + Number(m[8])) * (m[7][0] === '-' ? -1 : 1);
      return fromTm(tm) - off * 60000;
    }
  } else if ((m = /^([A-Za-z]{3})[a-z]* +(\d{1,2}) +(\d{1,2}):(\d{1,2}):(\d{1,2}) +(\d{4})$/.exec(s))) {
    const mon = MON_ABBR.indexOf(m[1].toLowerCase());
    if (mon < 0) bad();
    tm.mon = mon;
    tm.mday = Number(m[2]);
    time(m[3], m[4], m[5]);
    tm.year = Number(m[6]);
  } else if (s.startsWith('@')) {
    if (!/^@[+-]?\d+$/.test(s)) bad();
    return Number(s.slice(1)) * 1000;
  } else {
    // touch -t: [[CC]YY]MMDDhhmm[.ss], and the shorter forms.
    m = /^(\d+)(?:\.(\d+))?$/.exec(s);
    if (!m) bad();
    const d = m![1];
    const two = (k: number) => Number(d.slice(k, k + 2));
    switch (d.length) {
      case 2:
        tm.min = two(0);
        break;
      case 4:
        tm.hour = two(0);
        tm.min = two(2);
        break;
      case 6:
        tm.mday = two(0);
        tm.hour = two(2);
        tm.min = two(4);
        break;
      case 8:
        tm.mon = two(0) - 1;
        tm.mday = two(2);
        tm.hour = two(4);
        tm.min = two(6);
        break;
      case 10: {
        let y = two(0);
        const cur = tm.year;
        y += Math.floor(cur / 100) * 100;
        if (y < cur - 50) y += 100;
        if (y > cur + 50) y -= 100;
        tm.year = y;
        tm.mon = two(2) - 1;
        tm.mday = two(4);
        tm.hour = two(6);
        tm.min = two(8);
        break;
      }
      case 12:
        tm.year = Number(d.slice(0, 4));
        tm.mon = Number(d.slice(4, 6)) - 1;
        tm.mday = Number(d.slice(6, 8));
        tm.hour = Number(d.slice(8, 10));
        tm.min = Number(d.slice(10, 12));
        break;
      default:
        bad();
    }
    tm.sec = m![2] !== undefined ? Number(m![2]) : 0;
    if (tm.sec > 60 || tm.min > 59 || tm.hour > 23 || tm.mday > 31 || tm.mon > 11) bad();
  }
  const t = fromTm(tm);
  if (Number.isNaN(t)) bad();
  return t;
}

// glibc's strptime, for date -D: `s` read by `fmt` over the fields of
// `base`; what the format leaves out is base's. A blank in the format
// takes any run of blanks; numbers may start with blanks. Answers ms since
// the epoch, or undefined where the string does not fit.
export function strptime(s: string, fmt: string, base: number): number | undefined {
  let tm = toTm(base);
  let i = 0;
  const blanks = () => {
    while (/\s/.test(s[i] ?? '')) i++;
  };
  const num = (max: number, lo: number, hi: number): number | undefined => {
    blanks();
    const m = new RegExp(`^[+-]?\\d{1,${max}}`).exec(s.slice(i));
    if (!m) return undefined;
    const v = Number(m[0]);
    if (v < lo || v > hi) return undefined;
    i += m[0].length;
    return v;
  };
  const name = (names: string[]): number | undefined => {
    const rest = s.slice(i).toLowerCase();
    for (let k = 0; k < names.length; k++) {
      for (const n of [names[k].toLowerCase(), names[k].slice(0, 3).toLowerCase()]) {
        if (rest.startsWith(n)) {
          i += n.length;
          return k;
        }
      }
    }
    return undefined;
  };
  // The numeric fields: at most so many digits, their range, and where
  // the value goes.
  const NUMERIC: Record<string, [number, number, number, (v: number) => void]> = {
    Y: [4, 0, 9999, (v) => (tm.year = v)],
    y: [2, 0, 99, (v) => (tm.year = v < 69 ? 2000 + v : 1900 + v)],
    m: [2, 1, 12, (v) => (tm.mon = v - 1)],
    d: [2, 1, 31, (v) => (tm.mday = v)],
    e: [2, 1, 31, (v) => (tm.mday = v)],
    H: [2, 0, 23, (v) => (tm.hour = v)],
    M: [2, 0, 59, (v) => (tm.min = v)],
    S: [2, 0, 61, (v) => (tm.sec = v)],
  };
  const conv = (c: string): boolean => {
    let v: number | undefined;
    const field = NUMERIC[c];
    if (field) {
      if ((v = num(field[0], field[1], field[2])) === undefined) return false;
      field[3](v);
      return true;
    }
    switch (c) {
      case 'b':
      case 'B':
      case 'h':
        if ((v = name(MONTHS)) === undefined) return false;
        tm.mon = v;
        return true;
      case 'a':
      case 'A':
        return name(DAYS) !== undefined;
      case 's': {
        blanks();
        const m = /^-?\d+/.exec(s.slice(i));
        if (!m) return false;
        i += m[0].length;
        tm = toTm(Number(m[0]) * 1000);
        return true;
      }
      case 'T':
        return conv('H') && lit(':') && conv('M') && lit(':') && conv('S');
      case 'R':
        return conv('H') && lit(':') && conv('M');
      case 'D':
        return conv('m') && lit('/') && conv('d') && lit('/') && conv('y');
      case 'n':
      case 't':
        blanks();
        return true;
      case '%':
        return lit('%');
      default:
        return false;
    }
  };
  const lit = (c: string): boolean => {
    if (s[i] !== c) return false;
    i++;
    return true;
  };
  for (let k = 0; k < fmt.length; k++) {
    const c = fmt[k];
    if (/\s/.test(c)) blanks();
    else if (c !== '%') {
      if (!lit(c)) return undefined;
    } else {
      let d = fmt[++k];
      if (d === 'E' || d === 'O') d = fmt[++k];
      if (d === undefined || !conv(d)) return undefined;
    }
  }
  return fromTm(tm);
}
