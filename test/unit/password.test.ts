import { randomBytes, scryptSync } from "node:crypto";
import { performance } from "node:perf_hooks";
import { beforeAll, describe, expect, it } from "vitest";
import {
  generatePassword,
  generateRegistrationName,
  hashPassword,
  PASSWORD_COST,
  setPasswordCostForTests,
  verifyPassword,
} from "../../layers/core/auth/password.js";
import { strongPassword } from "../../layers/core/schemas/common.js";
import { registrationPassword } from "../../layers/core/schemas/extensions.js";

// The suite hashes cheaply (test/support/password-cost.ts); this file checks the shipped cost.
beforeAll(() => setPasswordCostForTests(PASSWORD_COST));

const LOOK_ALIKES = /[0O1lI]/;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

describe("hashPassword", () => {
  it("stores scheme, cost parameters, salt and key as scrypt$N$r$p$salt$key", async () => {
    // Act
    const hash = await hashPassword("Correct7Horse");

    // Assert
    const [scheme, n, r, p, salt, key, ...rest] = hash.split("$");
    expect(scheme).toBe("scrypt");
    expect(Number(n)).toBe(2 ** 15);
    expect(Number(r)).toBe(8);
    expect(Number(p)).toBe(1);
    expect(Buffer.from(salt as string, "base64")).toHaveLength(16);
    expect(Buffer.from(key as string, "base64")).toHaveLength(32);
    expect(rest).toEqual([]);
  });

  it("salts every hash, so the same password never hashes the same twice", async () => {
    // Act
    const first = await hashPassword("Correct7Horse");
    const second = await hashPassword("Correct7Horse");

    // Assert
    expect(first).not.toBe(second);
    expect(first.split("$")[4]).not.toBe(second.split("$")[4]);
  });
});

describe("verifyPassword", () => {
  it("accepts the password that was hashed and refuses any other", async () => {
    // Arrange
    const hash = await hashPassword("Correct7Horse");

    // Act
    const right = await verifyPassword("Correct7Horse", hash);
    const wrongCase = await verifyPassword("correct7horse", hash);
    const empty = await verifyPassword("", hash);

    // Assert
    expect(right).toBe(true);
    expect(wrongCase).toBe(false);
    expect(empty).toBe(false);
  });

  it("reads the cost parameters from the stored hash, so older or newer parameters still verify", async () => {
    // Arrange: a hash made with a cheaper N than today's default
    const salt = randomBytes(16);
    const key = scryptSync("Older7Password", salt, 32, { N: 1024, r: 8, p: 1 });
    const stored = ["scrypt", 1024, 8, 1, salt.toString("base64"), key.toString("base64")].join("$");

    // Act
    const right = await verifyPassword("Older7Password", stored);
    const wrong = await verifyPassword("Older7Passw0rd", stored);

    // Assert
    expect(right).toBe(true);
    expect(wrong).toBe(false);
  });

  it("compares NFKC-normalised passwords, so the same characters typed differently still match", async () => {
    // Arrange: U+FB01 (the "fi" ligature) normalises to "fi"
    const hash = await hashPassword("Wi\uFB01Password9");

    // Act
    const result = await verifyPassword("WifiPassword9", hash);

    // Assert
    expect(result).toBe(true);
  });

  it("refuses hashes of another scheme or with missing parts", async () => {
    // Arrange
    const good = await hashPassword("Correct7Horse");
    const otherScheme = good.replace(/^scrypt/, "bcrypt");
    const truncated = good.split("$").slice(0, 5).join("$");

    // Act
    const results = await Promise.all([
      verifyPassword("Correct7Horse", otherScheme),
      verifyPassword("Correct7Horse", truncated),
      verifyPassword("Correct7Horse", ""),
    ]);

    // Assert
    expect(results).toEqual([false, false, false]);
  });

  it("refuses an unknown user (no stored hash), whatever the password", async () => {
    // Act
    const results = await Promise.all([
      verifyPassword("Correct7Horse", undefined),
      verifyPassword("", undefined),
      verifyPassword("AAAAAAAAAA", undefined),
    ]);

    // Assert
    expect(results).toEqual([false, false, false]);
  });

  it("spends as long on an unknown user as on a real check, so timing does not reveal which emails exist", async () => {
    // Arrange
    const hash = await hashPassword("Correct7Horse");
    await verifyPassword("warm-up", hash);
    const real: number[] = [];
    const decoy: number[] = [];

    // Act: interleaved, so load on the machine hits both series alike
    for (let run = 0; run < 5; run++) {
      real.push(await timed(() => verifyPassword("Wrong7Password", hash)));
      decoy.push(await timed(() => verifyPassword("Wrong7Password", undefined)));
    }

    // Assert: the decoy really runs scrypt at the same cost (skipping it would take well under 1 ms)
    const ratio = median(decoy) / median(real);
    expect(median(decoy)).toBeGreaterThan(5);
    expect(ratio, `decoy ${decoy.map(Math.round)} ms vs real ${real.map(Math.round)} ms`).toBeGreaterThan(0.3);
    expect(ratio, `decoy ${decoy.map(Math.round)} ms vs real ${real.map(Math.round)} ms`).toBeLessThan(3);
  });
});

describe("generatePassword", () => {
  it("always meets the user-password policy and leaves out look-alike characters", () => {
    // Act
    const samples = Array.from({ length: 200 }, () => generatePassword());

    // Assert
    for (const password of samples) {
      expect(password).toHaveLength(16);
      expect(password).toMatch(/[0-9]/);
      expect(password).toMatch(/[A-Z]/);
      expect(password).toMatch(/[a-z]/);
      expect(password).not.toMatch(LOOK_ALIKES);
      expect(strongPassword.safeParse(password).success).toBe(true);
    }
    expect(new Set(samples).size).toBe(samples.length);
  });

  it("honours the length, down to the policy minimum of 10", () => {
    // Act
    const short = Array.from({ length: 200 }, () => generatePassword(10));
    const long = generatePassword(40);

    // Assert
    for (const password of short) {
      expect(password).toHaveLength(10);
      expect(strongPassword.safeParse(password).success).toBe(true);
    }
    expect(long).toHaveLength(40);
  });

  it("with symbols, always includes one and stays valid as a SIP registration password", () => {
    // Act
    const samples = Array.from({ length: 200 }, () => generatePassword(20, true));

    // Assert
    for (const password of samples) {
      expect(password).toHaveLength(20);
      expect(password).toMatch(/[!#%*+\-=?@^_]/);
      expect(password).not.toMatch(LOOK_ALIKES);
      expect(password).not.toMatch(/[\s"\\]/);
      expect(registrationPassword.safeParse(password).success, password).toBe(true);
    }
  });

  it("without symbols, uses letters and digits only", () => {
    // Act
    const samples = Array.from({ length: 200 }, () => generatePassword());

    // Assert
    for (const password of samples) expect(password).toMatch(/^[A-Za-z0-9]+$/);
  });
});

describe("generateRegistrationName", () => {
  it("is 12 letters and digits by default, without look-alikes, and never repeats", () => {
    // Act
    const samples = Array.from({ length: 200 }, () => generateRegistrationName());

    // Assert
    for (const name of samples) {
      expect(name).toMatch(/^[A-Za-z0-9]{12}$/);
      expect(name).not.toMatch(LOOK_ALIKES);
    }
    expect(new Set(samples).size).toBe(samples.length);
  });

  it("honours the requested length", () => {
    // Act
    const name = generateRegistrationName(30);

    // Assert
    expect(name).toMatch(/^[A-Za-z0-9]{30}$/);
  });
});
