import { CommanderError } from 'commander';
import type { CliIo, Outcome } from './context.js';
import { CliError, ExitCode } from './exit-codes.js';
import { buildProgram } from './program.js';
import { jsonSafe, jsonText, terminalText } from './terminal-text.js';

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
  io.stdout.write(printable(outcome, program.opts().json === true, io));
  return outcome.exitCode ?? ExitCode.ok;
}

/**
 * The one place stdout is written: whatever a command produced leaves here escaped
 * (terminal-text.ts), so no text from the broker reaches the terminal as control sequences.
 */
function printable(outcome: Outcome, json: boolean, io: CliIo): string {
  if (outcome.verbatim) {
    // The evidence bundle, byte for byte into a pipe or a file (its seal covers those bytes);
    // escaped only on a terminal, where nobody can keep the bytes anyway.
    if (!io.stdout.isTTY) return outcome.text;
    const shown = jsonSafe(outcome.text);
    if (shown !== outcome.text && !json) {
      io.stderr.write(
        'countersign: control characters shown escaped; redirect to a file for the exact bytes\n',
      );
    }
    return shown;
  }
  return json ? `${jsonText(outcome.data)}\n` : terminalText(outcome.text, 'output');
}

function report(error: unknown, io: CliIo, json: boolean): number {
  const failure = asCliError(error);
  if (failure === undefined) return ExitCode.ok;
  const { code, reason, fields, hint } = failure.details;
  if (!failure.message) return failure.exitCode;
  if (json) {
    const body = { error: code ?? 'error', message: failure.message, reason, fields, hint };
    io.stderr.write(`${jsonSafe(JSON.stringify({ ...body, exitCode: failure.exitCode }))}\n`);
  } else {
    // The message often quotes the broker's (and so a requester's) words: one escaped line.
    const message = terminalText(failure.message);
    io.stderr.write(`countersign: ${message}\n${hint ? `  ${terminalText(hint)}\n` : ''}`);
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
