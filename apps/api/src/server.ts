// Process entry: start the API from process.env and close it gracefully on signals.
import closeWithGrace from 'close-with-grace';
import { Redactor, reportStartupFailure } from './shared/cli.js';
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
  const redactor = new Redactor();
  redactor.add(process.env.PGPASSWORD);
  reportStartupFailure('api', error, redactor);
}
