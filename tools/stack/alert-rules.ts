import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './service-environment.js';

/** The one source of the alert rules, which the chart's PrometheusRule reads too (`.Files.Get`). */
export const ALERT_RULES_FILE = join(ROOT, 'charts/shaservice/files/alerts.yaml');

/** A value for each placeholder of ALERT_RULES_FILE: `SELECTOR` fills every `__SELECTOR__`, and so on. */
export type AlertPlaceholders = Record<string, string | number>;

const PLACEHOLDER = /__[A-Z][A-Z0-9_]*__/;

/**
 * The rules file with every placeholder replaced by its value as plain text, as the chart's template does with
 * Sprig's `replace`; throws when one is left unfilled, as the template fails the render.
 */
export function fillAlertRules(
  placeholders: AlertPlaceholders,
  text = readFileSync(ALERT_RULES_FILE, 'utf8'),
): string {
  let filled = text;
  for (const [name, value] of Object.entries(placeholders))
    filled = filled.replaceAll(`__${name}__`, String(value));
  const left = PLACEHOLDER.exec(filled);
  if (left) throw new Error(`${ALERT_RULES_FILE}: no value for the placeholder ${left[0]}`);
  return filled;
}
