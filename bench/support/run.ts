/** What a bench stops on its way out (DynamoDB Local, sipp, Kamailio, listeners), last started first. */
export const cleanups: (() => Promise<void>)[] = [];

async function stopAll(): Promise<void> {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups.length = 0;
}

/**
 * Runs a bench's `main` and stops everything in `cleanups` when it ends, fails, or outlives
 * `limitMs`: a bench never leaves a server behind on the machine.
 */
export function runBench(main: () => Promise<void>, limitMs = 300_000): void {
  const watchdog = setTimeout(() => {
    console.error(`Bench took longer than ${limitMs / 60_000} minutes: stopping`);
    void stopAll().then(() => process.exit(2));
  }, limitMs);
  main()
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(async () => {
      await stopAll();
      clearTimeout(watchdog);
    });
}
