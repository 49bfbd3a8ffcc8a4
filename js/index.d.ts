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

export interface Limits {
  perSession?: number;
  perDay?: number;
  perWeek?: number;
  perVisitor?: number;
  minInterval?: Duration;
}

export interface RuleCaps extends Limits {
  /** Cooldown after the nth dismissal (the last repeats): "24h" or ["0s", "24h"] or ["1d", "7d", "30d"]. */
  dismissCooldown?: Duration | Duration[];
  convertCooldown?: Duration;
  /** A group defined in the top-level caps.groups. */
  group?: string;
  /** Whether the global caps count this rule (default true). */
  global?: boolean;
}

export interface Button {
  label: string;
  do: 'link' | 'host' | 'dismiss' | 'snooze' | 'optout' | 'close';
  /** For "link": http(s) or relative; {{values}} are percent-encoded. */
  href?: string;
  /** For "host": the host action to call. */
  name?: string;
  /** For "snooze": how long (default "1d"). */
  for?: Duration;
  primary?: boolean;
}

export interface Webhook {
  url: string;
  /** Context paths the payload may carry, e.g. ["props.sku", "cart.items"]. */
  fields?: string[];
  /** Keep query strings in URLs (default false). */
  keepQuery?: boolean;
}

export interface Action {
  type?: 'modal' | 'banner' | 'toast' | 'slidein' | 'inline' | 'host' | 'webhook' | 'none';
  title?: string;
  body?: string;
  image?: { src: string; alt: string };
  list?: { items: string; item: string; max?: number };
  countdown?: { for: Duration; text?: string; ended?: string };
  buttons?: Button[];
  position?: 'top' | 'bottom' | 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right' | 'center';
  target?: string;
  theme?: Record<string, string | number>;
  missing?: 'default' | 'skip';
  autoHide?: Duration;
  host?: string;
  webhook?: string | Webhook;
}

export interface Rule {
  id: string;
  description?: string;
  enabled?: boolean;
  priority?: number;
  trigger: Trigger;
  if?: Condition;
  action?: Action;
  caps?: RuleCaps;
  conversion?: { event: EventMatcher; within?: Duration };
  /** Share of visitors (0–1) for whom the rule is on. */
  rollout?: number;
  experiment?: {
    key?: string;
    variants: { id: string; weight?: number; action?: Action }[];
    holdout?: number;
    coverage?: number;
    namespace?: [string, number, number];
    hashVersion?: 1 | 2;
    seed?: string;
    force?: string;
  };
}

export interface Config {
  version?: 1;
  rules: Rule[];
  session?: { timeout?: Duration; endAtMidnight?: boolean };
  savedGroups?: Record<string, unknown[]>;
  storageKey?: string;
  signals?: {
    rageClick?: { clicks?: number; within?: Duration; radius?: number };
    exitIntent?: { delay?: Duration };
    spa?: boolean;
  };
  caps?: Limits & { oneAtATime?: boolean; groups?: Record<string, Limits> };
  requireConsent?: boolean;
  beforeConsent?: 'memory' | 'off';
  honorGPC?: boolean;
  /** track() calls allowed: a burst, then a steady rate (default 50/s, burst 200); false turns it off. */
  rateLimit?: false | { perSecond?: number; burst?: number };
  webhook?: Webhook & { events?: LifecycleEvent[] };
  dataLayer?: boolean;
  segments?: { name: string; if: Condition }[];
  centroids?: {
    features: string[];
    scaling?: { type: 'zscore'; mean: number[]; std: number[] } | { type: 'minmax'; min: number[]; max: number[] };
    centroids: { name: string; center: number[] }[];
    maxDistance?: number;
  };
}

export interface VariantTotals {
  exposures: number;
  clicks?: number;
  conversions?: number;
  dismissals?: number;
}

export interface RateWithInterval {
  successes: number;
  trials: number;
  rate: number;
  low: number;
  high: number;
  vsControl?: { absolute: number; relative: number | null; z: number; pValue: number };
}

export interface Analysis {
  variants: { exposures: number; ctr: RateWithInterval; conversion: RateWithInterval; dismissal: RateWithInterval }[];
  ctrTest: { statistic: number; df: number; pValue: number } | null;
  conversionTest: { statistic: number; df: number; pValue: number } | null;
  dismissalTest: { statistic: number; df: number; pValue: number } | null;
  tooSmall: boolean;
}

export type LifecycleEvent = 'show' | 'click' | 'dismiss' | 'snooze' | 'optout' | 'convert';

export interface ConfigProblem {
  path: string;
  message: string;
}

