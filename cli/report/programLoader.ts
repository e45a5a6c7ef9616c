/**
 * The entry point of a fleet run's compiled program: copied as `program.js` into the run folder
 * (cli/report/compiledRun.ts) and started by @pulumi/pulumi's runner with `typescript: false`, so no stack's program
 * process loads ts-node or TypeScript.
 *
 * The program must run exactly as under ts-node in the project folder: every source file keeps its own path as
 * `__filename` (so `__dirname`, relative `require()`s and reads relative to the module resolve in the project), and
 * the working directory is the one Pulumi gives the project's program (the project folder, or the folder of its
 * `main`). So this module changes into that folder and serves each `.ts` file the JavaScript emitted for it by the
 * fleet's one type check, compiled under the source's own file name; the entry's exports are the stack's outputs.
 *
 * It reads `program.json` next to itself: `{ cwd, entry, files: { <source path>: <emitted .js path> } }`. It uses
 * Node's built-in modules and `stackTraces.js` (cli/report/stackTraces.ts, written beside it) only, because it runs
 * from the run folder, where nothing else resolves.
 */
import * as fs from "node:fs";
import * as nodeModule from "node:module";
import * as path from "node:path";

interface Manifest {
    /** The working directory Pulumi gives the project's own program. */
    cwd: string;
    /** The program's entry source file (absolute). */
    entry: string;
    /** The emitted JavaScript of each source file of the program, by absolute source path (symlinks resolved). */
    files: Record<string, string>;
}

type CompilingModule = { _compile(code: string, filename: string): unknown };
type Extensions = Record<string, (module: CompilingModule, filename: string) => void>;

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "program.json"), "utf8")) as Manifest;
process.chdir(manifest.cwd);
// Stack traces (and the source positions Pulumi records for resources) point at the TypeScript lines, as under ts-node:
// cli/report/stackTraces.ts, written next to this file in the run folder.
const { mapProgramFrames } = require("./stackTraces.js") as typeof import("./stackTraces");
mapProgramFrames({ has: (file) => Object.prototype.hasOwnProperty.call(manifest.files, file), text: (file) => fs.readFileSync(manifest.files[file], "utf8") });

const extensions = (nodeModule as unknown as { _extensions: Extensions })._extensions;
for (const ext of [".ts", ".tsx", ".cts"]) {
    extensions[ext] = (module, filename) => {
        const js = manifest.files[filename];
        if (js === undefined) {
            throw new Error(`${filename} is not part of the program type-checked for this fleet run (only the files the entry point imports are compiled); ` +
                "import it statically from the program, or set PULUMI_NODEJS_TRANSPILE_ONLY=true to let every stack load TypeScript through ts-node");
        }
        module._compile(fs.readFileSync(js, "utf8"), filename);
    };
}

module.exports = require(manifest.entry);
