/**
 * emulator-rps: GET and PUT of a client policy against the tenant emulator (a child process running dist/emulator/main.js
 * on a fresh data directory, SQLite store, 5,000 generated users, throttling off), 32 connections, load from
 * `autocannon`; the floor is a trivial Node HTTP server (another child process) answering the same JSON bodies, measured
 * in the same run with the same load. PUT replaces the policy (`If-Match: *`) with a new IMWarning each time, spread
 * over 32 policies, so every request is a real durable write. Prints:
 *
 *   bench emulator-rps-get <n> req/s           bench emulator-rps-get-p50 <n> ms      bench emulator-rps-get-p99 <n> ms
 *   bench emulator-rps-put <n> req/s           … -put-p50, -put-p99
 *   bench emulator-rps-floor-get <n> req/s     … and -floor-put, each with -p50 and -p99
 *   ratio emulator-rps-get <emulator/floor>    ratio emulator-rps-put <emulator/floor>
 *
 * Target: PUT ≥ 5,000 req/s with p99 < 10 ms (GET has no target; its figures are printed for comparison).
 * Each figure is the median over `BENCH_REPEAT` (default 3) runs of `BENCH_SECONDS` (default 5) each, emulator and
 * floor interleaved, printed with its min and max; the ratio and the target use the medians. `BENCH_PROFILE=1` measures PUT only, with the
 * emulator under `--cpu-prof`, and prints the functions with the most self time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";

// autocannon ships no type declarations; this is the part of its API used here.
interface AutocannonResult {
    requests: { average: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
    timeouts: number;
    "2xx": number;
}
interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
}
type Autocannon = (opts: {
    url: string; connections: number; duration: number; pipelining?: number; method?: string; headers?: Record<string, string>;
    requests?: Array<AutocannonRequest & { setupRequest?: (req: AutocannonRequest) => AutocannonRequest }>;
}) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require("autocannon") as Autocannon;

const ROOT = path.resolve(__dirname, "..");
const NODE = process.execPath;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Repetitions of each measurement, emulator and floor interleaved; the printed value is the median. */
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const CONNECTIONS = 32;
const POLICIES = 32;
const TENANT = "contoso.example";
/** `BENCH_PROFILE=put` (or `1`) profiles the PUT run only, `BENCH_PROFILE=get` the GET run only. */
const PROFILE_MODE = process.env.BENCH_PROFILE === "get" ? "get" : process.env.BENCH_PROFILE === "put" || process.env.BENCH_PROFILE === "1" ? "put" : undefined;
const PROFILE = PROFILE_MODE !== undefined;

