/**
 * Background processing of a tenant's batch assignments: operations run one after another, in chunks, each chunk made
 * durable (its finished users' rows, not the whole batch) before the next starts, so a big batch is observable as `InProgress` and a restart resumes where the last
 * durable chunk ended (the operation keeps its pending users).
 */
import type { Tenant } from "./tenant";

/** Users processed between two durable saves. */
const BATCH_CHUNK = 500;

/** Runs one tenant's unfinished batch operations. */
export class BatchWorker {
    private loop?: Promise<void>;
    private stopping = false;

    constructor(private readonly tenant: Tenant) {}

    /** Starts processing if unfinished operations exist (after an accepted batch, and at load after a restart). */
    resume(): void {
        if (this.loop || this.stopping) return;
        this.loop = this.run().finally(() => {
            this.loop = undefined;
        });
    }

    /** Stops after the current chunk and waits for its save; unfinished operations resume at the next start. */
    async stop(): Promise<void> {
        this.stopping = true;
        await this.loop;
    }

    private async run(): Promise<void> {
        for (;;) {
            const op = this.tenant.state.operations.find((o) => o.status !== "Completed");
            if (!op || this.stopping) return;
            // Yield so requests (e.g. status polls) interleave with chunks.
            await new Promise((r) => setTimeout(r, 0));
            op.status = "InProgress";
            for (const user of op.pending.splice(0, BATCH_CHUNK)) op.results.push(this.tenant.assignBatchUser(op, user));
            if (op.pending.length === 0) op.status = "Completed";
            // Only this operation's row and the users this chunk finished are written.
            await this.tenant.commitOperation(op);
        }
    }
}
