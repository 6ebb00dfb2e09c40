// Process entry: start the API from process.env and close it gracefully on signals.
import closeWithGrace from 'close-with-grace';
import { ConfigError } from './config.js';
import { startApi } from './start.js';

try {
  const api = await startApi(process.env);
  closeWithGrace({ delay: 10_000 }, async ({ err }) => {
    if (err) console.error(`api: ${err.message}`);
    await api.close();
  });
} catch (error) {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) console.error(`config: ${problem}`);
  } else {
    console.error(`api: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exitCode = 1;
}
