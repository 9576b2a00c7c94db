/**
 * Time windows of grants as five-field cron expressions (minute hour day-of-month month
 * day-of-week, UTC): a grant with `time: ['* 9-17 * * 1-5']` holds during working hours. A
 * moment is inside the window when every field matches it, as cron would fire in that minute.
 */
export interface Cron {
  source: string;
  fields: ReadonlySet<number>[];
}

const RANGES: [number, number][] = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];
const NAMES = ['minute', 'hour', 'day of month', 'month', 'day of week'];

function fieldValues(text: string, index: number): Set<number> {
  const [min, max] = RANGES[index];
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!match) throw new Error(`cron ${NAMES[index]} ${JSON.stringify(part)} is not *, n, a-b, a,b or */n`);
    const from = match[1] === '*' ? min : Number(match[2]);
    const to = match[1] === '*' ? max : match[3] !== undefined ? Number(match[3]) : match[4] !== undefined ? max : from;
    const step = match[4] !== undefined ? Number(match[4]) : 1;
    if (from < min || to > max || from > to || step < 1) throw new Error(`cron ${NAMES[index]} ${JSON.stringify(part)} is outside ${min}-${max}`);
    for (let v = from; v <= to; v += step) values.add(index === 4 && v === 7 ? 0 : v);
  }
  return values;
}

export function parseCron(source: string): Cron {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron ${JSON.stringify(source)} needs five fields: minute hour day-of-month month day-of-week`);
  return { source, fields: parts.map(fieldValues) };
}

export function cronMatches(cron: Cron, at: Date): boolean {
  const [minute, hour, day, month, weekday] = cron.fields;
  return minute.has(at.getUTCMinutes()) && hour.has(at.getUTCHours()) && day.has(at.getUTCDate())
    && month.has(at.getUTCMonth() + 1) && weekday.has(at.getUTCDay());
}
