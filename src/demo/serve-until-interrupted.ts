/**
 * `npm run demo -- --serve`: once the scenario has played, the example app stays up with its audit
 * viewer until Ctrl-C (or SIGTERM), then the demo cleans up as usual.
 */
export async function serveUntilInterrupted(base: string): Promise<void> {
  console.log(
    `\nAudit viewer: ${base}/audit/\n` +
      // NOTE: the password is named, never echoed: DEMO_PASSWORD may hold one of the user's choosing.
      '  sign in as grace (global auditor) or carol (acme auditor) with the demo password (DEMO_PASSWORD, default demo-password);\n' +
      "  bob's trail carries the superuser's edit from the last step: its badge is red.\n" +
      'The example app keeps running until Ctrl-C.',
  );
  // NOTE: Nest's shutdown hooks would close the app and re-raise the signal, killing the process
  // before the demo's own cleanup (its database, possibly an embedded PostgreSQL) could run.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.removeAllListeners(signal);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log(`\n${signal}: stopping the example app.`);
}
