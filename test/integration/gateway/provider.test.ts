/**
 * The provider's integration suites (test/integration/provider/clientPolicy.test.ts and policyGrant.test.ts), run a
 * second time, unchanged, against the Skype for Business Server gateway with the stand-in Management Shell behind it.
 * The suite files are loaded again here (out of the require cache, so this works in the same mocha run as the
 * emulator's pass) while the harness's backend is "gateway"; their `before` hooks then start gateways.
 */
import { useBackend } from "../provider/harness";

const SUITES = ["../provider/clientPolicy.test", "../provider/policyGrant.test"];

describe("provider integration suites against the gateway", function () {
    before(() => useBackend("gateway"));
    after(() => useBackend("emulator"));
    useBackend("gateway"); // for the suite titles, while they register
    try {
        for (const s of SUITES) {
            const file = require.resolve(s);
            delete require.cache[file];
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- registers the suite's describe blocks here
            require(file);
        }
    } finally {
        useBackend("emulator");
    }
});
