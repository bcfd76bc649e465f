import { batchSpeedup, type BenchResults, RATIO_TARGETS } from './report.js';

const WIDTH = 860;
const LABEL = 250;
const ROW = 30;
const TOP = 56;
const PLOT = WIDTH - LABEL - 90;

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Two horizontal bars per scenario and connection count: req/s as a multiple of the Koa floor's (thick, coloured
 * by its target) and of the node:http floor's (thin, grey, no target). The dashed red tick is the Koa target;
 * the grey line at 1.0x is "as fast as the floor". Plain SVG text, so it renders on GitHub and needs no library.
 */
export function chart(results: BenchResults): string {
  const rows = results.scenarios;
  const max = Math.max(1.25, ...rows.map((r) => Math.max(r.ratio['koa-floor'], r.ratio['node-http']))) * 1.05;
  const x = (ratio: number) => LABEL + (ratio / max) * PLOT;
  const height = TOP + rows.length * ROW + 90;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">shaservice req/s as a multiple of the Koa floor and of bare node:http</text>`,
    `<text x="${WIDTH / 2}" y="42" text-anchor="middle" fill="#555">median of alternated rounds, wrk pinned; red dashes: targets; ${escape(results.machine.nproc + ' cores, Node ' + results.machine.node)}</text>`,
  );
  // Grid every 0.25x, labelled below the plot.
  for (let tick = 0; tick <= max; tick += 0.25) {
    const gx = x(tick).toFixed(1);
    const bottom = TOP + rows.length * ROW;
    parts.push(
      `<line x1="${gx}" y1="${TOP - 4}" x2="${gx}" y2="${bottom}" stroke="${tick === 1 ? '#888' : '#e5e5e5'}" stroke-width="${tick === 1 ? 1.5 : 1}"/>`,
      `<text x="${gx}" y="${bottom + 16}" text-anchor="middle" fill="#555">${tick.toFixed(2)}x</text>`,
    );
  }
  rows.forEach((row, i) => {
    const y = TOP + i * ROW;
    const target = row.connections === rows[0]?.connections ? RATIO_TARGETS[row.id] : undefined;
    const koa = row.ratio['koa-floor'];
    const http = row.ratio['node-http'];
    const met = target === undefined || koa >= target;
    const fill = target === undefined ? '#7a9cc6' : met ? '#3c8d5a' : '#c8553d';
    parts.push(
      `<text x="${LABEL - 8}" y="${y + 19}" text-anchor="end">${escape(row.title)} · ${row.connections} conns</text>`,
      `<rect x="${LABEL}" y="${y + 4}" width="${(x(koa) - LABEL).toFixed(1)}" height="${ROW - 14}" fill="${fill}"/>`,
      `<rect x="${LABEL}" y="${y + ROW - 9}" width="${(x(http) - LABEL).toFixed(1)}" height="6" fill="#9a9a9a"/>`,
    );
    // The value sits right of both the bar and the target tick, so the tick never crosses it.
    const textX = Math.max(x(koa), x(http), target === undefined ? 0 : x(target)) + 6;
    parts.push(`<text x="${textX.toFixed(1)}" y="${y + 19}">${koa.toFixed(2)}x · ${http.toFixed(2)}x</text>`);
    if (target !== undefined) {
      const tx = x(target).toFixed(1);
      parts.push(
        `<line x1="${tx}" y1="${y + 1}" x2="${tx}" y2="${y + ROW - 1}" stroke="#d00" stroke-width="2.5" stroke-dasharray="4 2"/>`,
      );
    }
  });
  const { speedup } = batchSpeedup(results);
  const legendY = TOP + rows.length * ROW + 40;
  parts.push(
    `<rect x="${LABEL}" y="${legendY - 11}" width="12" height="12" fill="#3c8d5a"/><text x="${LABEL + 18}" y="${legendY}">target met</text>`,
    `<rect x="${LABEL + 110}" y="${legendY - 11}" width="12" height="12" fill="#c8553d"/><text x="${LABEL + 128}" y="${legendY}">target missed</text>`,
    `<rect x="${LABEL + 240}" y="${legendY - 11}" width="12" height="12" fill="#7a9cc6"/><text x="${LABEL + 258}" y="${legendY}">no target</text>`,
    `<rect x="${LABEL + 340}" y="${legendY - 8}" width="12" height="6" fill="#9a9a9a"/><text x="${LABEL + 358}" y="${legendY}">vs node:http</text>`,
    `<text x="${LABEL}" y="${legendY + 24}" fill="#333">POST /messages/batch, ${results.batch.size} per request: ${speedup.toFixed(1)}x the messages/s of single POSTs (target 10x)</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
