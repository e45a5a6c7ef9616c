/**
 * The provider's integration suites (clientPolicy.test.ts and policyGrant.test.ts), run again, unchanged, against every
 * backend of the registry (testkit/backends.ts) other than the one of the ordinary pass: the Skype for Business
 * Server gateway with the stand-in Management Shell behind it, and any backend added there. The suite files are loaded
 * again here (out of the require cache, so this works in the same mocha run as the ordinary pass) while the harness's
 * backend is that backend; their `before` hooks then start it.
 */
import { DEFAULT_BACKEND, TEST_BACKENDS, type BackendName } from "../../../testkit/backends";
import { useBackend } from "./harness";

const SUITES = ["./clientPolicy.test", "./policyGrant.test"];

for (const name of Object.keys(TEST_BACKENDS) as BackendName[]) {
    if (name === DEFAULT_BACKEND) continue;
    describe(`provider integration suites against ${TEST_BACKENDS[name].title}`, function () {
        before(() => useBackend(name));
        after(() => useBackend(DEFAULT_BACKEND));
        useBackend(name); // for the suite titles, while they register
        try {
            for (const s of SUITES) {
                const file = require.resolve(s);
                delete require.cache[file];
                // eslint-disable-next-line @typescript-eslint/no-require-imports -- registers the suite's describe blocks here
                require(file);
                // The ordinary pass loads the file again on its own, for the default backend.
                delete require.cache[file];
            }
        } finally {
            useBackend(DEFAULT_BACKEND);
        }
    });
}
