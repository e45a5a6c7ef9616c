/**
 * The bad-input corpus: bad programs and bad configuration
 * through `pulumi preview` with the real CLI. Every case must fail, name the
 * property (`users[3]`, `maximumNumberOfContacts`, `clientpolicy:endpoint`, …),
 * never print what must stay private, and leave the emulator's write counter
 * untouched. Cases run two at a time, each on its own stack.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { ExampleStack, TEST_PASSPHRASE, TenantConnection } from "../../testkit/stack";
import { filesUnder } from "../../testkit/files";
import { emulatorLog, scanForSecrets } from "../../testkit/secrets";
import { call, userPath } from "../../testkit/tenantApi";
import { TestTenant, startTenant, openStack } from "./helpers";
import { Entry, GENERIC, expectFailure, grant, policy, setResources } from "./generic";

interface Case {
    title: string;
    resources: Entry[];
    /** Every pattern must match the error plus the CLI output. */
    expect: RegExp[];
    connection?: Partial<TenantConnection>;
    /** Extra stack config (e.g. clientpolicy:maxAttempts). */
    config?: Record<string, string>;
    /** Text that must not appear anywhere in the output. */
    forbidden?: string[];
}

const PASSWORD = "Pw-" + "e2e-corpus-7f3a9c";
const LONG_WARNING = "Confidential notice for the corpus: " + "lorem ipsum ".repeat(30);
const tag = (args: Record<string, unknown>) => policy("p", { identity: "Tag:CorpusPolicy", ...args });
const users = (list: unknown, extra: Record<string, unknown> = {}) => grant("g", { policyName: "Tag:CorpusGrant", users: list, ...extra });
// A list element's failure names its path at the start of the reason (the engine would print `value {<nil>}` for it).
const prop = (name: string) => new RegExp(/\[\d+\]$/.test(name) ? `has a problem: ${name.replace(/[[\]]/g, "\\$&")}: ` : `property ${name.replace(/[[\]]/g, "\\$&")} value`);

