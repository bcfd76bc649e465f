import { type DestinationStream, type Logger, pino } from 'pino';

/** JSON lines to stdout (or a given stream), level as a word so any log pipeline can read it. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'shaservice' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
