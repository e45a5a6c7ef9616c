/**
 * examples/bulk-grant reads the CSV files administrators really have: as Windows PowerShell 5.1, PowerShell 7 and
 * Excel write them (test/fixtures/csv, one file per writer and setting, byte for byte), and fails on a truly wrong
 * file with the file, line and column. The example's own `users.ts` runs with the csv-parse version its package.json
 * pins, installed into a temp folder from the npm cache (csv-parse is the example's dependency, not this package's).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../testkit/stack";
import { tempDir, toolPath } from "../../testkit/projectFolder";

const EXAMPLE = path.join(ROOT, "examples", "bulk-grant");
const FIXTURES = path.join(ROOT, "test", "fixtures", "csv");

const SALES = [
    "sip:tony.smith@contoso.example",
    "sip:kim.akers@contoso.example",
    "sip:jeff.hay@contoso.example",
    "sip:pilar.ackerman@contoso.example",
];

describe("e2e: examples/bulk-grant reads CSV as PowerShell and Excel write it", function () {
    this.timeout(300_000);
    let work: string;
    let readUsers: (file: string) => string[];

    before(() => {
        work = tempDir("clientpolicy-csv-");
        const pkg = JSON.parse(fs.readFileSync(path.join(EXAMPLE, "package.json"), "utf8")) as { dependencies: Record<string, string> };
        const version = pkg.dependencies["csv-parse"];
        assert.ok(version, "examples/bulk-grant/package.json depends on csv-parse");
        fs.writeFileSync(path.join(work, "package.json"), JSON.stringify({ name: "csv-check", private: true }));
        const r = spawnSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", `csv-parse@${version}`], {
            cwd: work, encoding: "utf8", env: { ...process.env, PATH: toolPath() },
        });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        fs.copyFileSync(path.join(EXAMPLE, "users.ts"), path.join(work, "users.ts"));
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        readUsers = (require(path.join(work, "users.ts")) as { readUsers: typeof readUsers }).readUsers;
    });
    after(() => { if (work) fs.rmSync(work, { recursive: true, force: true }); });

    const writers: Array<[string, string]> = [
        ["ps51-default.csv", "Windows PowerShell 5.1 Export-Csv: #TYPE line, every field quoted, commas in quotes, CRLF, ASCII"],
        ["ps51-utf8.csv", "Windows PowerShell 5.1 Export-Csv -Encoding UTF8: a BOM before #TYPE, doubled quotes, non-ASCII"],
        ["ps7-default.csv", "PowerShell 7 Export-Csv on Windows: no #TYPE, every field quoted, CRLF, no BOM"],
        ["ps7-asneeded.csv", "PowerShell 7 Export-Csv -UseQuotes AsNeeded on Linux: quotes only where needed, LF"],
        ["excel-utf8.csv", "Excel CSV UTF-8: BOM, CRLF, header in another case, an emptied row (,,) and an empty last line"],
    ];
    for (const [file, how] of writers) {
        it(`${file}: ${how}`, () => {
            assert.deepEqual(readUsers(path.join(FIXTURES, file)), SALES);
        });
    }

    it("the example's own users.csv (3,000 users)", () => {
        const users = readUsers(path.join(EXAMPLE, "users.csv"));
        assert.equal(users.length, 3000);
        assert.equal(users[0], "sip:user00001@contoso.example");
    });

    it("a comma nobody quoted: file, line and column, and what to do", () => {
        const file = path.join(FIXTURES, "unquoted-comma.csv");
        assert.throws(() => readUsers(file), (err: Error) => {
            assert.equal(err.message, `${file}:3, column 3: Invalid Record Length: expect 2, got 3 (a value holding a comma must be in double quotes)`);
            return true;
        });
    });

    it("a quote that never closes: the line where the broken record starts", () => {
        const file = path.join(FIXTURES, "open-quote.csv");
        assert.throws(() => readUsers(file), (err: Error) => {
            assert.match(err.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: a quoted field starts on this line`));
            return true;
        });
    });

    it("no user column: the header's line and the columns found", () => {
        const file = path.join(work, "no-column.csv");
        fs.writeFileSync(file, "#TYPE Selected.Microsoft.Rtc.Management.ADConnect.Schema.OCSADUser\r\n\"Identity\",\"DisplayName\"\r\n\"CN=Tony\",\"Tony Smith\"\r\n");
        assert.throws(() => readUsers(file), { message: `${file}:2: expected a "sipAddress" column (any case), found: Identity, DisplayName` });
    });
});
