/**
 * The README's "Adopting an existing tenant" walk-through, executed step by step: the commands are read from the
 * README's `<!-- adopt-walkthrough -->` block (so this test breaks when the README changes) and run with bash in an
 * empty project folder, with the real `clientpolicy` command (cli/main.ts run by ts-node: the command users get, from
 * this source tree), the real Pulumi CLI and a real emulator. Substitutions, and only these: the example endpoint, tenant and client id become the
 * emulator's, and the `npm install …` line is skipped because the folder lives under the repository, whose
 * node_modules already hold the installed package (installing from a git URL or tarball is covered by folder.test.ts).
 * Checks per step: the export wrote a program, the preview adopts, `up` leaves settings and grants byte-identical,
 * the refreshing preview has no changes and no write reaches the tenant after the take-over, and cmdlets prints none.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { folderEnv, tempDir } from "../../testkit/projectFolder";
import { ROOT } from "../../testkit/stack";
import { TestTenant, startTestEmulator } from "../../testkit/emulator";
import { dumpTenant, seedRichTenant } from "../../testkit/tenantFixtures";

/** The walk-through's steps: `[title, command lines]`, from the README block after the marker. */
export function walkthroughSteps(readme: string): Array<[string, string[]]> {
    const at = readme.indexOf("<!-- adopt-walkthrough -->");
    if (at < 0) throw new Error("README.md has no <!-- adopt-walkthrough --> block");
    const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
    if (!block) throw new Error("no ```sh block after <!-- adopt-walkthrough -->");
    const steps: Array<[string, string[]]> = [];
    for (const line of block[1].split("\n")) {
        if (/^# \d+\./.test(line)) steps.push([line.slice(2), []]);
        else if (line.trim() !== "") {
            if (steps.length === 0) throw new Error(`command before the first "# 1." step: ${line}`);
            steps[steps.length - 1][1].push(line);
        }
    }
    return steps;
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn("bash", ["-euo", "pipefail", "-c", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        const take = (d: Buffer) => { output += d; if (process.env.E2E_VERBOSE) process.stdout.write(d); };
        child.stdout.on("data", take);
        child.stderr.on("data", take);
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, output }));
    });
}

describe("README walk-through: adopting an existing tenant (real CLI, step by step)", function () {
    this.timeout(900_000);
    let tenant: TestTenant;
    let dir: string;
    let backend: string;
    let shim: string;

    before(async function () {
        tenant = await startTestEmulator({ users: 100 });
        await seedRichTenant(tenant, { extraTags: 2, grantedUsers: 30 });
        fs.mkdirSync(path.join(ROOT, ".tools", "work"), { recursive: true });
        dir = fs.mkdtempSync(path.join(ROOT, ".tools", "work", "adopt-"));
        backend = tempDir("clientpolicy-backend-");
        shim = tempDir("clientpolicy-bin-");
        const main = path.join(ROOT, "cli", "main.ts");
        fs.writeFileSync(path.join(shim, "clientpolicy"), "#!/usr/bin/env bash\n" +
            `TS_NODE_PROJECT=${JSON.stringify(path.join(ROOT, "tsconfig.json"))} exec node -r ts-node/register/transpile-only ${JSON.stringify(main)} "$@"\n`, { mode: 0o755 });
    });
    after(async () => {
        await tenant?.stop();
        for (const d of [dir, backend, shim]) if (d) fs.rmSync(d, { recursive: true, force: true });
    });

    it("runs every step of the README block against the emulator", async () => {
        const steps = walkthroughSteps(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"));
        assert.deepEqual(steps.map(([t]) => t.split(":")[0]), ["1. Export", "2. Review index.ts (where it came from and when, one ClientPolicy per policy, one PolicyGrant per granted policy), then make the folder a project and a stack of the same tenant", "3. Preview", "4. Up", "5. From now on"]);
        const base = folderEnv(backend);
        const env = { ...base, PATH: `${shim}:${base.PATH}`, CLIENTPOLICY_CLIENT_SECRET: tenant.clientSecret };
        const substitute = (line: string) => line.startsWith("npm install ")
            ? "true # npm install skipped by the test: the folder resolves the package from the node_modules of the repository"
            : line.split("https://tenant-api.example.com").join(tenant.url).split("contoso.onmicrosoft.com").join(tenant.tenantId)
                .split("00000000-0000-0000-0000-000000000000").join(tenant.clientId);
        const before = await dumpTenant(tenant, { withOwners: false });
        const outputs: string[] = [];
        let writesAfterUp = 0;
        for (const [title, lines] of steps) {
            const r = await bash(lines.map(substitute).join("\n"), dir, env);
            assert.equal(r.code, 0, `step "${title}" failed:\n${r.output.slice(-4000)}`);
            assert.ok(!r.output.includes(tenant.clientSecret), `step "${title}" printed the secret`);
            outputs.push(r.output);
            if (title.startsWith("1.")) {
                const program = fs.readFileSync(path.join(dir, "index.ts"), "utf8");
                assert.match(program, /^\/\/ Exported by `clientpolicy export` from tenant contoso\.example/);
                assert.equal((program.match(/adopt: true,/g) ?? []).length, 7 + 4);
            }
            if (title.startsWith("3.")) assert.match(r.output, /already matches this program/);
            if (title.startsWith("4.")) {
                assert.deepEqual(await dumpTenant(tenant, { withOwners: false }), before, "the take-over changed no setting or grant");
                writesAfterUp = (await tenant.stats()).writes;
            }
            if (title.startsWith("5.")) {
                assert.match(r.output, /# no changes: the tenant already matches the program/);
                assert.equal((await tenant.stats()).writes, writesAfterUp, "no write after the take-over");
            }
        }
        assert.equal(outputs.length, 5);
    });
});
