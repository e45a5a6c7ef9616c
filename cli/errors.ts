/**
 * The one error type subcommands throw for a failure the user can fix (bad flag value, missing file, unreadable
 * report): printed as `error: <message>` on stderr with {@link CliError.exitCode} (1 unless a subcommand documents
 * another). Messages name the flag or file and what was expected, and never contain a secret.
 */
export class CliError extends Error {
    constructor(message: string, readonly exitCode = 1) {
        super(message);
        this.name = "CliError";
    }
}