const FLOOR_SERVER = `
const http = require("node:http");
const body = Buffer.from(process.env.FLOOR_BODY);
const server = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
        // PUT: parse the body as a real server would, answer the same JSON the emulator answers.
        if (req.method === "PUT") JSON.parse(Buffer.concat(chunks).toString("utf8"));
        res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": body.length, etag: '"0123456789abcdef"' });
        res.end(body);
    });
});
server.listen(0, "127.0.0.1", () => console.log("floor listening on http://127.0.0.1:" + server.address().port));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

async function firstLine(child: ChildProcess, re: RegExp): Promise<string> {
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    return new Promise<string>((resolve, reject) => {
        const rl = createInterface({ input: child.stdout! });
        rl.once("line", (line) => {
            const m = re.exec(line);
            if (m) resolve(m[1]);
            else reject(new Error(`unexpected first line: ${line}`));
        });
        child.once("exit", (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
}

function stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill(signal);
    });
}

async function startEmulatorProcess(dataDir: string, profileDir?: string): Promise<{ child: ChildProcess; url: string; secret: string }> {
    const secret = "bench-secret-0123456789";
    // The compiled emulator, as `npm run emulator` runs it (scripts/bench.sh builds dist/ first): under ts-node the
    // process would also carry ts-node's domain and source-map hooks, which cost a third of the GET throughput.
    const main = path.join(ROOT, "dist", "emulator", "main.js");
    if (!fs.existsSync(main)) throw new Error(`${path.relative(ROOT, main)} is missing: run scripts/install-self.sh (npm run bench does)`);
    const args = [...(profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : []), main, "--port", "0", "--data", dataDir, "--users", "5000", "--rate", "0", "--client-secret", secret];
    const child = spawn(NODE, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const url = await firstLine(child, /^emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/);
    return { child, url, secret };
}

async function run(url: string, requests: NonNullable<Parameters<Autocannon>[0]["requests"]>, seconds: number): Promise<AutocannonResult> {
    const r = await autocannon({ url, connections: CONNECTIONS, duration: seconds, requests });
    const failed = r.non2xx + r.errors + r.timeouts;
    if (failed > 0) throw new Error(`${url}: ${failed} of ${r["2xx"] + failed} requests failed (non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts})`);
    return r;
}

function getRequests(policyPath: string, token: string) {
    return [{ method: "GET", path: policyPath, headers: { authorization: `Bearer ${token}` } }];
}

function putRequests(policyPathOf: (i: number) => string, token: string) {
    let n = 0;
    return [{
        method: "PUT",
        setupRequest: (req: AutocannonRequest): AutocannonRequest => {
            const i = n++;
            return {
                ...req, method: "PUT", path: policyPathOf(i % POLICIES),
                headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "if-match": "*" },
                body: JSON.stringify({ IMWarning: `bench write ${i}`, EnableURL: i % 2 === 0, MaximumNumberOfContacts: i % 1000 }),
            };
        },
    }];
}

/** The median, min and max of one figure over the repetitions. */
interface Spread { median: number; min: number; max: number }

function spread(values: number[]): Spread {
    const v = [...values].sort((a, b) => a - b);
    return { median: v[Math.floor((v.length - 1) / 2)], min: v[0], max: v[v.length - 1] };
}

function fmt(s: Spread, unit: string): string {
    return `${Math.round(s.median)} ${unit} (min ${Math.round(s.min)}, max ${Math.round(s.max)})`;
}

/** Repeated results of one measurement, summarised. */
function summary(rs: AutocannonResult[]): { rps: Spread; p50: Spread; p99: Spread } {
    return { rps: spread(rs.map((r) => r.requests.average)), p50: spread(rs.map((r) => r.latency.p50)), p99: spread(rs.map((r) => r.latency.p99)) };
}

function print(name: string, rs: AutocannonResult[]): ReturnType<typeof summary> {
    const s = summary(rs);
    console.log(`bench ${name} ${fmt(s.rps, "req/s")}`);
    console.log(`bench ${name}-p50 ${fmt(s.p50, "ms")}`);
    console.log(`bench ${name}-p99 ${fmt(s.p99, "ms")}`);
    return s;
}

/** Runs the emulator's and the floor's load REPEAT times, alternating, so drift in the machine's load hits both. */
async function paired(emuUrl: string, floorUrl: string, requests: () => Parameters<typeof run>[1]): Promise<[AutocannonResult[], AutocannonResult[]]> {
    const emu: AutocannonResult[] = [];
    const floor: AutocannonResult[] = [];
    for (let i = 0; i < (PROFILE ? 1 : REPEAT); i++) {
        emu.push(await run(emuUrl, requests(), SECONDS));
        floor.push(await run(floorUrl, requests(), SECONDS));
    }
    return [emu, floor];
}

/** The functions with the most self time in a V8 .cpuprofile, as "percent name (file:line)". */
function topSelfTime(file: string, count = 15): string[] {
    const prof = JSON.parse(fs.readFileSync(file, "utf8")) as {
        nodes: Array<{ id: number; hitCount?: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
    };
    const byName = new Map<string, number>();
    let total = 0;
    for (const n of prof.nodes) {
        const hits = n.hitCount ?? 0;
        total += hits;
        const f = n.callFrame;
        const where = f.url ? `${path.relative(ROOT, f.url.replace(/^file:\/\//, ""))}:${f.lineNumber + 1}` : "";
        const key = `${f.functionName || "(anonymous)"}${where ? ` (${where})` : ""}`;
        byName.set(key, (byName.get(key) ?? 0) + hits);
    }
    return [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, count).map(([k, v]) => `${((100 * v) / total).toFixed(1)}% ${k}`);
}

/** Stops the emulator (SIGINT, so V8 writes its profile) and prints the profile's top self-time functions. */
async function stopAndReport(emulator: ChildProcess, profileDir: string | undefined): Promise<void> {
    await stop(emulator, "SIGINT");
    if (!profileDir) return;
    const prof = fs.readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
    if (prof) for (const line of topSelfTime(path.join(profileDir, prof), 25)) console.log(`# profile (emulator, ${PROFILE_MODE} run, self time) ${line}`);
}

async function main(): Promise<void> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "clientpolicy-bench-rps-"));
    const profileDir = PROFILE ? fs.mkdtempSync(path.join(os.tmpdir(), "clientpolicy-bench-prof-")) : undefined;
    const children: ChildProcess[] = [];
    try {
        const emu = await startEmulatorProcess(dataDir, profileDir);
        children.push(emu.child);
        const tokenRes = await fetch(`${emu.url}/${TENANT}/oauth2/v2.0/token`, {
            method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ grant_type: "client_credentials", client_id: "demo-client", client_secret: emu.secret, scope: "api://skype/.default" }),
        });
        if (!tokenRes.ok) throw new Error(`token: HTTP ${tokenRes.status} ${await tokenRes.text()}`);
        const token = ((await tokenRes.json()) as { access_token: string }).access_token;
        const policyPath = (i: number) => `/Skype.Policy/configurations/ClientPolicy/configuration/Tag%3ABench${i}`;
        for (let i = 0; i < POLICIES; i++) {
            const res = await fetch(emu.url + policyPath(i), {
                method: "PUT", headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "if-none-match": "*" },
                body: JSON.stringify({ IMWarning: "bench", EnableURL: true }),
            });
            if (res.status !== 201) throw new Error(`create Bench${i}: HTTP ${res.status} ${await res.text()}`);
        }
        const sample = await fetch(emu.url + policyPath(0), { headers: { authorization: `Bearer ${token}` } });
        const body = await sample.text();

        const floor = spawn(NODE, ["-e", FLOOR_SERVER], { env: { ...process.env, FLOOR_BODY: body }, stdio: ["ignore", "pipe", "pipe"] });
        children.push(floor);
        const floorUrl = await firstLine(floor, /^floor listening on (http:\/\/127\.0\.0\.1:\d+)$/);

        // Warm-up (JIT, connection set-up, SQLite page cache), not counted.
        if (PROFILE_MODE !== "put") await run(emu.url, getRequests(policyPath(0), token), 2);
        if (PROFILE_MODE !== "get") await run(emu.url, putRequests(policyPath, token), 2);
        await run(floorUrl, getRequests(policyPath(0), token), 2);

        // Profiling measures one method only, so the profile is that path (plus start-up, a fraction of a second).
        if (PROFILE_MODE !== "put") {
            const [emuGets, floorGets] = await paired(emu.url, floorUrl, () => getRequests(policyPath(0), token));
            const emuGet = print("emulator-rps-get", emuGets);
            const floorGet = print("emulator-rps-floor-get", floorGets);
            console.log(`ratio emulator-rps-get ${(emuGet.rps.median / floorGet.rps.median).toFixed(2)}`);
        }
        if (PROFILE_MODE === "get") return await stopAndReport(emu.child, profileDir);
        const [emuPuts, floorPuts] = await paired(emu.url, floorUrl, () => putRequests(policyPath, token));
        const emuPut = print("emulator-rps-put", emuPuts);
        print("emulator-rps-floor-put", floorPuts);
        console.log(`ratio emulator-rps-put ${(emuPut.rps.median / summary(floorPuts).rps.median).toFixed(2)}`);
        const met = emuPut.rps.median >= 5000 && emuPut.p99.median < 10;
        console.log(`# emulator-rps target PUT >= 5000 req/s with p99 < 10 ms (medians): ${met ? "met" : "missed"} (${CONNECTIONS} connections, ${REPEAT} x ${SECONDS} s, ${os.cpus().length} cores)`);

        await stopAndReport(emu.child, profileDir);
    } finally {
        for (const c of children) await stop(c);
        fs.rmSync(dataDir, { recursive: true, force: true });
        if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.error(`emulator-rps failed: ${(e as Error).message}`);
    process.exit(1);
});
