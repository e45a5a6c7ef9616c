/**
 * examples/ci/github-actions.yml, run job by job the way a GitHub runner runs it, against emulator tenants with the
 * real Pulumi CLI.
 *
 * For the plan, apply and drift jobs, EVERY step runs in order in a fresh checkout of the config repo
 * (examples/multi-tenant, a git repository of its own):
 * - a `run:` step is executed exactly as written, with GitHub's default shell (`bash --noprofile --norc -eo pipefail
 *   <script file>`), the workflow's, job's and step's `env:`, and a runner's default variables;
 * - a `uses:` step is replaced by its documented effect from {@link ACTIONS}: an action missing there fails the test,
 *   so a new action in the workflow cannot be skipped silently;
 * - every `${{ … }}` (and every `if:`) is looked up in {@link EXPRESSIONS}, the contexts the test provides; an
 *   expression missing there fails the test;
 * - step and job keys the runner here does not model (`shell:`, `working-directory:`, `continue-on-error:` …) fail
 *   the test too.
 * `gh` is the stub of test/fixtures/gh-stub (its documented effect on a repository kept as JSON).
 *
 * The story: the stacks exist and are deployed (setup, outside the workflow); a PR changes tenants/fabrikam.yaml →
 * the plan job comments the report on the PR; the merge (a push to main) → the apply job updates fabrikam only; an
 * administrator changes contoso by hand → the nightly drift job opens the `drift` issue; `pulumi up --refresh` repairs
 * it → the next drift run closes the issue.
 *
 * The config repo sits at `<package>/examples/<checkout>` as in this repository, because its package.json installs
 * this package from `file:../..` (`npm ci` packs it, running its `prepare`): `<package>` is a clone of the working
 * tree with the repository's node_modules (for `prepare`'s TypeScript). npm reads the machine's npm cache (what
 * setup-node's `cache: npm` restores) and prefers it to the registry.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { parsePolicyIdentity } from "../../api/identity";
import { tempDir, toolPath } from "../../testkit/projectFolder";
import { ROOT, TEST_PASSPHRASE } from "../../testkit/stack";
import { CONFIG_KEYS } from "../../provider/config";
import { startTestEmulator, type TestTenant } from "../../testkit/emulator";

const WORKFLOW_FILE = path.join(ROOT, "examples", "ci", "github-actions.yml");
const STACKS = ["contoso", "fabrikam", "northwind"] as const;
const tenantOf = (stack: string) => `${stack}.example`;
const PR = 7;
const REPOSITORY = "contoso/tenant-policies";
const RUN_ID = "4242";

type Json = Record<string, any>;
interface Step { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string }
interface Job { if?: string; "runs-on"?: string; permissions?: unknown; environment?: string; env?: Record<string, string>; steps: Step[] }
interface Workflow { env?: Record<string, string>; jobs: Record<string, Job> }

/** Step and job keys whose effect this runner models; any other key fails the test. */
const STEP_KEYS = new Set(["name", "uses", "with", "run", "env", "if"]);
/** `permissions` only scope the job's token (the gh stub takes any); `environment` waits for approval (given). */
const JOB_KEYS = new Set(["if", "runs-on", "permissions", "environment", "env", "steps"]);

/** What one job run sees: the event, the commit checked out, where things are. */
interface Run {
    event: "pull_request" | "push" | "schedule";
    /** The ref actions/checkout fetches (the PR's merge ref, or the pushed branch). */
    ref: string;
    /** github.event.before of a push. */
    before?: string;
    workspace: string;
    /** Environment of the job: runner defaults, then the workflow's, the job's, and what actions add. */
    env: NodeJS.ProcessEnv;
    artifacts: string;
}

/** The test's stand-ins: the config repo's origin, the backend, the secrets. */
interface World {
    /** The test's temp folder. */
    work: string;
    origin: string;
    backend: string;
}
let world: World;

/**
 * The contexts the test provides, one entry per expression text the workflow may use (in `${{ }}` or `if:`). An
 * expression that is not here fails the test.
 */
