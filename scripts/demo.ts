/**
 * `npm run demo`: the offline-IM article, end to end, as a user runs it — the commands a user types, run in place in
 * examples/quickstart (a project of its own: package.json, lock file, tsconfig.json) with the real Pulumi CLI, against a
 * freshly started tenant emulator on a throwaway file:// backend:
 *
 *   npm install → pulumi stack init → pulumi config set (the secret on stdin) → pulumi up →
 *   pulumi preview --diff (no changes) → an admin flips Global back by hand → pulumi refresh (drift) →
 *   pulumi preview --diff → pulumi up (repaired) → pulumi destroy
 *
 * `npm install` in the folder installs this package from `file:../..` as a real copy (the example's .npmrc says
 * install-links=true: npm packs the repository, whose `prepare` builds dist/), exactly as the README's "Examples" say.
 * The stack is removed at the end, so the folder is left as it was (plus node_modules).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EmulatorHandle, startEmulator } from "../emulator";
import { spawnSync } from "node:child_process";
import { folderEnv, pulumiIn, PulumiResult, tempDir, toolPath } from "../testkit/projectFolder";
import { ROOT } from "../testkit/stack";

const TENANT = "contoso.example";
const STACK = "demo";

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const out = (s: string) => process.stdout.write(s);

function step(text: string): void {
    out(`\n${bold(`━━ ${text}`)}\n\n`);
}

/** `npm install` in the example folder, as the README says (the lock file pins every version). */
function npmInstall(dir: string): void {
    const r = spawnSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
        cwd: dir, stdio: "inherit", env: { ...process.env, PATH: toolPath() },
    });
    if (r.status !== 0) throw new Error(`npm install in ${dir} exited ${r.status ?? r.signal}`);
}

async function main(): Promise<void> {
    let emulator: EmulatorHandle | undefined;
    const work = tempDir("clientpolicy-demo-");
    try {
        step(`Starting the tenant emulator (${TENANT}) on a free loopback port`);
        emulator = await startEmulator({ dataDir: path.join(work, "emulator"), port: 0, users: 100 });
        const creds = emulator.credentials(TENANT);
        out(`tenant API at ${emulator.url}, tenant ${creds.tenantId}\n`);

        const dir = path.join(ROOT, "examples", "quickstart");
        step("cd examples/quickstart && npm install — this package from file:../.. (packed, a real copy), typescript, @pulumi/pulumi");
        out(`$ cd ${dir}\n$ npm install\n`);
        npmInstall(dir);
        const backend = path.join(work, "backend");
        fs.mkdirSync(backend);
        out(`(state in a throwaway file:// backend: PULUMI_BACKEND_URL=file://${backend})\n`);

        const pulumi = pulumiIn(dir, folderEnv(backend), { echo: true });
        const run = async (args: string[], stdin?: string): Promise<PulumiResult> => {
            out(`\n$ pulumi ${args.join(" ")}${stdin === undefined ? "" : "    # value read from stdin, never on the command line"}\n`);
            const r = stdin === undefined ? await pulumi(...args) : await pulumi.withStdin(stdin, ...args);
            if (r.code !== 0) throw new Error(`\`pulumi ${args[0]}\` exited ${r.code}`);
            return r;
        };

        step("pulumi stack init + pulumi config set — the connection lives in stack config, the secret encrypted");
        await run(["stack", "init", STACK]);
        await run(["config", "set", "clientpolicy:endpoint", emulator.url]);
        await run(["config", "set", "clientpolicy:tenantId", creds.tenantId]);
        await run(["config", "set", "clientpolicy:clientId", creds.clientId]);
        await run(["config", "set", "--secret", "clientpolicy:clientSecret"], creds.clientSecret);

        step("pulumi up — Global offline IM off, Tag:OfflineIM created and granted to Tony Smith");
        await run(["up", "--yes"]);

        step("pulumi preview --diff — nothing changed, so nothing to do");
        await run(["preview", "--diff"]);

        step('An administrator runs "Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True" by hand');
        const ps = await emulator.powershell(TENANT, "Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True");
        for (const r of ps.results ?? []) out(`PS> ${r.command}\n    ${r.status}\n`);

        step("pulumi refresh — the stack learns what the tenant holds now (the drift)");
        await run(["refresh", "--yes"]);

        step("pulumi preview --diff — what `up` will change to bring the tenant back to the code");
        await run(["preview", "--diff"]);

        step("pulumi up — repairs the drift");
        await run(["up", "--yes"]);

        step("pulumi destroy — unassigns Tony, deletes Tag:OfflineIM, resets Global to its defaults");
        await run(["destroy", "--yes"]);
        await run(["stack", "rm", "--yes", STACK]);

        step("Done. Stopping the emulator and removing the temporary backend.");
    } finally {
        await emulator?.close();
        // A run that stopped half-way leaves its stack settings file in the example folder; the state goes with `work`.
        fs.rmSync(path.join(ROOT, "examples", "quickstart", `Pulumi.${STACK}.yaml`), { force: true });
        fs.rmSync(work, { recursive: true, force: true });
    }
}

main().catch((err: Error) => {
    process.stderr.write(`\ndemo failed: ${err.message}\n`);
    process.exit(1);
});
