/**
 * `npm run demo`: the offline-IM article, end to end, with the real Pulumi CLI
 * against a freshly started tenant emulator on a throwaway file backend.
 *
 *   up → preview --diff (no changes) → an admin flips Global back by hand →
 *   refresh (drift) → preview --diff → up (repaired) → destroy
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorHandle, startEmulator } from "../emulator";
import { openExampleStack, ExampleStack } from "./lib/stack";

const TENANT = "contoso.example";

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const out = (s: string) => process.stdout.write(s);

function step(text: string): void {
    out(`\n${bold(`━━ ${text}`)}\n\n`);
}

async function main(): Promise<void> {
    let emulator: EmulatorHandle | undefined;
    let stack: ExampleStack | undefined;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "clientpolicy-demo-"));
    try {
        step(`Starting the tenant emulator (${TENANT}) on a free loopback port`);
        emulator = await startEmulator({ dataDir, port: 0, users: 100 });
        const creds = emulator.credentials(TENANT);
        out(`tenant API at ${emulator.url}, tenant ${creds.tenantId}\n`);

        step("Creating a stack for examples/quickstart on a temporary file:// backend, connection in stack config");
        stack = await openExampleStack({
            example: "quickstart",
            stackName: "demo",
            connection: { endpoint: emulator.url, ...creds },
        });
        const s = stack.stack;

        step("pulumi up — Global offline IM off, Tag:OfflineIM created and granted to Tony Smith");
        await s.up({ onOutput: out, diff: true });

        step("pulumi preview --diff — nothing changed, so nothing to do");
        const noop = await s.preview({ onOutput: out, diff: true });
        out(`\nchanges: ${JSON.stringify(noop.changeSummary)}\n`);

        step('An administrator runs "Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True" by hand');
        const ps = await emulator.powershell(TENANT, "Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True");
        for (const r of ps.results ?? []) out(`PS> ${r.command}\n    ${r.status}\n`);

        step("pulumi refresh — the stack learns what the tenant holds now (the drift)");
        await s.refresh({ onOutput: out });

        step("pulumi preview --diff — what `up` will change to bring the tenant back to the code");
        await s.preview({ onOutput: out, diff: true });

        step("pulumi up — repairs the drift");
        await s.up({ onOutput: out, diff: true });

        step("pulumi destroy — unassigns Tony, deletes Tag:OfflineIM, resets Global to its defaults");
        await s.destroy({ onOutput: out });

        step("Done. Stopping the emulator and removing the temporary backend.");
    } finally {
        await stack?.dispose();
        await emulator?.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
}

main().catch((err: Error) => {
    process.stderr.write(`\ndemo failed: ${err.message}\n`);
    process.exit(1);
});