const EXPRESSIONS: Record<string, (r: Run) => string | boolean> = {
    "secrets.PULUMI_BACKEND_URL": () => `file://${world.backend}`,
    "secrets.PULUMI_CONFIG_PASSPHRASE": () => TEST_PASSPHRASE,
    "github.token": () => "stub-token",
    "github.event.number": () => String(PR),
    "github.event.before": (r) => r.before ?? assert.fail("github.event.before outside a push"),
    "github.server_url": () => "https://github.com",
    "github.repository": () => REPOSITORY,
    "github.run_id": () => RUN_ID,
    "github.event_name == 'pull_request'": (r) => r.event === "pull_request",
    "github.event_name == 'push'": (r) => r.event === "push",
    "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'": (r) => r.event === "schedule",
    "success()": () => true, // evaluated by the runner below: only reached while no step failed
    "always()": () => true,
    // hashFiles() is '' when no file matches the pattern.
    "always() && hashFiles('report/report.md') != ''": (r) => fs.existsSync(path.join(r.workspace, "report", "report.md")),
};

function evaluate(expr: string, r: Run): string | boolean {
    const text = expr.trim();
    const f = EXPRESSIONS[text];
    assert.ok(f, `the workflow uses the expression \`${text}\`, which the test's EXPRESSIONS table does not provide`);
    return f(r);
}

/** Substitutes every `${{ … }}` of `text`. */
function substitute(text: string, r: Run): string {
    return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expr: string) => String(evaluate(expr, r)));
}

/** An `if:` (with or without `${{ }}`). */
function condition(text: string | undefined, r: Run, fallback = "success()"): boolean {
    const m = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(text ?? "");
    const v = evaluate(m ? m[1] : (text ?? fallback), r);
    assert.equal(typeof v, "boolean", `if: ${text} is not a condition`);
    return v as boolean;
}

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
    const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, `${cmd} ${args.join(" ")} (in ${cwd}): ${r.stdout}${r.stderr}`);
    return r.stdout.trim();
}

/** Runs a process without blocking the event loop (the emulator answers from this process). */
function exec(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, input?: string): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
        let output = "";
        const take = (d: Buffer) => { output += d; if (process.env.E2E_VERBOSE) process.stdout.write(d); };
        child.stdout.on("data", take);
        child.stderr.on("data", take);
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, output }));
        child.stdin.end(input ?? "");
    });
}

/**
 * The documented effect of each action the workflow uses, keyed by its exact `uses:`. A step whose action is not
 * here fails the test.
 */
const ACTIONS: Record<string, (r: Run, w: Record<string, unknown>) => Promise<void> | void> = {
    // A fresh clone of the repository at the event's ref, `fetch-depth` commits deep (default 1; 0 = all history).
    "actions/checkout@v4": (r, w) => {
        const depth = Number(w["fetch-depth"] ?? 1);
        fs.mkdirSync(r.workspace, { recursive: true });
        sh("git", ["init", "-q", r.workspace], r.workspace);
        sh("git", ["fetch", "-q", ...(depth > 0 ? [`--depth=${depth}`] : []), `file://${world.origin}`, r.ref], r.workspace);
        sh("git", ["checkout", "-q", "--detach", "FETCH_HEAD"], r.workspace);
    },
    // Node on PATH (the machine's Node 22, checked against node-version); `cache: npm` restores npm's cache.
    "actions/setup-node@v4": (r, w) => {
        const version = sh("node", ["--version"], r.workspace, r.env);
        assert.equal(version.split(".")[0], `v${w["node-version"]}`, "node-version");
        if (w.cache === "npm") {
            r.env.npm_config_cache = sh("npm", ["config", "get", "cache"], r.workspace, { ...process.env, PATH: toolPath() });
            r.env.npm_config_prefer_offline = "true";
        }
    },
    // Installs the Pulumi CLI on PATH (no command given: install only). The backend is the job's PULUMI_BACKEND_URL.
    "pulumi/actions@v6": (r) => {
        r.env.PATH = `${path.join(ROOT, ".tools", "bin")}${path.delimiter}${r.env.PATH}`;
        assert.ok(String(r.env.PULUMI_BACKEND_URL).startsWith("file://"), "the job's PULUMI_BACKEND_URL");
    },
    // Stores `path` as the run's artifact `name` (a missing path only warns: if-no-files-found defaults to warn).
    "actions/upload-artifact@v4": (r, w) => {
        const src = path.join(r.workspace, String(w.path));
        const dest = path.join(r.artifacts, String(w.name));
        fs.rmSync(dest, { recursive: true, force: true }); // this run's artifact, not an earlier run's
        if (fs.existsSync(src)) fs.cpSync(src, dest, { recursive: true });
    },
};

