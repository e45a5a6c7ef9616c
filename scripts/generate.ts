/**
 * Writes every generated file of the repository (the list and their sources: testkit/generated.ts) and prints the
 * ones it changed. `--check` writes nothing and exits 1 naming the stale ones (test/unit/generated.test.ts checks the
 * same).
 *
 *     npm run generate [-- --check]
 */
import { staleArtefacts, writeArtefacts } from "../testkit/generated";

function main(): number {
    if (process.argv.includes("--check")) {
        const stale = staleArtefacts().map((s) => s.file);
        if (stale.length > 0) {
            console.error(`stale generated files (run npm run generate): ${stale.join(", ")}`);
            return 1;
        }
        return 0;
    }
    const written = writeArtefacts();
    console.log(written.length > 0 ? `wrote ${written.join(", ")}` : "every generated file is current");
    return 0;
}

process.exitCode = main();
