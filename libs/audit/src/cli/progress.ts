import { Presets, SingleBar } from 'cli-progress';

/** How far a long operation is; commands feed it, the output decides how (or whether) to show it. */
export interface Progress {
  /** `done` units of `total` (the total may change, e.g. once it is known). */
  update(done: number, total: number): void;
  /** The operation ended (done or failed): the bar is closed. */
  stop(): void;
}

/** Shows nothing: `--json`, so that nothing but the result document is written. */
export class SilentProgress implements Progress {
  update(): void {}
  stop(): void {}
}

/** A live bar on a terminal (cli-progress), redrawn in place on stderr. */
export class BarProgress implements Progress {
  private readonly bar: SingleBar;
  private started = false;

  constructor(label: string, unit: string, stream: NodeJS.WriteStream) {
    this.bar = new SingleBar(
      {
        stream,
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {duration_formatted}`,
        hideCursor: true,
        etaBuffer: 50,
      },
      Presets.shades_classic,
    );
  }

  update(done: number, total: number): void {
    if (!this.started) {
      this.bar.start(total, done);
      this.started = true;
    } else {
      this.bar.setTotal(total);
      this.bar.update(done);
    }
  }

  stop(): void {
    if (this.started) this.bar.stop();
  }
}

/** Plain lines at every tenth of the way, for logs (stderr is not a terminal). */
export class LineProgress implements Progress {
  private shownTenth = -1;

  constructor(
    private readonly label: string,
    private readonly unit: string,
    private readonly stream: NodeJS.WritableStream,
  ) {}

  update(done: number, total: number): void {
    if (total <= 0) return;
    const tenth = Math.min(10, Math.floor((done * 10) / total));
    if (tenth <= this.shownTenth) return;
    this.shownTenth = tenth;
    this.stream.write(`${this.label}: ${tenth * 10}% (${done}/${total} ${this.unit})\n`);
  }

  stop(): void {}
}
