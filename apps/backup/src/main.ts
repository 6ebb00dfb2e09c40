// CLI: `backup` or `restore-check`; one JSON line, exit 0 / 1 / 2, no credential printed.
import { runCli } from '../../api/src/shared/cli.js';
import { ConfigError } from '../../api/src/shared/settings.js';
import { runBackup } from './backup.js';
import { loadConfig } from './config.js';
import { restoreCheck } from './restore.js';

const command = process.argv[2];

await runCli(command ?? 'backup', async (redactor) => {
  if (command !== 'backup' && command !== 'restore-check') {
    throw new ConfigError([`usage: main.js backup|restore-check (got ${command ?? 'nothing'})`]);
  }
  const config = loadConfig(process.env);
  redactor.add(config.target.password);
  redactor.add(config.key.toString('base64'));
  if (command === 'backup') return { ok: true, ...(await runBackup(config)) };
  return restoreCheck(config);
});
