// Step-by-step progress for long commands. Each step is one line, the
// reference's wording; on a terminal the current line also shows a running
// clock and keeps its final duration. Elsewhere the lines are plain, so
// scripts and logs read exactly the same text.

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Force the plain form (e.g. --json sends progress to stderr). */
  plain?: boolean;
}

export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly live: boolean;
  private current?: { text: string; start: number };
  private timer?: NodeJS.Timeout;
  readonly startedAt = performance.now();

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.live = !options.plain && this.stream.isTTY === true && process.env.TERM !== 'dumb';
  }

  /** Starts a new step, finishing the previous one. */
  step(text: string): void {
    this.finishCurrent();
    if (!this.live) {
      this.stream.write(text + '\n');
      return;
    }
    this.current = { text, start: performance.now() };
    this.render();
    this.timer = setInterval(() => this.render(), 100);
    this.timer.unref();
  }

  /** A line that is not a step (driver output, warnings). */
  line(text: string): void {
    if (this.live && this.current) {
      this.stream.write('\r\x1b[K' + text + '\n');
      this.render();
    } else {
      this.stream.write(text + '\n');
    }
  }

  /** Ends the last step; call before printing the command's final lines. */
  done(): void {
    this.finishCurrent();
  }

  private render(): void {
    if (!this.current) return;
    const secs = ((performance.now() - this.current.start) / 1000).toFixed(1);
    this.stream.write(`\r\x1b[K${this.current.text} \x1b[2m${secs}s\x1b[0m`);
  }

  private finishCurrent(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.live && this.current) {
      this.render();
      this.stream.write('\n');
    }
    this.current = undefined;
  }
}
