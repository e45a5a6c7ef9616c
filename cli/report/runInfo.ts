/**
 * What a report run reads from its surroundings: the calendar day it runs on (UTC) and the git commit of the project
 * folder.
 */
import { spawnSync } from "node:child_process";

/** Today in UTC as YYYY-MM-DD (accept-rule expiry is by calendar day). */
export function today(now = new Date()): string {
    return now.toISOString().slice(0, 10);
}

/** The current git commit of the folder, or null outside a repository. */
export function gitSha(dir: string): string | null {
    const r = spawnSync("git", ["rev-parse", "HEAD"], { cwd: dir, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : null;
}