interface StepResult { name: string; outcome: "success" | "failure" | "skipped"; output: string }

let runCount = 0;
/** How long each `run:` step took (printed at the end). */
const stepTimings: string[] = [];
/**
 * Runs job `name` of the workflow for the event `r` describes: checks that it is the one job the event starts, then
 * every step in order. Returns each step's outcome.
 */
async function runJob(wf: Workflow, name: string, run: Omit<Run, "workspace" | "env" | "artifacts">, base: NodeJS.ProcessEnv, artifacts: string): Promise<StepResult[]> {
    const workspace = path.join(path.dirname(world.origin), `${name}-${++runCount}`);
    const r: Run = { ...run, workspace, artifacts, env: {} };
    const started = jobsFor(wf, r);
    assert.deepEqual(started, [name], `the ${r.event} event starts ${started.join(", ")}`);
    const job = wf.jobs[name];
    for (const key of Object.keys(job)) assert.ok(JOB_KEYS.has(key), `job ${name}: the test does not model \`${key}:\``);
    const temp = fs.mkdtempSync(path.join(world.work, `runner-${name}-`));
    const summary = path.join(temp, "step-summary.md");
    fs.writeFileSync(summary, "");
    // The runner's default variables, then the workflow's and the job's env.
    r.env = {
        ...base, CI: "true", GITHUB_ACTIONS: "true", GITHUB_REPOSITORY: REPOSITORY, GITHUB_EVENT_NAME: r.event,
        GITHUB_REF: r.ref, GITHUB_WORKSPACE: workspace, GITHUB_RUN_ID: RUN_ID, GITHUB_SERVER_URL: "https://github.com",
        GITHUB_STEP_SUMMARY: summary, RUNNER_TEMP: temp,
    };
    for (const [k, v] of Object.entries({ ...wf.env, ...job.env })) r.env[k] = substitute(String(v), r);
    const results: StepResult[] = [];
    let failed = false;
    for (const [i, step] of job.steps.entries()) {
        for (const key of Object.keys(step)) assert.ok(STEP_KEYS.has(key), `${name} step ${i + 1}: the test does not model \`${key}:\``);
        const label = step.name ?? step.uses ?? step.run!.split("\n")[0];
        if (!(condition(step.if, r) && (!failed || step.if !== undefined && /always\(\)/.test(step.if)))) {
            results.push({ name: label, outcome: "skipped", output: "" });
            continue;
        }
        if (step.uses) {
            const action = ACTIONS[step.uses];
            assert.ok(action, `${name}: \`uses: ${step.uses}\` has no documented effect in the test's ACTIONS table`);
            const w: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(step.with ?? {})) w[k] = typeof v === "string" ? substitute(v, r) : v;
            await action(r, w);
            results.push({ name: label, outcome: "success", output: "" });
            continue;
        }
        assert.ok(typeof step.run === "string", `${name} step ${i + 1}: neither uses nor run`);
        const env = { ...r.env };
        for (const [k, v] of Object.entries(step.env ?? {})) env[k] = substitute(String(v), r);
        const script = path.join(temp, `step-${i + 1}.sh`);
        fs.writeFileSync(script, substitute(step.run, r));
        const t0 = Date.now();
        const res = await exec("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], workspace, env);
        stepTimings.push(`${name} › ${label} ${((Date.now() - t0) / 1000).toFixed(0)} s`);
        if (res.code !== 0) failed = true;
        results.push({ name: label, outcome: res.code === 0 ? "success" : "failure", output: res.output });
    }
    return results;
}

/** The jobs whose `if:` holds for the event. */
function jobsFor(wf: Workflow, r: Run): string[] {
    return Object.keys(wf.jobs).filter((j) => condition(wf.jobs[j].if ?? "success()", r));
}

/** Every step succeeded or was skipped; else the failing step's output. */
function assertJobPassed(steps: StepResult[]): void {
    const bad = steps.find((s) => s.outcome === "failure");
    assert.ok(!bad, bad && `step "${bad.name}" failed:\n${bad.output.slice(-6000)}`);
}

