import type { Sample } from '../client/load.js';

/** One line of a scenario's table: what the users' requests saw. */
export interface Row {
  scenario: string;
  requests: number;
  created: number;
  unavailable: number;
  /** Any other 5xx, and requests that got no answer at all (refused, reset, or past the client's timeout). */
  otherFailures: number;
  longestMs: number;
  /** Messages that got a 201 and later did not read back byte for byte, of how many got a 201. */
  lost: number;
  acknowledged: number;
}

export function rowOf(scenario: string, samples: Sample[], acknowledged: number, lost: number): Row {
  const count = (test: (status: number) => boolean) => samples.filter(({ status }) => test(status)).length;
  return {
    scenario,
    requests: samples.length,
    created: count((status) => status === 201),
    unavailable: count((status) => status === 503),
    otherFailures: count((status) => status === 0 || (status >= 500 && status !== 503)),
    longestMs: Math.round(Math.max(0, ...samples.map((sample) => sample.ms))),
    lost,
    acknowledged,
  };
}

/** The rows of a group of scenarios, printed as a Markdown table when the group ends (the README shows one). */
export class ScenarioTable {
  private readonly rows: Row[] = [];

  constructor(private readonly title: string) {}

  add(row: Row): Row {
    this.rows.push(row);
    return row;
  }

  print(): void {
    if (this.rows.length === 0) return;
    const header = [
      'Scenario',
      'Requests',
      '201s',
      '503s',
      'Other 5xx or no answer',
      'Longest request',
      'Acknowledged lost',
    ];
    const lines = this.rows.map((row) => [
      row.scenario,
      String(row.requests),
      String(row.created),
      String(row.unavailable),
      String(row.otherFailures),
      `${row.longestMs} ms`,
      `${row.lost} of ${row.acknowledged}`,
    ]);
    const widths = header.map((cell, i) =>
      Math.max(cell.length, ...lines.map((line) => (line[i] ?? '').length)),
    );
    const format = (cells: string[]) =>
      `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
    const text = [
      this.title,
      format(header),
      format(widths.map((width) => '-'.repeat(width))),
      ...lines.map(format),
    ];
    console.log(`\n${text.map((line) => `      ${line}`).join('\n')}\n`);
  }
}
