#!/usr/bin/env node
/**
 * `clientpolicy`: the command-line tool of clientpolicy-as-code (package `bin`). Each subcommand lives in
 * cli/commands/<name>.ts and registers itself on the program; this file only assembles them and maps failures to the
 * exit codes every subcommand shares: 0 success, 1 the tool itself failed (message on stderr, never a stack trace
 * alone, never a secret). Subcommands that report findings (report) document their own codes 2 and 3 in `--help`.
 */
import "./compileCache";
import { Command, CommanderError } from "commander";
import { CliError } from "./errors";
import { packageVersion } from "./packageVersion";
import * as gatewayCommand from "./commands/gateway";
import * as configCommand from "./commands/config";
import * as convertCommand from "./commands/convert";
import * as cmdletsCommand from "./commands/cmdlets";
import * as effectiveCommand from "./commands/effective";
import * as exportCommand from "./commands/export";
import * as reportCommand from "./commands/report";

/** Builds the program with every subcommand registered; exported so tests can run it in-process. */
export function buildProgram(): Command {
    const program = new Command("clientpolicy")
        .description("Client policies (CsClientPolicy) as code: fleet reports, onboarding and the Skype for Business Server gateway.")
        .version(packageVersion(), "-V, --version", "print the package version")
        .showHelpAfterError("(run with --help for usage)")
        .exitOverride();
    // Subcommands register here, one line each.
    gatewayCommand.register(program);
    configCommand.register(program);
    convertCommand.register(program);
    exportCommand.register(program);
    cmdletsCommand.register(program);
    effectiveCommand.register(program);
    reportCommand.register(program);
    return program;
}

/** Runs the program with `argv` (user arguments only) and returns the exit code instead of exiting. */
export async function run(argv: string[]): Promise<number> {
    const program = buildProgram();
    try {
        await program.parseAsync(argv, { from: "user" });
        return typeof process.exitCode === "number" ? process.exitCode : 0;
    } catch (e) {
        if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1; // help/version print and exit 0; usage errors 1
        if (e instanceof CliError) {
            process.stderr.write(`error: ${e.message}\n`);
            return e.exitCode;
        }
        const message = e instanceof Error ? `${e.name === "Error" ? "" : `${e.name}: `}${e.message}` : String(e);
        process.stderr.write(`error: ${message}\n`);
        return 1;
    }
}

if (require.main === module) {
    void run(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
    });
}
