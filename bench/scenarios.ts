import type { TargetFixtures } from './fixtures.js';
import type { Expect } from './wrk.js';

/** Which shaservice process a scenario measures: the default cache, or the cache turned off. */
export type ServiceKind = 'service' | 'service-nocache';

/** What a scenario's script needs besides the target's own fixtures. */
export interface ScenarioContext {
  /** Random per run, so the messages a run posts as new have never been posted before. */
  run: string;
  /** Distinct 64 KiB messages the big POST cycles through. */
  bigPool: number;
}

export interface Scenario {
  id: string;
  title: string;
  /** The shaservice process measured; the floors have no cache, so they are the same for both kinds. */
  service: ServiceKind;
  expect: Expect;
  /** Connection counts measured in full mode; smoke mode uses its own small one. */
  connections: number[];
  /** The script of bench/wrk/ that makes the requests, and its arguments for one target. */
  script: string;
  args(fixtures: TargetFixtures, context: ScenarioContext): string[];
}

/**
 * Every scenario of issues 6 and 15. 200 connections only where it tells something new (the whole bench
 * stays under 10 minutes).
 */
export const SCENARIOS: Scenario[] = [
  {
    id: 'get-cold',
    title: 'GET stored, cache off',
    service: 'service-nocache',
    expect: '2xx',
    connections: [50, 200],
    script: 'get',
    args: (f) => [f.digestsFile],
  },
  {
    id: 'get-warm',
    title: 'GET stored, cache warm',
    service: 'service',
    expect: '2xx',
    connections: [50, 200],
    script: 'get',
    args: (f) => [f.digestsFile],
  },
  {
    id: 'get-unknown',
    title: 'GET unknown digest',
    service: 'service',
    expect: '404',
    connections: [50],
    script: 'get-unknown',
    args: (_f, c) => [c.run],
  },
  {
    id: 'post-new',
    title: 'POST new message',
    service: 'service',
    expect: '2xx',
    connections: [50, 200],
    script: 'post-new',
    args: (_f, c) => [c.run],
  },
  {
    id: 'post-stored',
    title: 'POST stored message',
    service: 'service',
    expect: '2xx',
    connections: [50],
    script: 'post-stored',
    args: (f) => [f.messagesFile],
  },
  {
    id: 'mix-90-10',
    title: '90% GET / 10% POST',
    service: 'service',
    expect: '2xx',
    connections: [50],
    script: 'mix',
    args: (f, c) => [f.digestsFile, c.run],
  },
  {
    id: 'post-64k',
    title: 'POST 64 KiB message',
    service: 'service',
    expect: '2xx',
    connections: [50],
    script: 'post-64k',
    args: (_f, c) => [String(c.bigPool)],
  },
];
