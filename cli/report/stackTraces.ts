/**
 * Stack traces of a fleet run's program in the program's own TypeScript lines, for both ways a run executes it: in the
 * report's process (cli/report/inlineRun.ts) and in a program process per stack (cli/report/programLoader.ts, which
 * loads this module's JavaScript from the run folder, so it imports Node's built-in modules only).
 */
import * as nodeModule from "node:module";

/** The program's files: which paths are its own, and the emitted JavaScript of each (with its inline source map). */
export interface ProgramFiles {
    has(file: string): boolean;
    text(file: string): string | undefined;
}

/**
 * Stack traces point at the program's TypeScript lines, as under ts-node: a frame in one of the program's files (run as
 * the JavaScript emitted for it, under the source's own path) gets the position its inline source map gives; every
 * other frame is left as Node formats it. Not `process.setSourceMapsEnabled(true)`: that maps every stack trace this
 * process takes through Node's source-map formatting, and @pulumi/pulumi takes several for every resource of every
 * stack (`debuggablePromise`, the source position of each registration), about 0.25 s of CPU in a 20-stack drift run
 * (bench/RESULTS.md run 8); and in a program process @pulumi/pulumi's runner installs source-map-support, whose
 * formatter replaces Node's and looks for each map in the `.ts` file on disk, where there is none. This one wraps
 * whatever formatter is installed. A trace without a program frame costs one lookup per frame here. Each file's map is
 * parsed the first time one of its frames is formatted. Returns the function that puts the previous
 * `Error.prepareStackTrace` back.
 */
export function mapProgramFrames(program: ProgramFiles): () => void {
    const previous = Error.prepareStackTrace;
    const format = previous ?? ((error: Error, frames: NodeJS.CallSite[]) => [String(error), ...frames.map((f) => `    at ${f}`)].join("\n"));
    const maps = new Map<string, nodeModule.SourceMap | null>();
    const mapOf = (file: string): nodeModule.SourceMap | null => {
        let map = maps.get(file);
        if (map === undefined) {
            const inline = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/.exec(program.text(file) ?? "");
            try {
                map = inline ? new nodeModule.SourceMap(JSON.parse(Buffer.from(inline[1], "base64").toString("utf8"))) : null;
            } catch {
                map = null;
            }
            maps.set(file, map);
        }
        return map;
    };
    const prepare = (error: Error, frames: NodeJS.CallSite[]): unknown => {
        const text = format(error, frames);
        if (typeof text !== "string" || !frames.some((f) => program.has(f.getFileName() ?? ""))) return text;
        // The last lines are the frames, one each, in order; the message above them may span lines.
        const lines = text.split("\n");
        const first = lines.length - frames.length;
        if (first < 1) return text;
        frames.forEach((frame, i) => {
            const file = frame.getFileName() ?? "";
            const line = frame.getLineNumber();
            const column = frame.getColumnNumber();
            if (!program.has(file) || line === null || column === null) return;
            const origin = mapOf(file)?.findOrigin(line, column);
            if (!origin || !("lineNumber" in origin)) return;
            lines[first + i] = lines[first + i].replace(`${file}:${line}:${column}`, `${file}:${origin.lineNumber}:${origin.columnNumber}`);
        });
        return lines.join("\n");
    };
    Error.prepareStackTrace = prepare;
    return () => {
        if (Error.prepareStackTrace === prepare) Error.prepareStackTrace = previous;
    };
}
