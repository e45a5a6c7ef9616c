// The baseline sides of bench/report.bench.ts (`trivial-plan-N`, `refresh-N`) as a process of their own, so that
// their CPU counts the process driving the runs as the report's sides count the `clientpolicy` process: each stack's
// `pulumi preview` (`preview`) or `pulumi refresh --preview-only` without the program (`refresh`) through the
// Automation API of this repository's @pulumi/pulumi, BENCH_PARALLEL at a time, in the project folder, with Pulumi's
// defaults otherwise (ts-node type-checks a TypeScript program in every run). Plain CommonJS so that nothing but the
// Automation API is loaded, as in the report.
//
// Usage: node bench/lib/eachStack.cjs <preview|refresh> <project folder> <stack>...   (environment: the fleet's)
// Exits 0 when every run succeeded, 1 with the first failure on stderr.
"use strict";
const { LocalWorkspace, Stack } = require("@pulumi/pulumi/automation");

async function main() {
    const [op, workDir, ...stacks] = process.argv.slice(2);
    if (op !== "preview" && op !== "refresh") throw new Error(`first argument: preview or refresh, not ${op}`);
    const parallel = Number(process.env.BENCH_PARALLEL || 2);
    const envVars = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) envVars[k] = v;
    // The CLI refuses --preview-only with --yes, which PULUMI_SKIP_CONFIRMATIONS=true implies.
    envVars.PULUMI_SKIP_CONFIRMATIONS = "false";
    const ws = await LocalWorkspace.create({ workDir, envVars });
    // As the report does: every command names its stack, so no `pulumi stack select` per stack.
    ws.selectStack = async () => {};
    const queue = [...stacks];
    const worker = async () => {
        for (let s = queue.shift(); s; s = queue.shift()) {
            const stack = await Stack.select(s, ws);
            if (op === "preview") await stack.preview();
            else await stack.previewRefresh();
        }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
}

main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
});
