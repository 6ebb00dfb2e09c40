// Process entry: start the API from process.env and close it gracefully on signals.
import closeWithGrace from 'close-with-grace';
import { ConfigError } from './config.js';
import { startApi, type StartedApi } from './start.js';

let api: StartedApi | undefined;
// Installed before start-up, so a signal that arrives while listening begins is still graceful.
const grace = closeWithGrace({ delay: 10_000 }, async ({ err }) => {
  if (err) console.error(`api: ${err.message}`);
  await api?.close();
});

try {
  api = await startApi(process.env);
} catch (error) {
  // Nothing to close, and its exit handler would turn the failure into exit code 0.
  grace.uninstall();
  if (error instanceof ConfigError) {
    for (const problem of error.problems) console.error(`config: ${problem}`);
  } else {
    console.error(`api: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exitCode = 1;
}
