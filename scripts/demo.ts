/**
 * `npm run demo`: the offline-IM article, end to end, as a user runs it — the commands a user types, run in the
 * example's project folder with the real Pulumi CLI, against a freshly started tenant emulator on a throwaway file://
 * backend:
 *
 *   npm install <package> → pulumi stack init → pulumi config set (the secret on stdin) → pulumi up →
 *   pulumi preview --diff (no changes) → an admin flips Global back by hand → pulumi refresh (drift) →
 *   pulumi preview --diff → pulumi up (repaired) → pulumi destroy
 *
 * The package comes from the tarball `scripts/install-self.sh` packed during bootstrap (`npm pack`), installed into a
 * copy of examples/quickstart with plain `npm install`, exactly as the README's "Using it against your own tenant" says.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EmulatorHandle, startEmulator } from "../emulator";
import { folderEnv, installExample, pulumiIn, PulumiResult, tempDir } from "./lib/projectFolder";
import { ROOT } from "./lib/stack";

const TENANT = "contoso.example";
const STACK = "demo";

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const out = (s: string) => process.stdout.write(s);

function step(text: string): void {
    out(`\n${bold(`━━ ${text}`)}\n\n`);
}

/** The package tarball bootstrap packed (`npm pack` of this checkout). */
function packedPackage(): string {
    const { name, version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
    const tarball = path.join(ROOT, ".tools", "pkg", `${name}-${version}.tgz`);
    if (!fs.existsSync(tarball)) throw new Error(`${tarball} is missing: run \`bash scripts/install-self.sh\` (npm run demo's bootstrap does)`);
    return tarball;
}

async function main(): Promise<void> {
    let emulator: EmulatorHandle | undefined;
    const work = tempDir("clientpolicy-demo-");
    try {
        step(`Starting the tenant emulator (${TENANT}) on a free loopback port`);
        emulator = await startEmulator({ dataDir: path.join(work, "emulator"), port: 0, users: 100 });
        const creds = emulator.credentials(TENANT);
        out(`tenant API at ${emulator.url}, tenant ${creds.tenantId}\n`);

        step("Installing examples/quickstart into a project folder: npm install <the packed package>");
        const tarball = packedPackage();
        const dir = installExample("quickstart", tarball, work);
        out(`$ cd ${dir}\n$ npm install ${tarball}\n`);
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

        step("Done. Stopping the emulator and removing the project folder and the temporary backend.");
    } finally {
        await emulator?.close();
        fs.rmSync(work, { recursive: true, force: true });
    }
}

main().catch((err: Error) => {
    process.stderr.write(`\ndemo failed: ${err.message}\n`);
    process.exit(1);
});
