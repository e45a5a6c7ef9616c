/**
 * A grant's users are a set in `pulumi preview --diff` (real CLI): examples/bulk-grant deploys 3,000 users from a CSV,
 * then one user leaves the CSV and one joins it. The preview names exactly those two users — one `-` line and one
 * `+` line — and no list position (`[1233]: "sip:a" => "sip:b"`), because check() stores `users` keyed by user
 * (provider/resources/grantUsers.ts) and the CLI shows a dynamic resource's change as the difference of its inputs.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { TestTenant, startTenant, openStack, collector, assignmentCount, assignmentOf, readStateFile } from "./helpers";
import { generatedUser } from "../../testkit/tenantFixtures";
import { ExampleStack } from "../../testkit/stack";
import { tempDir } from "../../testkit/projectFolder";

const TOTAL = 3000;

describe("e2e: a grant's users are a set in `pulumi preview --diff` (3,000 users, real CLI)", function () {
    this.timeout(900_000);
    let tenant: TestTenant;
    let handle: ExampleStack;
    let dir: string;
    let removed: string;
    let added: string;

    const writeCsv = (file: string, users: readonly string[]) =>
        fs.writeFileSync(file, ["sipAddress,displayName", ...users.map((u) => `${u},${u.replace(/^sip:|@.*$/g, "")}`)].join("\n") + "\n");

    before(async () => {
        tenant = await startTenant({ users: TOTAL + 1 });
        handle = await openStack(tenant, "bulk-grant");
        dir = tempDir("clientpolicy-grant-set-");
        removed = generatedUser(tenant, 1234);
        added = generatedUser(tenant, TOTAL + 1);
    });
    after(async () => {
        await handle?.dispose();
        await tenant?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("deploys the grant of 3,000 users", async () => {
        const users = Array.from({ length: TOTAL }, (_, i) => generatedUser(tenant, i + 1));
        const csv = path.join(dir, "all.csv");
        writeCsv(csv, users);
        await handle.stack.setConfig("bulk-grant:csv", { value: csv });
        const up = await handle.stack.up({ onOutput: collector().onOutput });
        assert.equal(up.outputs.grantedCount.value, TOTAL);
        assert.equal(await assignmentCount(tenant, "Tag:NoOfflineIM"), TOTAL);
        // Stored keyed by user: one key per user (its spelling), an empty value.
        const state = JSON.parse(readStateFile(handle)) as { checkpoint: { latest: { resources: Array<{ type: string; inputs: Record<string, unknown> }> } } };
        const grant = state.checkpoint.latest.resources.find((r) => r.type.endsWith(":PolicyGrant"))!;
        const inputs = grant.inputs.users as Record<string, string>;
        assert.equal(Object.keys(inputs).length, TOTAL);
        assert.equal(inputs[removed], "");
    });

    it("one user removed and one added: preview --diff names exactly those two, with no list position", async () => {
        const users = [...Array.from({ length: TOTAL }, (_, i) => generatedUser(tenant, i + 1)).filter((u) => u !== removed), added];
        const csv = path.join(dir, "changed.csv");
        writeCsv(csv, users);
        await handle.stack.setConfig("bulk-grant:csv", { value: csv });
        const out = collector();
        const pv = await handle.stack.preview({ onOutput: out.onOutput, diff: true });
        const text = out.text();
        assert.equal(pv.changeSummary.update, 1, text);
        const userLines = text.split("\n").filter((l) => /sip:user\d{5}@/.test(l));
        assert.equal(userLines.length, 2, `exactly two lines name a user:\n${userLines.join("\n")}`);
        // `- sip:user01234@contoso.example: ""`: the user is the key, the empty value is the keyed shape's.
        const line = (sign: string, u: string) => new RegExp(`^\\s*\\${sign} ${u.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ""\\s*$`);
        assert.equal(userLines.filter((l) => line("-", removed).test(l)).length, 1, `the removed user on a "-" line:\n${userLines.join("\n")}`);
        assert.equal(userLines.filter((l) => line("+", added).test(l)).length, 1, `the added user on a "+" line:\n${userLines.join("\n")}`);
        assert.doesNotMatch(text, /\[\d+\]\s*:/, "no positional [i] line");
    });

    it("up writes exactly that change; then no changes, also after a refresh", async () => {
        const up = await handle.stack.up({ onOutput: collector().onOutput });
        assert.equal(up.summary.resourceChanges?.update, 1);
        assert.equal(await assignmentOf(tenant, removed), null);
        assert.equal(await assignmentOf(tenant, added), "NoOfflineIM");
        assert.equal(await assignmentCount(tenant, "Tag:NoOfflineIM"), TOTAL);
        await handle.stack.refresh({ onOutput: collector().onOutput });
        const out = collector();
        const pv = await handle.stack.preview({ onOutput: out.onOutput, diff: true });
        const changed = Object.entries(pv.changeSummary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0);
        assert.deepEqual(changed, [], out.text());
        await handle.stack.destroy({ onOutput: collector().onOutput });
        assert.equal(await assignmentCount(tenant, "Tag:NoOfflineIM").catch(() => 0), 0);
    });
});
