import jsQRModule from "jsqr";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Deps, defaultDeps } from "../../layers/core/deps.js";
import { consumeQuickLoginToken } from "../../layers/core/services/quick-login.js";
import { mailsTo, type SesMail, TestApi } from "../support/api.js";

type Tenant = Awaited<ReturnType<TestApi["createTenant"]>>;

// jsqr is CommonJS with `export default`: Node's loader hands over the module object.
const jsQR = ((jsQRModule as unknown as { default?: typeof jsQRModule }).default ?? jsQRModule) as unknown as (
  data: Uint8ClampedArray,
  width: number,
  height: number,
) => { data: string } | null;

/** Seed 000: quick login by link or QR code from the welcome email, or manual login. */
describe("welcome email and quick login", () => {
  let api: TestApi;
  let tenant: Tenant;
  let number = 6100;
  beforeAll(async () => {
    api = await TestApi.start();
    tenant = await api.createTenant({ name: "Harbour Logistics" });
  });
  afterAll(() => api.stop());

  const newUser = async () => {
    const email = `user${number}.${Math.random().toString(36).slice(2)}@example.com`;
    const created = await api.request("POST", "/api/v1/extensions", {
      token: tenant.token,
      body: { firstName: "Quinn", lastName: "Rivers", number: String(number++), email },
    });
    expect(created.status).toBe(201);
    return { id: created.body.id as string, email, number: created.body.number as string };
  };

  const send = (extensionIds: string[]) =>
    api.request("POST", "/api/v1/extensions/welcome-emails", { token: tenant.token, body: { extensionIds } });

  const quickLogin = (token: string, client = "linkus_mobile") =>
    api.request("POST", "/api/v1/auth/quick-login", { body: { token, client } });

  function linkIn(mail: SesMail): string {
    const link = /https:\/\/linkus\.test\.example\/quick-login#token=\S+/.exec(mail.body.text ?? "")?.[0];
    expect(link, "the text part holds the quick login link").toBeDefined();
    return link as string;
  }

  function qrIn(mail: SesMail): string {
    const image = mail.attachments.find((a) => a.contentType === "image/png");
    expect(image, "an inline PNG").toBeDefined();
    const png = PNG.sync.read(Buffer.from(image?.content ?? "", "base64"));
    const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(code, "the PNG is a readable QR code").not.toBeNull();
    return code?.data ?? "";
  }

  const tokenOf = (link: string) => decodeURIComponent(link.split("#token=")[1] ?? "");

  it("holds the manual login information and a link and QR code that log in once and never again", async () => {
    // Arrange
    const user = await newUser();

    // Act
    const sent = await send([user.id]);
    const [mail] = await mailsTo(user.email);

    // Assess: the email
    expect(sent.body.results).toEqual([{ extensionId: user.id, status: "sent" }]);
    expect(mail).toBeDefined();
    if (!mail) return;
    expect(mail.subject).toContain("Harbour Logistics");
    for (const fact of [user.email, user.number, tenant.slug, "8111"]) expect(mail.body.text).toContain(fact);
    // The image is embedded, not linked: an inline part that the HTML names by its Content-ID.
    expect(mail.body.html).toContain('<img src="cid:quick-login-qr"');
    expect(mail.attachments.find((a) => a.contentType === "image/png")).toMatchObject({
      contentId: "quick-login-qr",
      contentDisposition: "INLINE",
    });
    const link = linkIn(mail);
    expect(qrIn(mail)).toBe(link);

    // Assess: the token logs in once, by link or QR alike, and never again
    const first = await quickLogin(tokenOf(link));
    expect(first.status).toBe(200);
    expect(first.body.extension.id).toBe(user.id);
    expect((await api.request("GET", "/api/v1/me", { token: first.body.accessToken })).status).toBe(200);
    expect((await quickLogin(tokenOf(qrIn(mail)))).status).toBe(401);
  });

  it("retires the older link when a newer welcome email is sent", async () => {
    const user = await newUser();
    await send([user.id]);
    await send([user.id]);
    const [older, newer] = await mailsTo(user.email);
    expect(older && newer).toBeTruthy();
    if (!older || !newer) return;
    expect((await quickLogin(tokenOf(linkIn(older)))).status).toBe(401);
    expect((await quickLogin(tokenOf(linkIn(newer)))).status).toBe(200);
  });

  it("lets only one of two simultaneous uses of a token in", async () => {
    const user = await newUser();
    await send([user.id]);
    const [mail] = await mailsTo(user.email);
    const token = tokenOf(linkIn(mail as SesMail));
    const answers = await Promise.all([quickLogin(token, "web"), quickLogin(token, "linkus_desktop")]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
  });

  it("stores the token only as a hash, and it expires after seven days", async () => {
    // Arrange
    const user = await newUser();
    await send([user.id]);
    const token = tokenOf(linkIn((await mailsTo(user.email))[0] as SesMail));
    const secret = token.split(".")[3] ?? "";
    const { tenantItems } = await import("../support/api.js");
    const stored = (await tenantItems(tenant.id)).find((item) => item.SK === `QUICKLOGIN#${user.id}`);

    // Act
    const lateDeps: Deps = { ...defaultDeps(), now: () => new Date(Date.now() + 7 * 86_400_000 + 60_000) };
    const late = consumeQuickLoginToken(lateDeps, token);

    // Assess
    expect(JSON.stringify(stored)).not.toContain(secret);
    await expect(late).rejects.toMatchObject({ status: 401 });
    expect((await quickLogin(token)).status).toBe(200);
  });

  it("sends one email per extension, skipping those without an email address", async () => {
    const withEmail = await newUser();
    const withoutEmail = await api.request("POST", "/api/v1/extensions", {
      token: tenant.token,
      body: { firstName: "No", lastName: "Mail", number: String(number++) },
    });
    const sent = await send([withEmail.id, withoutEmail.body.id]);
    expect(sent.body.results).toEqual([
      { extensionId: withEmail.id, status: "sent" },
      { extensionId: withoutEmail.body.id, status: "skipped", reason: "The extension has no email address" },
    ]);
  });

  it("refuses unknown and repeated extension ids before sending anything", async () => {
    const user = await newUser();
    const unknown = await send([user.id, "01ARZ3NDEKTSV4RRFFQ69G5FAV"]);
    expect(unknown.status).toBe(400);
    expect(unknown.body.fields[0].field).toBe("extensionIds.1");
    expect(await mailsTo(user.email)).toEqual([]);
    expect((await send([user.id, user.id])).status).toBe(400);
    expect((await send([])).status).toBe(400);
  });

  it("sends the welcome email at creation when asked", async () => {
    const email = `created${Math.random().toString(36).slice(2)}@example.com`;
    const created = await api.request("POST", "/api/v1/extensions", {
      token: tenant.token,
      body: { firstName: "New", number: String(number++), email, sendWelcomeEmail: true },
    });
    expect(created.body.welcomeEmail).toEqual({ extensionId: created.body.id, status: "sent" });
    expect(await mailsTo(email)).toHaveLength(1);
  });

  it("retires the link when the extension is deleted", async () => {
    const user = await newUser();
    await send([user.id]);
    const token = tokenOf(linkIn((await mailsTo(user.email))[0] as SesMail));
    await api.request("DELETE", `/api/v1/extensions/${user.id}`, { token: tenant.token });
    expect((await quickLogin(token)).status).toBe(401);
    const { tenantItems } = await import("../support/api.js");
    expect((await tenantItems(tenant.id)).some((item) => item.SK === `QUICKLOGIN#${user.id}`)).toBe(false);
  });

  it("refuses malformed and made-up quick login tokens alike", async () => {
    const user = await newUser();
    for (const token of ["nonsense", `ql1.${tenant.id}.${user.id}.madeup`, "ql1.a.b.c"]) {
      const response = await quickLogin(token);
      expect(response.status).toBe(401);
      expect(response.body.message).toMatch(/invalid, already used or expired/);
    }
  });
});
