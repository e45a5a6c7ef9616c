/**
 * Text a report publishes (a pull-request comment, a nightly issue): messages from the engine, the program and the
 * provider made stable and free of the runner's details. A request id changes on every run (so the comment would
 * change on every push) and an internal route or a machine path tells a reader nothing about the tenant; the cause
 * of a failure is kept whole.
 */
import * as path from "node:path";

/** `(request-id 0f3c…)` or `request-id: 0f3c…` as the provider's typed errors append them. */
const REQUEST_ID = /\s*\(?\brequest[- ]id[:\s]+[\w-]+\)?/gi;
/** `POST /t03.example/oauth2/v2.0/token: ` — the tenant API route the provider called. */
const ROUTE = /\b(?:GET|POST|PUT|PATCH|DELETE|HEAD) \/[^\s:;,)]*(?::\s*)?/g;
/** An absolute POSIX path not inside a URL: preceded by start, space, quote, parenthesis or `=`. */
const ABSOLUTE = /(?<=^|[\s'"`(=])\/(?:[^\s'"`():;,]+\/)*([^\s'"`():;,/]+)/g;

/**
 * `text` with request ids and API routes removed and paths made relative to `projectDir` (a path outside it keeps
 * only its file name, or its part from `node_modules/` on).
 */
export function publicText(text: string, projectDir?: string): string {
    let s = text.replace(REQUEST_ID, "").replace(ROUTE, "");
    if (projectDir) {
        const root = path.resolve(projectDir);
        s = s.split(root + path.sep).join("").split(root).join(".");
    }
    s = s.replace(ABSOLUTE, (whole: string, base: string) => {
        const i = whole.lastIndexOf("/node_modules/");
        return i >= 0 ? whole.slice(i + 1) : base;
    });
    return s.replace(/\(\s*\)/g, "").replace(/[ \t]{2,}/g, " ").trim();
}

/** Engine decoration and program boilerplate that carry no cause. */
const NOISE = [
    /^(error: )?(update|preview|refresh|destroy) failed$/i,
    /^at\s/,
    /^Running program '.*' failed with an unhandled exception:?$/i,
    /^an unhandled error occurred:?$/i,
    /^error: an unhandled error occurred: Program exited with non-zero exit code: -?\d+$/i,
    /^Program exited with non-zero exit code/i,
    /^\^+$/,
    /^(Node\.js v|\(Use `node --trace)/,
    /^One or more errors occurred\. Check logs for more details$/i,
];

/**
 * Wrappers before a cause: the inline-program server's `Unhandled exception: ` and its summary `One or more errors
 * occurred: <messages>` (@pulumi/pulumi automation/server.js), and the engine's `Preview failed: ` for a failed step
 * (pulumi/pulumi diag 2005, printed in drift mode's refresh too).
 */
const WRAPPER = /^(?:Unhandled exception|Preview failed|One or more errors occurred):\s*/i;
/** A stack frame's location: `at fn (/abs/file.ts:12:5)` or `at /abs/file.ts:12:5` (`file://` URLs too). */
const FRAME = /^at\s(?:.*\()?(?:file:\/\/)?(\/[^()]+?):(\d+):\d+\)?$/;
/** A file location a message already names (`tenants/contoso.yaml:2:1`, `index.ts(3,7)`). */
const LOCATION = /[\w.-]+\.(?:[cm]?[jt]s|ya?ml|json)(?::\d+|\(\d+,\d+\))/;

/**
 * The first stack frame inside the program's own files (under `projectDir`, outside `node_modules`), as
 * `file:line` relative to the project, or undefined.
 */
function programFrame(lines: readonly string[], projectDir: string): string | undefined {
    const root = path.resolve(projectDir) + path.sep;
    for (const l of lines) {
        const m = FRAME.exec(l);
        if (m && m[1].startsWith(root) && !m[1].includes(`${path.sep}node_modules${path.sep}`)) return `${m[1].slice(root.length)}:${m[2]}`;
    }
    return undefined;
}

/**
 * The cause of a failed run from its error messages: every distinct line that says something, in order, without the
 * engine's wrappers, stack frames and repeats (a provider error the engine prints as `AuthError: msg: AuthError: msg`
 * is shown once), made public with {@link publicText}. When the cause names no file location and the stack has a
 * frame in the program's own files (under `projectDir`), a last line `(thrown at index.ts:12)` says where.
 */
export function causeOf(messages: readonly string[], projectDir?: string): string {
    const lines: string[] = [];
    const raws = messages.flatMap((m) => m.split("\n")).map((l) => l.trim());
    for (const raw of raws) {
        let l = raw.replace(WRAPPER, "");
        if (!l || NOISE.some((n) => n.test(l))) continue;
        // `Name: message: Name: message` (the dynamic-provider host prints `${error}: ${error.stack}`).
        const half = /^(.+?):\s*\1$/.exec(l);
        if (half) l = half[1];
        l = l.replace(/:\s*$/, "");
        l = publicText(l, projectDir);
        if (!l || NOISE.some((n) => n.test(l))) continue;
        lines.push(l);
    }
    const kept = lines.filter((l, i) => lines.indexOf(l) === i && !lines.some((o) => o !== l && o.length > l.length && o.includes(l)));
    const where = projectDir && kept.length > 0 && !kept.some((l) => LOCATION.test(l)) ? programFrame(raws, projectDir) : undefined;
    if (where) kept.push(`(thrown at ${where})`);
    const text = kept.length > 0 ? kept.join("\n") : "the run failed without a message";
    return text.length > 2000 ? text.slice(0, 1999) + "…" : text;
}
