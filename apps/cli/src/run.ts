import { CommanderError } from 'commander';
import type { CliIo, Outcome } from './context.js';
import { CliError, ExitCode } from './exit-codes.js';
import { buildProgram } from './program.js';

/**
 * The CLI as a function: parse `argv` (without node and the script), run the command, print its
 * outcome, return the exit code. main.ts calls it with the process's streams; tests call it in-process.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let outcome: Outcome | undefined;
  const program = buildProgram(io, (result) => {
    outcome = result;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    // Parsing may have failed before --json was read, so look for it in argv too.
    return report(error, io, program.opts().json === true || argv.includes('--json'));
  }
  if (!outcome) return ExitCode.ok;
  const json = program.opts().json === true;
  io.stdout.write(
    json && !outcome.verbatim ? `${JSON.stringify(outcome.data, null, 2)}\n` : outcome.text,
  );
  return outcome.exitCode ?? ExitCode.ok;
}

function report(error: unknown, io: CliIo, json: boolean): number {
  const failure = asCliError(error);
  if (failure === undefined) return ExitCode.ok;
  const { code, reason, fields, hint } = failure.details;
  if (!failure.message) return failure.exitCode;
  if (json) {
    const body = { error: code ?? 'error', message: failure.message, reason, fields, hint };
    io.stderr.write(`${JSON.stringify({ ...body, exitCode: failure.exitCode })}\n`);
  } else {
    io.stderr.write(`countersign: ${failure.message}\n${hint ? `  ${hint}\n` : ''}`);
  }
  return failure.exitCode;
}

/** Commander's own exits (help, usage) and our errors become CliErrors; undefined means success. */
function asCliError(error: unknown): CliError | undefined {
  if (error instanceof CliError) return error;
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return undefined;
    // No command given: commander has already shown the help on stderr.
    if (error.code === 'commander.help') return new CliError(ExitCode.usage, '', { code: 'usage' });
    return new CliError(ExitCode.usage, error.message.replace(/^error: /, ''), {
      code: 'usage',
      hint: 'see `countersign --help` or `countersign <command> --help`',
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(ExitCode.error, message, { code: 'error' });
}