function corpus(tenant: TestTenant, tonyId: string): Case[] {
    const port = new URL(tenant.url).port;
    const ghosts = Array.from({ length: 2001 }, (_, i) => `ghost${String(i).padStart(5, "0")}@contoso.example`);
    return [
        // types
        { title: "maximumNumberOfContacts is a string", resources: [tag({ maximumNumberOfContacts: "many" })], expect: [prop("maximumNumberOfContacts")] },
        { title: "enableIMAutoArchiving is a string", resources: [tag({ enableIMAutoArchiving: "yes" })], expect: [prop("enableIMAutoArchiving")] },
        { title: "displayPhoto is a number", resources: [tag({ displayPhoto: 5 })], expect: [prop("displayPhoto")] },
        { title: "policyEntry is not a list", resources: [tag({ policyEntry: "x=y" })], expect: [prop("policyEntry")] },
        { title: "policyEntry item with an unknown key", resources: [tag({ policyEntry: [{ name: "a", value: "b", extra: 1 }] })], expect: [prop("policyEntry")] },
        { title: "identity is a number", resources: [policy("p", { identity: 5 })], expect: [prop("identity")] },
        // ranges
        { title: "maximumNumberOfContacts above the maximum", resources: [tag({ maximumNumberOfContacts: 5000 })], expect: [prop("maximumNumberOfContacts"), /0–1000/] },
        { title: "maximumNumberOfContacts negative", resources: [tag({ maximumNumberOfContacts: -1 })], expect: [prop("maximumNumberOfContacts")] },
        { title: "maximumNumberOfContacts not an integer", resources: [tag({ maximumNumberOfContacts: 1.5 })], expect: [prop("maximumNumberOfContacts")] },
        { title: "imWarning longer than its limit, text never echoed", resources: [tag({ imWarning: LONG_WARNING })], expect: [/imWarning/], forbidden: ["lorem ipsum lorem"] },
        // enums
        { title: "displayPhoto not one of its values", resources: [tag({ displayPhoto: "SomePhotos" })], expect: [prop("displayPhoto")] },
        { title: "tracingLevel not one of its values", resources: [tag({ tracingLevel: "Verbose" })], expect: [prop("tracingLevel")] },
        { title: "addressBookAvailability not one of its values", resources: [tag({ addressBookAvailability: "Never" })], expect: [prop("addressBookAvailability")] },
        // identities
        { title: "identity Tag:*", resources: [policy("p", { identity: "Tag:*" })], expect: [prop("identity")] },
        { title: "identity empty", resources: [policy("p", { identity: "" })], expect: [prop("identity")] },
        { title: "identity missing", resources: [policy("p", { maximumNumberOfContacts: 5 })], expect: [/identity/, /is required/] },
        { title: "identity with an unknown scope", resources: [policy("p", { identity: "user:Sales" })], expect: [prop("identity"), /unknown scope/] },
        { title: "identity site: without a name", resources: [policy("p", { identity: "site:" })], expect: [prop("identity")] },
        { title: "grant of Global", resources: [users(["Tony Smith"], { policyName: "Global" })], expect: [prop("policyName"), /cannot be granted/] },
        { title: "grant without policyName", resources: [grant("g", { users: ["Tony Smith"] })], expect: [/policyName/, /is required/] },
        { title: "the same policy declared twice (Tag:X and x)", resources: [policy("p1", { identity: "Tag:Twice" }), policy("p2", { identity: "twice" })], expect: [prop("identity"), /ClientPolicy "p2" and ClientPolicy "p1" both declare Tag:twice/i] },
        { title: "an existing policy without adopt", resources: [policy("p", { identity: "Tag:Existing" })], expect: [prop("identity"), /already exists[\s\S]*adopt: true/] },
        { title: "the import option points to adopt", resources: [policy("p", { identity: "Tag:Existing" }, { import: "Tag:Existing" })], expect: [/`import` resource option[\s\S]*adopt: true/] },
        // unknown properties and control flags
        { title: "unknown ClientPolicy property", resources: [tag({ maxContacts: 5 })], expect: [/maxContacts/] },
        { title: "unknown PolicyGrant property", resources: [grant("g", { policyName: "Tag:X", userz: ["Tony Smith"] })], expect: [/userz/] },
        { title: "adopt is a string", resources: [tag({ adopt: "yes" })], expect: [prop("adopt")] },
        { title: "forceDeleteWhenGranted is a number", resources: [tag({ forceDeleteWhenGranted: 1 })], expect: [prop("forceDeleteWhenGranted")] },
        // grants: shapes
        { title: "users: []", resources: [users([])], expect: [/users/, /at least one user/] },
        { title: "both user and users", resources: [users(["Tony Smith"], { user: "Ken Myer" })], expect: [/users/, /not both/] },
        { title: "neither user nor users", resources: [grant("g", { policyName: "Tag:X" })], expect: [/user/, /is required/] },
        { title: "users is not a list", resources: [users("Tony Smith")], expect: [prop("users"), /must be a list/] },
        { title: "users[3] empty", resources: [users(["Tony Smith", "Ken Myer", "Kim Akers", ""])], expect: [prop("users[3]")] },
        { title: "users[1] is a wildcard", resources: [users(["Tony Smith", "user0*"])], expect: [prop("users[1]"), /wildcards/] },
        // grants: duplicates in any identity form
        { title: "duplicate user, same spelling in another case", resources: [users(["Tony Smith", "Ken Myer", "tony smith"])], expect: [prop("users[2]"), /duplicates users\[0\]/] },
        { title: "duplicate user, SIP address and UPN", resources: [users(["sip:tony.smith@contoso.example", "tony.smith@contoso.example"])], expect: [prop("users[1]"), /same user/] },
        { title: "duplicate user, display name and DOMAIN\\logon", resources: [users(["Tony Smith", "CONTOSO\\tony.smith"])], expect: [prop("users[1]"), /same user/] },
        { title: "duplicate user, object id and display name", resources: [users([tonyId, "Ken Myer", "Tony Smith"])], expect: [prop("users[2]"), /same user/] },
        { title: "one user in two grants (same spelling)", resources: [users(["Ken Myer"]), grant("g2", { policyName: "Tag:CorpusGrant", users: ["Ken Myer"] })], expect: [prop("users[0]"), /PolicyGrant "g2" and PolicyGrant "g" both grant "Ken Myer"/] },
        { title: "one user in two grants (display name and SIP address)", resources: [users(["Ken Myer"]), grant("g2", { policyName: "Tag:CorpusGrant", users: ["sip:ken.myer@contoso.example"] })], expect: [/users\[0\]/, /also granted by resource "g/] },
        // grants: unknown and ambiguous users
        { title: "users[3] does not exist", resources: [users(["Tony Smith", "Ken Myer", "Kim Akers", "nobody@contoso.example"])], expect: [prop("users[3]"), /no such user/] },
        { title: "user does not exist", resources: [grant("g", { policyName: "Tag:X", user: "ghost@contoso.example" })], expect: [prop("user"), /no such user/] },
        { title: "ambiguous display name", resources: [users(["Ken Myer", "Tony Smith"])], connection: { tenantId: "ambiguous.example" }, expect: [prop("users[1]"), /matches 2 users/] },
        { title: "2,001 unknown users in one failure list", resources: [users(ghosts)], expect: [prop("users[0]"), prop("users[1000]"), prop("users[2000]"), /ghost02000@contoso\.example/] },
        // configuration
        { title: "endpoint ftp://", resources: [tag({})], connection: { endpoint: `ftp://127.0.0.1:${port}` }, expect: [/clientpolicy:endpoint/, /http\(s\)/] },
        { title: "endpoint with a path", resources: [tag({})], connection: { endpoint: `${tenant.url}/api/v1` }, expect: [/clientpolicy:endpoint/, /without a path/] },
        { title: "endpoint with a query and fragment", resources: [tag({})], connection: { endpoint: `${tenant.url}/?x=1#y` }, expect: [/clientpolicy:endpoint/] },
        { title: "endpoint with user:password@, password never printed", resources: [tag({})], connection: { endpoint: `http://admin:${PASSWORD}@127.0.0.1:${port}` }, expect: [/clientpolicy:endpoint/, /user name or password/], forbidden: [PASSWORD] },
        { title: "endpoint is not a URL", resources: [tag({})], connection: { endpoint: "tenant api" }, expect: [/clientpolicy:endpoint/] },
        { title: "maxAttempts 0", resources: [tag({})], config: { "clientpolicy:maxAttempts": "0" }, expect: [/clientpolicy:maxAttempts/] },
        { title: "maxAttempts not a number", resources: [tag({})], config: { "clientpolicy:maxAttempts": "many" }, expect: [/clientpolicy:maxAttempts/] },
        { title: "tenantId with /../", resources: [tag({})], connection: { tenantId: "contoso.example/../fabrikam.example" }, expect: [/clientpolicy:tenantId/] },
        { title: "tenantId with ?x=1#", resources: [tag({})], connection: { tenantId: "contoso.example?x=1#" }, expect: [/clientpolicy:tenantId/] },
        { title: "clientId with a slash", resources: [tag({})], connection: { clientId: "demo/client" }, expect: [/clientpolicy:clientId/] },
    ];
}

interface Result { text: string; writesBefore: number; writesAfter: number; error?: Error }

/** Scans a case's stack (backend: state, history, backups; workspace: stack settings) and its CLI output for secrets. */
function secretsIn(h: ExampleStack | undefined, title: string, text: string, secrets: string[]): Record<string, string[]> {
    const files = h ? [...filesUnder(h.backendDir), ...filesUnder(h.workDir)] : [];
    return scanForSecrets(secrets, files, { [`CLI output of "${title}"`]: text });
}

async function pool<T>(items: T[], width: number, run: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    await Promise.all(Array.from({ length: width }, async () => {
        while (next < items.length) await run(items[next++]);
    }));
}

describe("e2e: bad-input corpus through pulumi preview (real CLI)", function () {
    this.timeout(900_000);
    let tenant: TestTenant;
    let cases: Case[] = [];
    const results = new Map<string, Result>();
    let writesAtStart = 0;
    /** Secret → where it was found in clear, over every case; and how many state files the scans covered. */
    const secretHits: Record<string, string[]> = {};
    let stateFilesScanned = 0;
    let emuLog: () => string = () => "";

    before(async () => {
        tenant = await startTenant({ users: 50, inProcess: false });
        emuLog = emulatorLog(tenant);
        await tenant.powershell("New-CsClientPolicy -Identity Existing");
        const tony = await call(tenant, "GET", userPath("Tony Smith"));
        const only = process.env.CORPUS_ONLY ? new RegExp(process.env.CORPUS_ONLY) : undefined;
        cases = corpus(tenant, tony.json.Id).filter((c) => !only || only.test(c.title));
        writesAtStart = (await tenant.stats()).writes;
        // One at a time: two inline programs previewing concurrently in this process once lost the in-process
        // language runtime's gRPC connection ("14 UNAVAILABLE: No connection established") in a fresh-clone CI run.
        await pool(cases, 1, async (c) => {
            const writesBefore = (await tenant.stats()).writes;
            let h: ExampleStack | undefined;
            let text = "";
            try {
                const connection = { endpoint: tenant.url, tenantId: tenant.tenantId, clientId: tenant.clientId, clientSecret: tenant.clientSecret, ...c.connection };
                h = await openStack(tenant, GENERIC, { connection, folder: true });
                await setResources(h, c.resources);
                for (const [k, v] of Object.entries(c.config ?? {})) await h.stack.setConfig(k, { value: v });
                text = await expectFailure(h, "preview");
                results.set(c.title, { text, writesBefore, writesAfter: (await tenant.stats()).writes });
                if (process.env.E2E_PROGRESS) process.stdout.write(`      ran: ${c.title}\n`);
            } catch (error) {
                results.set(c.title, { text: "", writesBefore, writesAfter: (await tenant.stats()).writes, error: error as Error });
            } finally {
                // Scanned before dispose() deletes the backend and workspace.
                for (const [s, where] of Object.entries(secretsIn(h, c.title, text, [tenant.clientSecret, TEST_PASSPHRASE]))) (secretHits[s] ??= []).push(...where);
                if (h) stateFilesScanned += filesUnder(h.backendDir).filter((f) => f.endsWith(".json") && f.includes(`${path.sep}stacks${path.sep}`)).length;
                await h?.dispose();
            }
        });
    });
    after(async () => { await tenant?.stop(); });

    it("holds at least 40 cases", () => {
        if (!process.env.CORPUS_ONLY) assert.ok(cases.length >= 40, `${cases.length} cases`);
    });

    // Titles are known before `before` runs; the corpus is built with placeholders only to name the tests.
    const titles = corpus({ url: "http://127.0.0.1:1" } as TestTenant, "id").map((c) => c.title);
    for (const title of titles) {
        it(`fails naming the property, 0 writes: ${title}`, () => {
            const c = cases.find((x) => x.title === title);
            if (!c) return; // filtered out by CORPUS_ONLY
            const r = results.get(title)!;
            if (r.error) throw r.error;
            for (const re of c.expect) assert.match(r.text, re, `${title}:\n${r.text.slice(0, 4000)}`);
            for (const s of c.forbidden ?? []) assert.ok(!r.text.includes(s), `${title}: output contains ${JSON.stringify(s)}:\n${r.text.slice(0, 4000)}`);
            assert.doesNotMatch(r.text, /^\s+at .+\(.+:\d+:\d+\)$/m, `${title}: a stack trace was printed:\n${r.text.slice(0, 4000)}`);
            assert.equal(r.writesAfter, r.writesBefore, `${title}: the tenant was written`);
        });
    }

    it("the whole corpus wrote nothing to the tenant", async () => {
        assert.equal((await tenant.stats()).writes, writesAtStart);
    });

    it("no secret (client secret, passphrase) in any case's state files, stack settings or CLI output, or the emulator log", () => {
        assert.ok(stateFilesScanned > 0, "the scans covered at least one state file");
        for (const [s, where] of Object.entries(scanForSecrets([tenant.clientSecret, TEST_PASSPHRASE], [], { "emulator log": emuLog() }))) (secretHits[s] ??= []).push(...where);
        assert.deepEqual(secretHits, {}, "secrets found in clear");
    });
});
