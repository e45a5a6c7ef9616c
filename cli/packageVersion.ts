/**
 * The package's version, for `--version` and the reports' run metadata. Its own file so that subcommands read it
 * without importing the program that registers them (cli/main.ts).
 */

/** The package version from package.json (found from the compiled or the source location). */
export function packageVersion(): string {
    for (const rel of ["../package.json", "../../package.json"]) {
        try {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            return (require(rel) as { version: string }).version;
        } catch {
            /* try the next location */
        }
    }
    return "unknown";
}
