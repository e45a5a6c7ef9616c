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
];

/**
 * The cause of a failed run from its error messages: every distinct line that says something, in order, without the
 * engine's wrappers, stack frames and repeats (a provider error the engine prints as `AuthError: msg: AuthError: msg`
 * is shown once), made public with {@link publicText}.
 */
export function causeOf(messages: readonly string[], projectDir?: string): string {
    const lines: string[] = [];
    for (const raw of messages.flatMap((m) => m.split("\n"))) {
        let l = raw.trim();
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
    const text = kept.length > 0 ? kept.join("\n") : "the run failed without a message";
    return text.length > 2000 ? text.slice(0, 1999) + "…" : text;
}
