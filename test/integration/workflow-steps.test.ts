/**
 * The apply job's "Stacks to apply" step of examples/ci/github-actions.yml, run as written (its `run:` text, with
 * bash, in a fresh git copy of examples/multi-tenant): a change to one tenant's file applies that stack only, a change
 * to the program, the baseline or the package files applies every stack. GitHub's inputs are stubbed by what they
 * are documented to hold: `github.event.before` is the commit before the push.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT } from "../../testkit/stack";
import { tempDir } from "../../testkit/projectFolder";

type Step = { name?: string; run?: string };
const workflow = parse(fs.readFileSync(path.join(ROOT, "examples", "ci", "github-actions.yml"), "utf8")) as { jobs: Record<string, { steps: Step[] }> };
const selectStep = workflow.jobs.apply.steps.find((s) => s.name === "Stacks to apply")!.run!;

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
    const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8" });
    assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stdout}${r.stderr}`);
    return r.stdout;
}

describe("workflow: the apply job picks the stacks a push changed", () => {
    let repo: string;
    const git = (...args: string[]) => sh("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", ...args], repo).trim();
    /** Commits an edit of `file` and runs the step for that push; returns the stacks it wrote. */
    const push = (file: string): string[] => {
        const before = git("rev-parse", "HEAD");
        fs.appendFileSync(path.join(repo, file), "\n# edited\n");
        git("commit", "-qam", `edit ${file}`);
        sh("bash", ["-c", selectStep], repo, { ...process.env, BEFORE: before });
        return fs.readFileSync(path.join(repo, "stacks.txt"), "utf8").split("\n").filter(Boolean);
    };

    before(() => {
        repo = path.join(tempDir("clientpolicy-workflow-"), "config-repo");
        fs.cpSync(path.join(ROOT, "examples", "multi-tenant"), repo, { recursive: true, filter: (src) => !src.includes("node_modules") });
        sh("git", ["init", "-q", "-b", "main"], repo);
        git("add", "-A");
        git("commit", "-qm", "config repo");
    });
    after(() => fs.rmSync(path.dirname(repo), { recursive: true, force: true }));

    it("a tenant file: that stack", () => assert.deepEqual(push("tenants/fabrikam.yaml"), ["fabrikam"]));
    it("a stack settings file: that stack", () => assert.deepEqual(push("Pulumi.northwind.yaml"), ["northwind"]));
    for (const file of ["baseline.yaml", "index.ts", "package.json", "Pulumi.yaml"]) {
        it(`${file}: every stack`, () => {
            if (file === "package.json") {
                // JSON cannot take a comment line: change a field instead.
                const pkg = JSON.parse(fs.readFileSync(path.join(repo, file), "utf8"));
                pkg.description = "edited";
                const before = git("rev-parse", "HEAD");
                fs.writeFileSync(path.join(repo, file), JSON.stringify(pkg, null, 2) + "\n");
                git("commit", "-qam", "edit package.json");
                sh("bash", ["-c", selectStep], repo, { ...process.env, BEFORE: before });
                assert.deepEqual(fs.readFileSync(path.join(repo, "stacks.txt"), "utf8").split("\n").filter(Boolean), ["contoso", "fabrikam", "northwind"]);
                return;
            }
            assert.deepEqual(push(file), ["contoso", "fabrikam", "northwind"]);
        });
    }
    it("a first push (before = 0000…): falls back to the previous commit", () => {
        fs.appendFileSync(path.join(repo, "tenants/contoso.yaml"), "\n# edited\n");
        git("commit", "-qam", "edit contoso");
        sh("bash", ["-c", selectStep], repo, { ...process.env, BEFORE: "0000000000000000000000000000000000000000" });
        assert.deepEqual(fs.readFileSync(path.join(repo, "stacks.txt"), "utf8").split("\n").filter(Boolean), ["contoso"]);
    });
});