const keyOf = (identity: string) => (parsePolicyIdentity(identity) as { key: string }).key;

describe("e2e: the config repo's workflow, every step run as GitHub runs it", function () {
    this.timeout(900_000);
    const workflow = parse(fs.readFileSync(WORKFLOW_FILE, "utf8")) as Workflow;
    const secret = "wf-secret-" + crypto.randomBytes(8).toString("hex");
    let work: string;
    let emu: TestTenant;
    let base: NodeJS.ProcessEnv;
    let ghState: string;
    let artifacts: string;
    const timings: string[] = [];
    const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
        const t0 = Date.now();
        try { return await f(); } finally { timings.push(`${what} ${((Date.now() - t0) / 1000).toFixed(0)} s`); }
    };
    const git = (...args: string[]) => sh("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", ...args], world.origin);
    const gh = () => JSON.parse(fs.readFileSync(ghState, "utf8")) as { issues: Json[]; comments: Json[]; labels: string[] };
    /** `pulumi` in the origin (setup and repairs, outside the workflow). */
    const pulumi = async (input: string | undefined, ...args: string[]) => {
        const r = await exec("pulumi", args, world.origin, { ...base, PULUMI_BACKEND_URL: `file://${world.backend}`, PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE }, input);
        assert.equal(r.code, 0, `pulumi ${args.join(" ")}: ${r.output.slice(-4000)}`);
        return r.output;
    };
    const writes = async () => Object.fromEntries(await Promise.all(STACKS.map(async (s) => [s, (await emu.stats(tenantOf(s))).writes] as const)));

    before(async function () {
        const t0 = Date.now();
        work = tempDir("clientpolicy-workflow-run-");
        emu = await startTestEmulator({ clientSecret: secret });
        // The package the config repo installs from file:../..: this working tree's package as a registry serves it
        // (packed and unpacked by scripts/install-self.sh into node_modules; npm runs no `prepare` for a registry
        // package, so a directory dependency here does not rebuild it on every `npm ci`).
        const pkg = path.join(work, "clientpolicy-as-code");
        sh("bash", [path.join(ROOT, "scripts", "install-self.sh")], ROOT); // a no-op when the installed copy is current
        fs.cpSync(path.join(ROOT, "node_modules", "clientpolicy-as-code"), pkg, { recursive: true, filter: (src) => path.basename(src) !== ".source-hash" });
        const manifest = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8"));
        delete manifest.scripts.prepare;
        fs.writeFileSync(path.join(pkg, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
        // The config repo: examples/multi-tenant as a git repository of its own (the origin every checkout fetches),
        // at the same place in the package's folder as in this repository.
        const origin = path.join(pkg, "examples", "multi-tenant");
        // Its files as the working tree has them (tracked and new, minus ignored ones: no node_modules or local stacks).
        const example = path.join("examples", "multi-tenant");
        for (const f of sh("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard", example], ROOT).split("\0").filter(Boolean)) {
            if (!fs.existsSync(path.join(ROOT, f))) continue; // deleted in the working tree
            fs.mkdirSync(path.dirname(path.join(origin, path.relative(example, f))), { recursive: true });
            fs.copyFileSync(path.join(ROOT, f), path.join(origin, path.relative(example, f)));
        }
        world = { work, origin, backend: path.join(work, "backend") };
        fs.mkdirSync(world.backend);
        sh("git", ["init", "-q", "-b", "main"], origin);
        git("add", "-A");
        git("commit", "-qm", "config repo");
        ghState = path.join(work, "gh-state.json");
        artifacts = path.join(work, "artifacts");
        // The runner's machine: this repository's Node and tools, the gh stub, no tenant or npm settings of its own.
        base = { ...process.env };
        for (const key of Object.keys(base)) if (/^(PULUMI_|CLIENTPOLICY_|npm_|GITHUB_)/.test(key)) delete base[key];
        for (const spec of CONFIG_KEYS) delete base[spec.env];
        Object.assign(base, {
            PATH: `${path.join(ROOT, "test", "fixtures", "gh-stub")}${path.delimiter}${toolPath()}`,
            HOME: path.join(work, "home"), TMPDIR: work, NO_COLOR: "1",
            PULUMI_HOME: process.env.PULUMI_HOME ?? path.join(ROOT, ".tools", "pulumi-home"),
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", PULUMI_SKIP_UPDATE_CHECK: "true",
            GH_STUB_STATE: ghState,
            npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false",
        });
        fs.mkdirSync(base.HOME!);

        // Setup, outside the workflow: the stacks exist, their connection is committed (the secret encrypted), and
        // each is deployed.
        await timed("setup npm ci", async () => {
            const r = await exec("npm", ["ci", "--prefer-offline", "--loglevel=error"], origin, { ...base, npm_config_cache: sh("npm", ["config", "get", "cache"], work, { ...process.env, PATH: toolPath() }) });
            assert.equal(r.code, 0, r.output);
        });
        await timed("setup stacks", async () => {
            await Promise.all(STACKS.map(async (s) => {
                await pulumi(undefined, "stack", "init", s);
                await pulumi(undefined, "config", "set", "--stack", s, "clientpolicy:endpoint", emu.url);
                await pulumi(secret, "config", "set", "--stack", s, "--secret", "clientpolicy:clientSecret");
            }));
            git("commit", "-qm", "stacks: endpoint and secret", "--", ...STACKS.map((s) => `Pulumi.${s}.yaml`));
            await Promise.all(STACKS.map((s) => pulumi(undefined, "up", "--yes", "--non-interactive", "--stack", s)));
        });
        timings.push(`setup total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    });
    after(async () => {
        const t0 = Date.now();
        await emu?.stop();
        if (work && !process.env.E2E_KEEP) fs.rmSync(work, { recursive: true, force: true });
        timings.push(`cleanup ${((Date.now() - t0) / 1000).toFixed(0)} s`);
        console.log(`      timings: ${timings.join(", ")}\n      steps: ${stepTimings.join(", ")}`);
    });

    const runAs = (job: string, run: Omit<Run, "workspace" | "env" | "artifacts">) => timed(`${job} job`, () => runJob(workflow, job, run, base, artifacts));

    it("pull request changing tenants/fabrikam.yaml: the plan job comments the report on the PR", async () => {
        git("checkout", "-qb", `pr-${PR}`);
        const file = path.join(world.origin, "tenants", "fabrikam.yaml");
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("maximumNumberOfContacts: 500", "maximumNumberOfContacts: 400"));
        git("commit", "-qam", "fabrikam: contact lists capped at 400");
        // GitHub's merge ref of the PR: the branch merged into main.
        git("checkout", "-q", "main");
        git("merge", "-q", "--no-ff", "--no-commit", `pr-${PR}`);
        const tree = git("write-tree");
        const merge = git("commit-tree", tree, "-p", "main", "-p", `pr-${PR}`, "-m", `Merge pr-${PR} into main`);
        git("reset", "-q", "--hard", "main");
        git("update-ref", `refs/pull/${PR}/merge`, merge);
        fs.writeFileSync(ghState, JSON.stringify({ issues: [], labels: [], nextId: 1, comments: [{ id: 100, issue: PR, body: "LGTM" }] }));

        const steps = await runAs("plan", { event: "pull_request", ref: `refs/pull/${PR}/merge` });
        assertJobPassed(steps);
        assert.deepEqual(steps.map((s) => s.outcome), steps.map(() => "success"), "every step of the plan job ran");
        // npm ci installed the package from file:../.. as a real copy (the config repo's .npmrc: install-links).
        const installed = path.join(path.dirname(world.origin), "plan-1", "node_modules", "clientpolicy-as-code");
        assert.ok(!fs.lstatSync(installed).isSymbolicLink() && fs.existsSync(path.join(installed, "dist", "cli", "main.js")), installed);
        const report = JSON.parse(fs.readFileSync(path.join(artifacts, "plan-report", "report.json"), "utf8")) as Json;
        assert.equal(report.mode, "full");
        const status = Object.fromEntries((report.tenants as Json[]).map((t) => [t.stack, t.status]));
        assert.deepEqual(status, { contoso: "clean", fabrikam: "changed", northwind: "clean" }, JSON.stringify(report.tenants, null, 1).slice(0, 3000));
        const fabrikam = (report.tenants as Json[]).find((t) => t.stack === "fabrikam")!;
        assert.ok(fabrikam.changes.some((c: Json) => c.identity === "Global" && c.kind === "pending"
            && c.properties.some((p: Json) => /maximumNumberOfContacts/i.test(p.name ?? p.path ?? JSON.stringify(p)))), JSON.stringify(fabrikam.changes));
        const comments = gh().comments.filter((c) => c.issue === PR);
        assert.equal(comments.length, 2, "the existing comment and the report's");
        const body = comments[1].body as string;
        assert.equal(body, fs.readFileSync(path.join(artifacts, "plan-report", "report.md"), "utf8"));
        assert.match(body.split("\n")[0], /^<!-- clientpolicy-report mode=full /);
        assert.match(body, /maximumNumberOfContacts/);
        assert.ok(!body.includes(secret), "the tenant secret is masked");
    });

    it("merge (push to main): the apply job updates fabrikam only", async () => {
        const before = git("rev-parse", "main");
        git("merge", "-q", "--no-ff", "-m", `Merge pull request #${PR}`, `pr-${PR}`);
        const w0 = await writes();
        const steps = await runAs("apply", { event: "push", ref: "refs/heads/main", before });
        assertJobPassed(steps);
        assert.deepEqual(steps.map((s) => s.outcome), steps.map(() => "success"));
        const w1 = await writes();
        assert.ok(w1.fabrikam > w0.fabrikam, "fabrikam written");
        assert.deepEqual([w1.contoso, w1.northwind], [w0.contoso, w0.northwind], "contoso and northwind untouched");
        const global = emu.stored(tenantOf("fabrikam"))!.policies[keyOf("Global")];
        assert.equal(global.settings.MaximumNumberOfContacts, 400);
        const log = steps.map((s) => s.output).join("\n");
        assert.match(log, /stacks to apply: fabrikam $/m);
    });

    it("drift made by hand in contoso: the drift job opens the drift issue; after the repair it closes it", async () => {
        await emu.powershell("Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True", tenantOf("contoso"));
        const drift = await runAs("drift", { event: "schedule", ref: "refs/heads/main" });
        assertJobPassed(drift);
        assert.deepEqual(drift.map((s) => s.outcome), drift.map(() => "success"));
        assert.equal(fs.readFileSync(path.join(artifacts, "drift-report", "exit-code"), "utf8").trim(), "2", "drift: exit 2");
        let issues = gh().issues;
        assert.equal(issues.length, 1);
        assert.deepEqual([issues[0].title, issues[0].labels, issues[0].state], ["Tenant drift", ["drift"], "open"]);
        assert.match(issues[0].body, /contoso/);
        assert.match(issues[0].body, /enableIMAutoArchiving/);
        assert.match(issues[0].body, new RegExp(`Run: https://github\\.com/${REPOSITORY}/actions/runs/${RUN_ID}\\n$`));
        assert.ok(!issues[0].body.includes(secret));
        const report = JSON.parse(fs.readFileSync(path.join(artifacts, "drift-report", "report.json"), "utf8")) as Json;
        assert.deepEqual(Object.fromEntries((report.tenants as Json[]).map((t) => [t.stack, t.status])), { contoso: "changed", fabrikam: "clean", northwind: "clean" });

        // The repair, outside the workflow: up with a refresh first (the drift run never writes state).
        await pulumi(undefined, "up", "--yes", "--non-interactive", "--refresh", "--stack", "contoso");
        assert.equal(emu.stored(tenantOf("contoso"))!.policies[keyOf("Global")].settings.EnableIMAutoArchiving, false);
        const clean = await runAs("drift", { event: "schedule", ref: "refs/heads/main" });
        assertJobPassed(clean);
        assert.equal(fs.readFileSync(path.join(artifacts, "drift-report", "exit-code"), "utf8").trim(), "0", "clean: exit 0");
        issues = gh().issues;
        assert.equal(issues.length, 1);
        assert.equal(issues[0].state, "closed");
        assert.deepEqual(issues[0].comments, [`Clean again: https://github.com/${REPOSITORY}/actions/runs/${RUN_ID}`]);
    });
});
