// Step-by-step progress for long commands: the core's create (the waits for
// a cloud instance and for SSH are steps too) and a driver's own commands
// (the docker driver's `image build`). Both render through this one class,
// which is why it lives in the SDK, below the core and the drivers. Each
// step is one line in the reference's wording.
//
// Piped, or with --json or --quiet (plain), the lines are written as they
// are, so scripts and logs read exactly the text the parity tests pin. On a
// terminal the current step is a live line with its running clock, kept
// with its final duration when the next step starts. A driver's own lines
// ("(name) text", the reference's form) are steps within the current one:
// each takes over the live line beside the step's clock and is kept with
// its duration when the next arrives, so a chatty driver (the docker
// driver's image build) redraws one line instead of scrolling the screen.
// A download a driver reports in the reference's "0%....10%....20%" form
// becomes a bar.
//
// The live line is drawn by cli-progress: it is CommonJS like the CLI,
// redraws on its own timer, clears and restores the terminal, and prints
// other lines above the live one (MultiBar.log). listr2 wants the task list
// up front, while create's steps come from the lifecycle as they happen;
// ora is ESM only; oclif's ux.action has no bar and draws on stderr.
import type { GenericBar, MultiBar, Options, Params } from 'cli-progress';

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Force the plain form (e.g. --json sends progress to stderr). */
  plain?: boolean;
}

interface Timed {
  text: string;
  startedAt: number;
}

interface LivePayload extends Timed {
  /** The driver's line now running within this step. */
  within?: Timed;
  /** Set while a download with a known size is shown as a bar. */
  percent?: number;
}

/** A driver's download line in the reference's form, optionally after "(name) ": the percentage reached. */
export function downloadPercent(line: string): number | undefined {
  const m = /^(?:\(.+?\) )?0%(?:\.\.\.\.(\d+)%)*$/.exec(line);
  if (!m) return undefined;
  return m[1] === undefined ? 0 : Number(m[1]);
}

/** A driver's line in the reference's form, "(machine) text"; a download's percentages are not one. */
export function isDriverLine(line: string): boolean {
  return /^\([^()\s]+\) \S/.test(line) && downloadPercent(line) === undefined;
}

const DIM = (s: string): string => `\x1b[2m${s}\x1b[0m`;

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)}s`;
}

export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly live: boolean;
  private bars?: MultiBar;
  private bar?: GenericBar;
  private current?: LivePayload;
  readonly startedAt = performance.now();

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.live = !options.plain && this.stream.isTTY === true && process.env.TERM !== 'dumb';
  }

  /** Starts a new step, finishing the previous one. */
  step(text: string): void {
    if (!this.live) {
      this.stream.write(text + '\n');
      return;
    }
    this.finishCurrent();
    this.current = { text, startedAt: performance.now() };
    this.liveBar().update(0, this.current);
  }

  /**
   * A line that is not a step of its own. On a terminal a driver's line runs
   * within the current step and a download's percentages draw its bar;
   * others (warnings) are printed above the live line.
   */
  line(text: string): void {
    if (!this.live || !this.current || !this.bar || !this.bars) {
      this.stream.write(text + '\n');
      return;
    }
    const percent = downloadPercent(text);
    if (percent !== undefined) {
      this.current = { ...this.current, percent: percent >= 100 ? undefined : percent };
      this.bar.update(percent, this.current);
      return;
    }
    if (isDriverLine(text)) {
      this.finishWithin();
      this.current = { ...this.current, within: { text, startedAt: performance.now() }, percent: undefined };
      this.bar.update(0, this.current);
      return;
    }
    this.bars.log(text + '\n');
  }

  /** Ends the last step; call before printing the command's final lines. */
  done(): void {
    if (!this.live) return;
    this.finishCurrent();
    if (this.bars) {
      this.bars.update(); // writes what is still buffered above the live line
      this.bars.stop();
    }
    this.bars = undefined;
    this.bar = undefined;
  }

  private liveBar(): GenericBar {
    if (this.bar) return this.bar;
    // Loaded here: only a terminal needs it, and plain output none of it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cliProgress = require('cli-progress') as typeof import('cli-progress');
    const timed = (t: Timed): string => `${t.text} ${DIM(seconds(t.startedAt))}`;
    const format = (options: Options, params: Params, payload: LivePayload): string => {
      const bar = payload.percent === undefined ? '' : ` ${cliProgress.Format.BarFormat(params.progress, options)} ${payload.percent}%`;
      return payload.within
        ? `${timed(payload)} ${DIM('\u203a')} ${payload.within.text}${bar} ${DIM(seconds(payload.within.startedAt))}`
        : `${payload.text}${bar} ${DIM(seconds(payload.startedAt))}`;
    };
    this.bars = new cliProgress.MultiBar({
      stream: this.stream,
      format,
      barsize: 30,
      barCompleteChar: '\u2588',
      barIncompleteChar: '\u2591',
      fps: 10,
      // A hidden cursor would stay hidden if create is interrupted and exits mid-step.
      hideCursor: false,
      clearOnComplete: true,
      gracefulExit: false,
      autopadding: false,
    });
    this.bar = this.bars.create(100, 0, this.current);
    return this.bar;
  }

  /** Keeps the finished step's line with its duration above the live one. */
  private finishCurrent(): void {
    this.finishWithin();
    if (this.current && this.bars) this.bars.log(`${this.current.text} ${DIM(seconds(this.current.startedAt))}\n`);
    this.current = undefined;
  }

  /** The same for the driver's line running within the current step. */
  private finishWithin(): void {
    const current = this.current;
    if (!current?.within || !this.bars) return;
    this.bars.log(`${current.within.text} ${DIM(seconds(current.within.startedAt))}\n`);
    this.current = { ...current, within: undefined };
  }
}
