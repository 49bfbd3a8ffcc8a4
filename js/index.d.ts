// Types for cuekit's public API and config language.

/** A duration: "500ms", "30s", "10m", "24h", "7d", "1h30m", or milliseconds. */
export type Duration = string | number;

/** A GrowthBook-compatible MongoDB-style condition over the decision context. */
export type Condition = { [path: string]: unknown };

/** Matches one event: a name (or "*"), optionally an element selector and a condition. */
export type EventMatcher =
  | string
  | { event: string; selector?: string; where?: Condition };

export type Trigger =
  | string
  | { event: string; selector?: string; where?: Condition }
  | { sequence: EventMatcher[]; within: Duration; same?: string | string[] }
  | { after: EventMatcher; absent: EventMatcher | EventMatcher[]; within: Duration; same?: string | string[]; inactive?: boolean }
  | { count: EventMatcher; atLeast: number; within: Duration; groupBy?: string }
  | { idle: Duration }
  | { dwell: Duration; without?: EventMatcher | EventMatcher[] }
  | { hover: string; for: Duration; without?: EventMatcher | EventMatcher[] }
  | { visible: string; for?: Duration; ratio?: number }
  | { scroll: number }
  | { away: Duration };

export interface Rule {
  id: string;
  description?: string;
  enabled?: boolean;
  priority?: number;
  trigger: Trigger;
  if?: Condition;
  action?: Record<string, unknown>;
}

export interface Config {
  version?: 1;
  rules: Rule[];
  session?: { timeout?: Duration };
  savedGroups?: Record<string, unknown[]>;
  storageKey?: string;
}

export interface ConfigProblem {
  path: string;
  message: string;
}

export interface DecisionEvent {
  rule: string;
  priority: number;
  at: number;
  event: string | null;
  action: Record<string, unknown> | null;
  context: Record<string, unknown>;
}

export interface Explanation {
  rule: string;
  enabled: boolean;
  priority: number;
  trigger: string;
  last: string;
  lastAt: number | null;
  fired: number;
  blocked: number;
  conditionHoldsNow: boolean;
  conditionFailure: string | null;
  progress: unknown;
  nextDeadline: number | null;
  summary: string;
}

export interface InitOptions {
  /** Where the .wasm file is served from (default: next to the JS). */
  wasmUrl?: string | URL;
}

export interface Cuekit {
  track(name: string, props?: Record<string, unknown>): void;
  identify(attributes: Record<string, unknown>): void;
  pageView(): void;
  explain(ruleId: string): Explanation | null;
  visitor(): { visitor: Record<string, unknown>; session: Record<string, unknown> } | null;
  on(event: 'decision', handler: (d: DecisionEvent) => void): () => void;
  off(event: 'decision', handler: (d: DecisionEvent) => void): void;
  destroy(): void;
}

export function init(config: Config, options?: InitOptions): Promise<Cuekit>;
export function validate(config: unknown, options?: InitOptions): Promise<ConfigProblem[]>;