/** Runs a step's `run:` text as GitHub does (`bash -e`), with the step's `env:` given by the test, `gh` stubbed. */
function runStep(job: string, name: string, cwd: string, env: NodeJS.ProcessEnv): string {
    const step = workflow.jobs[job].steps.find((s) => s.name === name) as Step & { env?: Record<string, string> };
    assert.ok(step?.run, `${job}: no run step named ${name}`);
    // Every expression of the step's env must be one the test gives a value for.
    for (const key of Object.keys(step.env ?? {})) assert.ok(key in env, `${name}: the test gives no value for env ${key}`);
    const r = spawnSync("bash", ["-e", "-c", step.run!], { cwd, env, encoding: "utf8" });
    assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
    return r.stdout;
}

describe("workflow: the PR comment and the drift issue, through a stubbed gh with its documented effect", () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const state = () => JSON.parse(fs.readFileSync(path.join(dir, "gh-state.json"), "utf8"));
    before(() => {
        dir = tempDir("clientpolicy-gh-");
        env = {
            ...process.env, PATH: `${path.join(ROOT, "test", "fixtures", "gh-stub")}${path.delimiter}${process.env.PATH}`,
            GH_STUB_STATE: path.join(dir, "gh-state.json"), GH_TOKEN: "stub-token", GITHUB_REPOSITORY: "contoso/tenant-policies",
            PR: "7", RUN_URL: "https://github.example/contoso/tenant-policies/actions/runs/1",
        };
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("plan: the first run creates the PR comment, later runs update that comment (found by the report's marker)", () => {
        fs.mkdirSync(path.join(dir, "report"));
        const marker = "<!-- clientpolicy-report mode=plan project=tenant-policies stacks=contoso,fabrikam -->";
        // Another comment that is not ours, on the same PR.
        fs.writeFileSync(path.join(dir, "gh-state.json"), JSON.stringify({ issues: [], labels: [], nextId: 2, comments: [{ id: 1, issue: 7, body: "LGTM" }] }));
        fs.writeFileSync(path.join(dir, "report", "report.md"), `${marker}\n# plan 1\n`);
        runStep("plan", "Post or update the PR comment", dir, env);
        fs.writeFileSync(path.join(dir, "report", "report.md"), `${marker}\n# plan 2 "quoted" $(not run)\n`);
        runStep("plan", "Post or update the PR comment", dir, env);
        assert.deepEqual(state().comments, [{ id: 1, issue: 7, body: "LGTM" }, { id: 2, issue: 7, body: `${marker}\n# plan 2 "quoted" $(not run)\n` }]);
    });

    it("drift: none → no issue; drift → one issue opened, then updated; clean → commented and closed", () => {
        fs.rmSync(path.join(dir, "gh-state.json"), { force: true });
        fs.mkdirSync(path.join(dir, "drift-report"), { recursive: true });
        const drift = (code: number, report: string) => {
            fs.writeFileSync(path.join(dir, "drift-report", "exit-code"), `${code}\n`);
            fs.writeFileSync(path.join(dir, "drift-report", "report.md"), report);
            runStep("drift", "Open, update or close the drift issue", dir, env);
            return fs.existsSync(path.join(dir, "gh-state.json")) ? state() : { issues: [] };
        };
        assert.deepEqual(drift(0, "clean\n").issues, []);
        let s = drift(2, "contoso: Global drifted\n");
        assert.equal(s.issues.length, 1);
        assert.deepEqual([s.issues[0].title, s.issues[0].labels, s.issues[0].state], ["Tenant drift", ["drift"], "open"]);
        assert.match(s.issues[0].body, /^contoso: Global drifted\n\n\nRun: https:\/\/github\.example\/.*\/runs\/1\n$/);
        s = drift(3, "fabrikam: unreadable\n");
        assert.equal(s.issues.length, 1, "updated, not a second issue");
        assert.match(s.issues[0].body, /^fabrikam: unreadable/);
        s = drift(0, "clean\n");
        assert.deepEqual([s.issues[0].state, s.issues[0].comments], ["closed", ["Clean again: https://github.example/contoso/tenant-policies/actions/runs/1"]]);
        s = drift(2, "again\n");
        assert.deepEqual(s.issues.map((i: { state: string }) => i.state), ["closed", "open"], "a new drift after a close opens a new issue");
    });
});
