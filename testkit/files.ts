/** File-system helpers shared by the suites that scan what a run left on disk (secrets, reliability). */
import * as fs from "node:fs";
import * as path from "node:path";

/** Every regular file under `dir` (recursively); none when it does not exist. */
export function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...filesUnder(p));
        else if (e.isFile()) out.push(p);
    }
    return out;
}
