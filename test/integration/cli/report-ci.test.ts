/**
 * examples/ci/github-actions.yml: the workflow parses as YAML, has the PR and nightly jobs, and every `clientpolicy …`
 * command it runs exists in the real command tree with the flags it passes (and valid values for the enumerated ones).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { parse } from "yaml";
import { buildProgram } from "../../../cli/main";
import { FAIL_ON, FORMATS, parseList } from "../../../cli/report/flags";
import { MODES } from "../../../api/report";
import { parseShard } from "../../../cli/report/shard";

const FILE = path.resolve(__dirname, "../../../examples/ci/github-actions.yml");

/** Every `clientpolicy …` invocation in the workflow's `run` and `script` texts, as argument lists. */
function invocations(workflow: any): string[][] {
    const texts: string[] = [];
    for (const job of Object.values<any>(workflow.jobs)) for (const step of job.steps) {
        if (typeof step.run === "string") texts.push(step.run);
        if (typeof step.with?.script === "string") texts.push(step.with.script);
    }
    const out: string[][] = [];
    for (const line of texts.join("\n").split("\n")) {
        const m = /(?:^|\s)(?:npx\s+(?:--no-install\s+)?)?clientpolicy\s+(.*)$/.exec(line.trim());
        if (!m || line.trim().startsWith("#")) continue;
        // GitHub expressions become a sample value; shell globs stay (they name files).
        out.push(m[1].replace(/\$\{\{\s*matrix\.shard\s*\}\}/g, "1").split(/\s+/).filter(Boolean));
    }
    return out;
}

function check(program: Command, args: string[]): void {
    let cmd = program;
    let i = 0;
    while (i < args.length && !args[i].startsWith("-")) {
        const sub = cmd.commands.find((c) => c.name() === args[i]);
        if (!sub) break;
        cmd = sub;
        i++;
    }
    assert.notEqual(cmd, program, `no such command: clientpolicy ${args.join(" ")}`);
    const longs = new Map(cmd.options.map((o) => [o.long!, o]));
    for (; i < args.length; i++) {
        const a = args[i];
        if (!a.startsWith("--")) continue;
        const opt = longs.get(a);
        assert.ok(opt, `clientpolicy ${cmd.name()} has no option ${a} (in: clientpolicy ${args.join(" ")})`);
        if (!opt.required) continue;
        const value = args[++i];
        if (a === "--mode") assert.ok((MODES as readonly string[]).includes(value), `--mode ${value}`);
        if (a === "--format") parseList(a, value, FORMATS);
        if (a === "--fail-on") parseList(a, value, FAIL_ON);
        if (a === "--shard") parseShard(value);
    }
}

describe("examples/ci/github-actions.yml", () => {
    const workflow = parse(fs.readFileSync(FILE, "utf8"));

    it("parses and has the pull-request plan comment, the apply job behind an environment and the nightly drift job", () => {
        assert.ok(workflow.on.pull_request && workflow.on.push && workflow.on.schedule, "triggers");
        assert.equal(workflow.jobs.plan.if, "github.event_name == 'pull_request'");
        assert.equal(workflow.jobs.apply.environment, "tenants");
        assert.ok(workflow.jobs.drift, "drift job");
        // The PR comment found by the report's marker is updated in place, else one is created.
        assert.match(workflow.jobs.plan.steps.map((s: any) => s.run ?? "").join(""), /--method PATCH[\s\S]*gh pr comment/);
    });

    it("names only commands and flags that exist", () => {
        const calls = invocations(workflow);
        // The pull-request job reads the tenant (full: code and tenant), so the comment shows what `up` will meet.
        assert.deepEqual(calls.map((c) => c.slice(0, 3).join(" ")), ["report --mode full", "report --mode drift"]);
        const program = buildProgram();
        for (const c of calls) check(program, c);
        // The check itself catches a flag that does not exist.
        assert.throws(() => check(program, ["report", "--mode", "drift", "--shards", "2"]), /has no option --shards/);
        assert.throws(() => check(program, ["report", "--mode", "drfit"]), /--mode drfit/);
        assert.throws(() => check(program, ["reprot"]), /no such command/);
    });
});
