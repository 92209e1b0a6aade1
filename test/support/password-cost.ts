import { setPasswordCostForTests } from "../../layers/core/auth/password.js";

/**
 * Runs before every test file (vitest `setupFiles`): new password hashes cost N=2^10 instead of
 * 2^15, about 50 times less CPU. The suite creates and logs in over a thousand users for tests
 * about something else; test/unit/password.test.ts puts the shipped cost back and checks it.
 * Stored hashes carry their parameters, so every check still runs real scrypt, and unknown users
 * are still checked against a decoy of the same cost.
 */
setPasswordCostForTests({ N: 2 ** 10, r: 8, p: 1, keyLength: 32 });
