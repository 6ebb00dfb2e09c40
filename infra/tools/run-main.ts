// How every command-line tool of the project ends (the offline tools, the site, the walk, the
// cluster and the engine run): the number `main` resolves to is the exit code; an error prints one
// line, `<prefix>: <first line of its message>`, and exits with the code the tool gives it (2 for
// bad input, by the tools' convention). No stack trace: a tool's errors are written for the person
// who ran it.

export interface RunMainOptions {
  /** Printed before the message: the tool's name, or `error`. */
  prefix: string;
  /** The exit code for an error that reached the top. */
  exitCode: (error: unknown) => number;
  /** npm runs scripts from the package root; with this, relative paths mean the caller's directory. */
  fromCallerDirectory?: boolean;
  /** What to print after the prefix; the first line of the message unless the tool says otherwise. */
  message?: (error: unknown) => string;
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? '';
}

export function runMain(main: () => Promise<number>, options: RunMainOptions): void {
  if (options.fromCallerDirectory === true && process.env.INIT_CWD !== undefined) {
    process.chdir(process.env.INIT_CWD);
  }
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`${options.prefix}: ${(options.message ?? firstLine)(error)}`);
      process.exitCode = options.exitCode(error);
    },
  );
}
