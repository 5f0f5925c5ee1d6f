import { startExampleApp, type ExampleApp } from './example-app';

/** What no answer to a client may contain: SQL, stack frames, file paths, schema hints. */
export const LEAK_PATTERNS: [string, RegExp][] = [
  [
    'SQL',
    /\b(select|insert into|update|delete from)\s.+\b(from|set|values|where)\b|\bwhere\s+["\w.]+\s*(=|in|like)/i,
  ],
  ['stack frame', /\n\s+at |\s{4}at /],
  ['file path', /\/work\/|node_modules|[\w-]+\.[jt]s:\d+/],
  ['schema hint', /Did you mean/],
  ['stack trace extension', /"stacktrace"/],
];

/** The names of the leak patterns `text` matches. */
export function leaksIn(text: string): string[] {
  return LEAK_PATTERNS.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
}

/**
 * The example app without NODE_ENV, as `node dist/src/main.js` runs it: Apollo's defaults would
 * then send stack traces, so the app's own settings are what keeps them out.
 */
export async function startExampleAppWithoutNodeEnv(): Promise<ExampleApp> {
  const nodeEnv = process.env.NODE_ENV;
  delete process.env.NODE_ENV;
  // NOTE: the migrator reports each migration on the console unless NODE_ENV is test.
  const quiet = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    return await startExampleApp();
  } finally {
    process.env.NODE_ENV = nodeEnv;
    quiet.mockRestore();
  }
}
