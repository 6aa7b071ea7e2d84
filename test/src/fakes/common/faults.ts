// Fault switches shared by the local cloud endpoints. A fake asks `take()`
// before handling each call; the fault decides how the call fails, and each
// fake renders it in its own wire format.

export interface Fault {
  /** HTTP status to answer with. */
  status: number;
  /** The API's error code, e.g. RequestLimitExceeded. */
  code: string;
  message: string;
}

interface Rule {
  /** Operation name to match, or undefined for every operation. */
  operation?: string;
  fault: Fault;
  remaining: number;
  /** Let this many matching calls through before failing. */
  skip: number;
}

export class FaultPlan {
  private rules: Rule[] = [];
  /** How many calls each rule failed, for assertions. */
  readonly injected: { operation: string; code: string }[] = [];

  /** Fails the next `times` calls of `operation` (all operations when omitted). */
  inject(fault: Fault, options: { operation?: string; times?: number; after?: number } = {}): void {
    this.rules.push({ operation: options.operation, fault, remaining: options.times ?? 1, skip: options.after ?? 0 });
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for this call, if any; consumes one use of the rule. */
  take(operation: string): Fault | undefined {
    for (const rule of this.rules) {
      if (rule.remaining <= 0) continue;
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      if (rule.skip > 0) {
        rule.skip--;
        continue;
      }
      rule.remaining--;
      this.injected.push({ operation, code: rule.fault.code });
      return rule.fault;
    }
    return undefined;
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
