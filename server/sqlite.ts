/**
 * A small layer over Node's built-in SQLite (`node:sqlite`, `DatabaseSync`: SQLite 3.51 compiled into Node 22, nothing
 * to install), shared by the emulator's store and meant for the gateway's side store:
 *
 * - {@link openDatabase}: opens (creating) a database file with the pragmas every caller wants — WAL journal,
 *   `synchronous=FULL` (each COMMIT is fsynced before it returns, so an acknowledged write survives kill -9 and power
 *   loss), a busy timeout, foreign keys — and brings its schema up to date with {@link Migration}s numbered by
 *   `PRAGMA user_version`, each in its own transaction;
 * - {@link transaction}: runs a function inside `BEGIN IMMEDIATE … COMMIT`, rolling back when it throws;
 * - the ExperimentalWarning filter: Node prints "SQLite is an experimental feature" once per process when `node:sqlite`
 *   is first loaded; this module loads it with that one warning filtered out (every other warning still prints).
 *
 * SQLite facts used here (sqlite.org/wal.html, /pragma.html): in WAL mode with `synchronous=FULL` the WAL is synced at
 * every commit; a database opened after a crash replays the committed frames of the WAL and ignores a torn tail, so it
 * holds exactly the transactions whose COMMIT returned.
 */
import type * as SqliteModule from "node:sqlite";

export type Database = SqliteModule.DatabaseSync;
export type Statement = SqliteModule.StatementSync;

let loaded: typeof SqliteModule | undefined;

/**
 * `node:sqlite`, loaded on first use with its ExperimentalWarning suppressed. Node emits that warning synchronously
 * while the module loads (`process.emitWarning`), so the filter wraps exactly that call and is removed right after.
 */
export function sqlite(): typeof SqliteModule {
    if (loaded) return loaded;
    const original = process.emitWarning;
    process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
        const text = typeof warning === "string" ? warning : warning.message;
        const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type ?? (warning as Error).name;
        if (type === "ExperimentalWarning" && /SQLite/i.test(text)) return;
        return (original as (...a: unknown[]) => void).call(this, warning, ...rest);
    } as typeof process.emitWarning;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily so the filter is in place first
        loaded = require("node:sqlite") as typeof SqliteModule;
    } finally {
        process.emitWarning = original;
    }
    return loaded;
}

/** One schema step: `version` is the `user_version` the database has after `up` ran (1, 2, 3 … in order). */
export interface Migration {
    version: number;
    up(db: Database): void;
}

/** Options of {@link openDatabase}. */
export interface OpenOptions {
    /** Schema steps, ascending; those above the database's `user_version` run, each in its own transaction. */
    migrations?: Migration[];
    /** Open read-only (no pragmas that write, no migrations): for inspecting a database another process owns. */
    readOnly?: boolean;
    /**
     * `FULL` (default): every COMMIT is durable when it returns. `NORMAL` in WAL mode may lose the last commits on power
     * loss (not on a process crash); callers choose it only where that is acceptable.
     */
    synchronous?: "FULL" | "NORMAL";
    /** How long a write waits for another connection's lock, in milliseconds. Default 5000. */
    busyTimeoutMs?: number;
}

/**
 * Opens `file` (`":memory:"` for a private in-memory database) with WAL, the chosen `synchronous` level, a busy
 * timeout and foreign keys on, then runs pending migrations. Throws an Error naming the file when the file is not a
 * database or its schema is newer than `migrations` knows (a newer emulator wrote it).
 */
export function openDatabase(file: string, opts: OpenOptions = {}): Database {
    const { DatabaseSync } = sqlite();
    let db: Database;
    try {
        db = new DatabaseSync(file, { readOnly: opts.readOnly ?? false, timeout: opts.busyTimeoutMs ?? 5000, enableForeignKeyConstraints: true });
    } catch (e) {
        throw new Error(`cannot open SQLite database ${file}: ${(e as Error).message}`, { cause: e });
    }
    try {
        if (!opts.readOnly) {
            if (file !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
            db.exec(`PRAGMA synchronous = ${opts.synchronous ?? "FULL"}`);
        }
        const steps = [...(opts.migrations ?? [])].sort((a, b) => a.version - b.version);
        const current = userVersion(db);
        const known = steps.length ? steps[steps.length - 1].version : 0;
        if (current > known && steps.length) {
            throw new Error(`schema version ${current} is newer than this program knows (${known}); use a newer version`);
        }
        if (!opts.readOnly) {
            for (const step of steps) {
                if (step.version <= userVersion(db)) continue;
                transaction(db, () => {
                    step.up(db);
                    db.exec(`PRAGMA user_version = ${Math.trunc(step.version)}`);
                });
            }
        }
    } catch (e) {
        db.close();
        throw new Error(`SQLite database ${file}: ${(e as Error).message}`, { cause: e });
    }
    return db;
}

/** `PRAGMA user_version`: the schema version the migrations reached. */
export function userVersion(db: Database): number {
    return Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
}

/**
 * Runs `fn` in one write transaction (`BEGIN IMMEDIATE`, so the write lock is taken up front and a busy database
 * fails at BEGIN, not half-way). Commits when `fn` returns, rolls back and rethrows when it throws. Not re-entrant.
 */
export function transaction<T>(db: Database, fn: () => T): T {
    db.exec("BEGIN IMMEDIATE");
    let result: T;
    try {
        result = fn();
    } catch (e) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw e;
    }
    db.exec("COMMIT");
    return result;
}
