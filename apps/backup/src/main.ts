// CLI: `backup` or `restore-check`; prints one JSON line and exits non-zero on any failure.
import { runBackup } from './backup.js';
import { loadConfig } from './config.js';
import { restoreCheck } from './restore.js';

async function main(command: string | undefined): Promise<boolean> {
  const config = loadConfig(process.env);
  if (command === 'backup') {
    const result = await runBackup(config);
    console.log(JSON.stringify({ ok: true, command, ...result }));
    return true;
  }
  if (command === 'restore-check') {
    const result = await restoreCheck({ ...config, directory: config.directory });
    console.log(JSON.stringify({ command, ...result }));
    return result.ok;
  }
  throw new Error(`usage: main.js backup|restore-check (got ${command ?? 'nothing'})`);
}

main(process.argv[2]).then(
  (ok) => {
    process.exitCode = ok ? 0 : 1;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.log(JSON.stringify({ ok: false, command: process.argv[2], error: message }));
    process.exitCode = 1;
  },
);
