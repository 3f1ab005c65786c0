/** The JSON Schema formats our schemas use, checked the way RFC 3339 / RFC 5322 / RFC 3986 define them (strictly enough to catch typos). */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}

/** Why `text` is not a valid value of `format`, or undefined when it is. */
export function formatProblem(format: string, text: string): string | undefined {
  switch (format) {
    case 'date': {
      const m = DATE.exec(text);
      if (!m)
        return DATE_TIME.test(text)
          ? 'a date is expected (`YYYY-MM-DD`), not a timestamp'
          : 'a date is written `YYYY-MM-DD`';
      return validDay(+m[1], +m[2], +m[3]) ? undefined : 'there is no such day';
    }
    case 'date-time': {
      const m = DATE_TIME.exec(text);
      if (!m) {
        if (/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text))
          return 'the timestamp has no time zone (end it with `Z` or an offset such as `+02:00`)';
        if (DATE.test(text)) return 'a timestamp with time and time zone is expected (`2025-01-15T10:30:00Z`)';
        return 'an RFC 3339 timestamp is expected (`2025-01-15T10:30:00Z`)';
      }
      if (!validDay(+m[1], +m[2], +m[3])) return 'there is no such day';
      if (+m[4] > 23 || +m[5] > 59 || +m[6] > 60) return 'the time of day is out of range';
      if (m[9] !== undefined && (+m[9] > 23 || +m[10] > 59)) return 'the time-zone offset is out of range';
      return undefined;
    }
    case 'email':
      return /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/.test(
        text,
      ) && !text.includes('..')
        ? undefined
        : 'an e-mail address is expected (`team@example.com`)';
    case 'uri': {
      const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/.exec(text);
      if (!m || /\s/.test(text)) return 'an absolute URL is expected (`https://…`)';
      if (/^(https?|ftp|wss?)$/i.test(m[1]) && !/^\/\/[^/?#\s]+/.test(m[2])) return 'the URL has no host';
      return undefined;
    }
    case 'uri-reference':
      return /\s/.test(text) ? 'a URL or relative path without spaces is expected' : undefined;
    default:
      return undefined; // unknown formats are annotations, as in JSON Schema
  }
}

export interface ParsedTime {
  /** Milliseconds since the epoch (midnight UTC for a date). */
  time: number;
  dateOnly: boolean;
}

/** A date (`YYYY-MM-DD`) or an RFC 3339 timestamp, or undefined if `text` is neither. */
export function parseTime(text: string): ParsedTime | undefined {
  const d = DATE.exec(text);
  if (d) return validDay(+d[1], +d[2], +d[3]) ? { time: Date.UTC(+d[1], +d[2] - 1, +d[3]), dateOnly: true } : undefined;
  if (formatProblem('date-time', text) === undefined) {
    const t = Date.parse(text.replace(' ', 'T'));
    return Number.isNaN(t) ? undefined : { time: t, dateOnly: false };
  }
  return undefined;
}
