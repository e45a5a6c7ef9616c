// Preloaded through NODE_OPTIONS (`--require`) by bench/cli-1000.bench.ts into every node process the Pulumi CLI
// starts (the program, run by the language host through @pulumi/pulumi's cmd/run, and the dynamic-provider plugin).
// At exit it appends one JSON line to $BENCH_RSS_FILE: the process's role and its peak resident set size in KiB
// (process.resourceUsage().maxRSS, the kernel's ru_maxrss).
"use strict";
const fs = require("node:fs");
const file = process.env.BENCH_RSS_FILE;
if (file) {
    const argv = process.argv.join(" ");
    const role = /cmd[\\/]run/.test(argv) ? "program" : /dynamic-provider/.test(argv) ? "provider" : "other";
    process.on("exit", () => {
        try {
            fs.appendFileSync(file, JSON.stringify({ pid: process.pid, role, maxRssKiB: process.resourceUsage().maxRSS }) + "\n");
        } catch {
            // A benchmark aid: never change how the measured process exits.
        }
    });
}
