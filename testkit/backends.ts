/**
 * The backends the provider's integration suites run against: one line per backend. Each starts a server speaking the
 * tenant API on a free port with the demo tenants, and answers a {@link TestTenant}. A new backend (an adapter of the
 * tenant service's directory port, server/directory.ts) is tested by adding its line here.
 */
import { startTestEmulator, type TestEmulatorOptions, type TestTenant } from "./emulator";

/** One backend of the registry. */
export interface TestBackend {
    /** For suite titles. */
    readonly title: string;
    start(opts: TestEmulatorOptions): Promise<TestTenant>;
}

export const TEST_BACKENDS = {
    emulator: { title: "the emulator", start: startTestEmulator },
    gateway: {
        title: "the gateway (stand-in shell)",
        // Loaded on first use: the gateway helpers start stand-in shell processes.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        start: (opts) => (require("./gateway") as typeof import("./gateway")).startTestGateway(opts),
    },
} satisfies Record<string, TestBackend>;

export type BackendName = keyof typeof TEST_BACKENDS;

/** The backend suites run against unless told otherwise. */
export const DEFAULT_BACKEND: BackendName = "emulator";

/** A registry name, or an Error listing the registered ones. */
export function backendNamed(name: string): BackendName {
    if (Object.hasOwn(TEST_BACKENDS, name)) return name as BackendName;
    throw new Error(`no test backend "${name}"; registered: ${Object.keys(TEST_BACKENDS).join(", ")}`);
}