export interface DecisionEvent {
  rule: string;
  priority: number;
  at: number;
  event: string | null;
  /** Whether the caps let it through. */
  shown: boolean;
  suppressed?: { cap: string; reason: string; until: number | null };
  /** The rule's action as configured (templates unfilled); null for experiment rules. */
  action: Action | null;
  /** The experiment variant this visitor has for the rule, if any. */
  variant: string | null;
  /** The message as rendered (templates filled, the variant's content), when it has one. */
  message: { format: string; title: string | null; body: string | null; list: string[]; buttons: string[] } | null;
  /** The evaluation context. Shared by the decisions of one event: treat it as read-only. */
  context: Record<string, unknown>;
}

export interface OutcomeEvent {
  rule: string;
  at: number;
  props: Record<string, unknown>;
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

/** A host action: called by a rule's `{type: "host"}` action or a `{do: "host"}` button. */
export type HostAction = (payload: { rule: string; context: Record<string, unknown> }) => void;

export interface InitOptions {
  /** Where the .wasm file is served from (default: next to the JS). */
  wasmUrl?: string | URL;
  /**
   * Milliseconds the .wasm may take (request, download, compile) before init() rejects
   * with "did not load within … s (wasmTimeout)" and the request is aborted: a positive
   * number, or Infinity to wait for ever. Default 10000. The script tag's
   * `data-wasm-timeout` sets it (and also bounds the config request and the entry module).
   */
  wasmTimeout?: number;
  /** Host actions that rules and buttons can call: { openChat({ rule, context }) { … } }. */
  actions?: Record<string, HostAction>;
  /**
   * Lifecycle handlers registered before the start-up page view is evaluated, so they
   * also hear decisions made during init: { show: fn, decision: [fn, fn] }.
   */
  on?: Record<string, ((payload: any) => void) | Array<(payload: any) => void>>;
}

export interface Cuekit {
  track(name: string, props?: Record<string, unknown>): void;
  identify(attributes: Record<string, unknown>): void;
  pageView(): void;
  explain(ruleId: string): Explanation | null;
  /** The visitor and session, with the names conditions and templates use. */
  visitor(): {
    visitor: { id: string; new: boolean; returning: boolean; visits: number; firstSeen: number; daysSinceLastVisit?: number };
    session: { start: number; duration: number; pageViews: number; activeTime: number; events: number };
  } | null;
  on(event: 'decision' | 'show' | 'suppress', handler: (d: DecisionEvent) => void): () => void;
  on(event: 'click' | 'dismiss' | 'snooze' | 'optout' | 'optin' | 'convert', handler: (e: OutcomeEvent) => void): () => void;
  off(event: string, handler: (...args: never[]) => void): void;
  /**
   * The visitor's choices: true when recorded (false: unknown rule, or the instance
   * stopped or was destroyed). Called from host code running inside cuekit's own work
   * (a focusin listener while a modal takes focus), the call is queued, applied right
   * after that work, and returns true.
   */
  dismiss(ruleId: string): boolean;
  snooze(ruleId: string | undefined, duration: Duration): boolean;
  optOut(ruleId?: string): boolean;
  optIn(ruleId?: string): boolean;
  convert(ruleId: string): boolean;
  consent(granted: boolean): void;
  forget(): void;
  export(): Record<string, unknown> | null;
  stats(): { experiment: string; rule: string; variant: string | null; holdout: boolean; exposed: boolean; shows: number; clicks: number; dismissals: number; conversions: number }[];
  segments(): string[];
  storage(): 'storage' | 'memory';
  /** Registers (or replaces) host actions by name after init; non-functions are ignored. */
  actions(map: Record<string, HostAction>): void;
  destroy(): void;
}

/**
 * The global the script tag (`js/cuekit.script.js`) defines, `window.cuekit` unless
 * `data-global` names another. It exists at once: calls made before the wasm is ready are
 * queued (at most 100) and replayed in order; queries (`explain`, `visitor`, `stats`, …)
 * return empty values until then. If loading fails, one console warning says why and
 * every call is a no-op that returns an empty value. Nothing throws.
 */
export interface CuekitGlobal extends Cuekit {
  /** Resolves to this same object once cuekit is running or has failed. Never rejects. */
  readonly ready: Promise<CuekitGlobal>;
  /** "loading" until settled, then "ready", or "failed" (every call is a no-op). */
  readonly status: 'loading' | 'ready' | 'failed';
  /** Why loading failed (the text of the console warning), else null. */
  error: string | null;
}

declare global {
  interface Window {
    /** Defined by the cuekit script tag (see CuekitGlobal). */
    cuekit?: CuekitGlobal;
  }
}

export function init(config: Config, options?: InitOptions): Promise<Cuekit>;
export function validate(config: unknown, options?: InitOptions): Promise<ConfigProblem[]>;
export function analyze(totals: VariantTotals[], options?: InitOptions): Promise<Analysis>;
