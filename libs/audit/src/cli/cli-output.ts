import { BarProgress, LineProgress, SilentProgress, type Progress } from './progress';

/** Where the CLI writes: stdout carries the result, stderr everything else (progress, notes, errors). */
export interface CliStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

const isTty = (stream: CliStreams['stderr']): stream is NodeJS.WriteStream =>
  (stream as NodeJS.WriteStream).isTTY === true;

/**
 * What every command writes, in one of two modes. Human (default): readable text on stdout,
 * progress bars on stderr when it is a terminal (plain progress lines otherwise). `--json`: one
 * JSON document on stdout and nothing else there, no progress; errors still get a line on stderr.
 */
export class CliOutput {
  constructor(
    readonly json: boolean,
    private readonly streams: CliStreams = { stdout: process.stdout, stderr: process.stderr },
  ) {}

  /** The command's result: `data` as the JSON document, or the `human` lines. Called once per command. */
  result(data: unknown, human: string | string[]): void {
    if (this.json) this.streams.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else this.streams.stdout.write(`${[human].flat().join('\n')}\n`);
  }

  /** A line for the operator beside the result (stderr, so that it never mixes into a JSON result). */
  note(line: string): void {
    this.streams.stderr.write(`${line}\n`);
  }

  /** A progress display for a long operation counting `unit`s (e.g. "events"). */
  progress(label: string, unit: string): Progress {
    if (this.json) return new SilentProgress();
    const stderr = this.streams.stderr;
    return isTty(stderr) ? new BarProgress(label, unit, stderr) : new LineProgress(label, unit, stderr);
  }
}
