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
import { ROOT } from "../../scripts/lib/stack";
import { tempDir } from "../../scripts/lib/projectFolder";

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
