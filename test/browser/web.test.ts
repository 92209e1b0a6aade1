import { resolve } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Phone } from "../listener/support/phone.js";
import { mailsTo } from "../support/api.js";
import { launchChromium, screenshot, seriousViolations } from "../support/browser.js";
import { startWebStack, type WebStack } from "../support/web-stack.js";

/**
 * The PBX in a real Chromium (issue 11's Show list): the admin portal, the welcome email's
 * quick login, the Web Client's contacts with live updates over 8111, Menu Visibility, a CSV
 * import, and axe-core on every page. One story, in order: each step builds on the last.
 */

const SLUG = `web-${Date.now().toString(36)}`;
const ADMIN = { email: `admin@${SLUG}.example.com`, password: "Adm1nPassword!" };
const USER = { email: `ada@${SLUG}.example.com`, number: "2001", password: "Lovelace2001Pass" };

/** Every page at both widths, to look at after a run (never in docs/). */
const SWEEP_SHOTS = resolve(import.meta.dirname, "../../.reports/screenshots/pages");

/** How long a page may take to show what an action caused (the machine is shared and slow at times). */
const POLL = { timeout: 8_000 };

let stack: WebStack;
let browser: Browser;
let adminContext: BrowserContext;
let userContext: BrowserContext;
let admin: Page;
let user: Page;
let adminToken: string;
let tenantId: string;
let userId: string;

async function api(method: string, path: string, body?: unknown, token = adminToken) {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function expectAccessible(page: Page, name: string) {
  const violations = await seriousViolations(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
}

/** The described-by note of a field: where its error is shown. */
async function noteOf(page: Page, label: string) {
  const input = page.getByLabel(label, { exact: true });
  const noteId = await input.getAttribute("aria-describedby");
  return {
    invalid: await input.getAttribute("aria-invalid"),
    note: noteId ? ((await page.locator(`#${noteId}`).textContent()) ?? "") : "",
  };
}

// Each step drives several pages (and scrypt-heavy logins) on a shared 2-core machine.
describe("the PBX in a browser", { timeout: 90_000 }, () => {
  beforeAll(async () => {
    stack = await startWebStack();
    const provisioned = await api(
      "POST",
      "/api/v1/platform/tenants",
      { name: "Acme Web", slug: SLUG, adminEmail: ADMIN.email, adminPassword: ADMIN.password },
      stack.platformKey,
    );
    expect(provisioned.status, JSON.stringify(provisioned.body)).toBe(201);
    tenantId = provisioned.body.tenant.id;
    const login = await api("POST", "/api/v1/auth/login", { server: SLUG, ...ADMIN });
    adminToken = login.body.accessToken;
    // Everyone manages Company Contacts in this PBX (seed 001's prerequisite).
    const rule = await api("POST", "/api/v1/company-contacts-rules", {
      name: "Everyone manages",
      members: { everyone: true },
      access: "manage",
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    browser = await launchChromium();
    // bypassCSP lets axe-core's script run inside pages whose CSP allows only their own scripts.
    adminContext = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
    userContext = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
    // Well under the test timeout, so a missing element fails with its own message.
    adminContext.setDefaultTimeout(8_000);
    userContext.setDefaultTimeout(8_000);
    admin = await adminContext.newPage();
    user = await userContext.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("an administrator logs in and adds an extension through the form; bad input is refused next to its field", async () => {
    // Prepare: an unknown path of the app lands on the login page.
    await admin.goto(`${stack.baseUrl}/admin/extensions`);
    await admin.getByRole("heading", { name: "Log in to Linkus" }).waitFor();
    await expectAccessible(admin, "login");
    await screenshot(admin, "login");

    // Act: log in with server, email and password (seed 000's manual login).
    await admin.getByLabel("Server").fill(SLUG);
    await admin.getByLabel("Email or extension number").fill(ADMIN.email);
    await admin.getByLabel("Password").fill(ADMIN.password);
    await admin.getByRole("button", { name: "Log in" }).click();
    await admin.getByRole("heading", { name: "Contacts" }).waitFor();
    await admin.getByRole("link", { name: "Extensions" }).click();
    await admin.getByRole("heading", { name: "Extensions" }).waitFor();
    await admin.getByRole("cell", { name: ADMIN.email }).waitFor();
    await expectAccessible(admin, "extensions list");
    await screenshot(admin, "extensions");

    await admin.getByRole("button", { name: "Add", exact: true }).click();
    await admin.getByRole("heading", { name: "Add extension" }).waitFor();
    await admin.getByLabel("First Name").fill("Ada");
    await admin.getByLabel("Last Name").fill("Lovelace");
    await admin.getByLabel("Email Address").fill(ADMIN.email); // taken by the administrator
    await admin.getByLabel("User Password", { exact: true }).fill("weak");
    await admin.getByLabel("Extension Number").fill(USER.number);
    await admin.getByRole("button", { name: "Save and Apply" }).click();

    // Assess: the weak password is refused next to its field, in the API's own words.
    const apiAnswer = await api("POST", "/api/v1/extensions", { firstName: "X", number: "2999", userPassword: "weak" });
    expect(apiAnswer.status).toBe(400);
    const apiMessage = apiAnswer.body.fields.find((f: { field: string }) => f.field === "userPassword").message;
    await expect
      .poll(async () => (await noteOf(admin, "User Password")).note, POLL)
      .toBe(`User Password ${apiMessage}`);
    expect((await noteOf(admin, "User Password")).invalid).toBe("true");
    await expectAccessible(admin, "extension form with errors");
    await screenshot(admin, "extension-form-errors");

    // A strong password: now the API refuses the taken email, next to the email field.
    await admin.getByLabel("User Password", { exact: true }).fill(USER.password);
    await admin.getByRole("button", { name: "Save and Apply" }).click();
    await expect
      .poll(async () => (await noteOf(admin, "Email Address")).note, POLL)
      .toBe("This email address is already used by another user");
    expect((await noteOf(admin, "User Password")).invalid).toBeNull();

    await admin.getByLabel("Email Address").fill(USER.email);
    await admin.getByRole("button", { name: "Save and Apply" }).click();
    await admin.getByRole("heading", { name: `Extension ${USER.number} created` }).waitFor();
    const listed = await api("GET", `/api/v1/extensions?search=${USER.number}`);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({
      firstName: "Ada",
      lastName: "Lovelace",
      email: USER.email,
      concurrentRegistrations: 1,
    });
    userId = listed.body.items[0].id;
  });

  it("sends the welcome email from the list; its quick login link opens the Web Client signed in", async () => {
    await admin.getByRole("link", { name: "Back to Extensions" }).click();
    await admin.getByLabel("Search").fill(USER.number);
    await admin.getByRole("cell", { name: USER.email }).waitFor();
    await admin.getByLabel(`Select extension ${USER.number}`).check();
    await admin.getByRole("button", { name: /Send Welcome Email/ }).click();
    await admin.getByText("Welcome email sent to 1 of 1.").waitFor();

    const [mail] = await mailsTo(USER.email);
    const link = /http:\/\/127\.0\.0\.1:\d+\/quick-login#token=\S+/.exec(mail?.body.text ?? "")?.[0];
    expect(link?.startsWith(`${stack.baseUrl}/quick-login#token=`), mail?.body.text).toBe(true);

    await user.goto(link as string);
    await user.getByRole("heading", { name: "Contacts" }).waitFor();
    await expect.poll(() => user.locator(".who").textContent(), POLL).toContain(USER.number);
    expect(new URL(user.url()).hash, "the token is wiped from the address bar").toBe("");
    await user.getByRole("status", { name: "Live updates: live" }).waitFor();
  });

  it("adds company contacts from a call log and from a personal contact; another browser sees them appear live", async () => {
    // Prepare: a call from an outside number, and the administrator watching Company Contacts.
    const call = await api(
      "POST",
      `/api/v1/platform/tenants/${tenantId}/extensions/${userId}/records`,
      {
        kind: "call",
        name: "Grace Hopper",
        number: "+1 555 0100",
        direction: "inbound",
        status: "answered",
        startedAt: new Date().toISOString(),
        durationSeconds: 75,
      },
      stack.platformKey,
    );
    expect(call.status, JSON.stringify(call.body)).toBe(201);
    await admin.getByRole("link", { name: "Contacts", exact: true }).click();
    await admin.getByLabel("Directory").selectOption("company");
    await admin.getByText("No contacts in Company Contacts yet.").waitFor();
    await admin.getByRole("status", { name: "Live updates: live" }).waitFor();

    // Act: right-click the call log, Add New Contact, to Company Contacts.
    await user.getByRole("link", { name: "Call Logs" }).click();
    const row = user.getByRole("row", { name: /Grace Hopper/ });
    await row.click({ button: "right" });
    await user.getByRole("menuitem", { name: "Add New Contact" }).click();
    const dialog = user.getByRole("dialog", { name: "Add New Contact" });
    expect(await dialog.getByLabel("Number type").inputValue()).toBe("business");
    await dialog.getByLabel("Add to").selectOption("company");
    await dialog.getByLabel("First Name").fill("Grace");
    await dialog.getByLabel("Last Name").fill("Hopper");
    await expectAccessible(user, "add new contact dialog");
    await screenshot(user, "call-logs-add-new-contact");
    await dialog.getByRole("button", { name: "Save" }).click();
    await user.getByText("+1 555 0100 added to Grace Hopper in Company Contacts.").waitFor();

    // Assess: the administrator's page shows it without a reload.
    await admin.getByRole("button", { name: /^Grace Hopper/ }).waitFor({ timeout: 10_000 });

    // Act: a personal contact, then "Add to Company Contacts" from its card's right-click menu.
    await user.getByRole("link", { name: "Contacts" }).click();
    await user.getByRole("button", { name: "Add", exact: true }).click();
    const add = user.getByRole("dialog", { name: "Add contact" });
    await add.getByLabel("Add to").selectOption("personal");
    await add.getByLabel("First Name").fill("Linus");
    await add.getByLabel("Last Name").fill("Torvalds");
    await add.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => add.getByText(/Number 1 .*required|at least one number/).count(), POLL).toBe(1);
    await add.getByLabel("Number 1", { exact: true }).fill("+358 40 123 4567");
    await add.getByRole("button", { name: "Save" }).click();
    await user.getByText("Linus Torvalds saved.").waitFor();
    await user.getByLabel("Directory").selectOption("personal");
    await user.locator(".contact-card", { hasText: "Linus Torvalds" }).click({ button: "right" });
    await user.getByRole("menuitem", { name: "Add to Company Contacts" }).click();
    await user.getByText("Added successfully").waitFor();

    // Assess: live again, and the company directory holds both.
    await admin.getByRole("button", { name: /^Linus Torvalds/ }).waitFor({ timeout: 10_000 });
    const company = await api("GET", "/api/v1/contacts?directory=company");
    expect(company.body.items.map((c: { firstName: string }) => c.firstName).sort()).toEqual(["Grace", "Linus"]);
    await expectAccessible(admin, "contacts");
    await screenshot(admin, "contacts");
    await user.getByLabel("Directory").selectOption("all");
    await user
      .getByRole("button", { name: /^Linus Torvalds/ })
      .first()
      .waitFor();
    // Colleagues with their presence, live: the administrator's own Web Client (open in the other
    // context) registered its softphone over SIP WebSocket, so 1000 shows as available.
    const colleagues = user.getByRole("region", { name: "Colleagues" });
    await colleagues.getByText("1000 Administrator").waitFor();
    await colleagues
      .getByRole("listitem")
      .filter({ hasText: "1000 Administrator" })
      .filter({ hasText: "Available" })
      .waitFor();
    expect(await colleagues.getByText(`${USER.number} Ada Lovelace`).count(), "not oneself").toBe(0);
    await screenshot(user, "web-client-contacts");
  });

  it("an administrator adds a Menu Visibility rule on the permissions page; it hides the menu from the user, live", async () => {
    // Prepare
    await user.getByRole("link", { name: "Recordings" }).waitFor();
    await admin.getByRole("link", { name: "Linkus permissions" }).click();
    await admin.getByText("No rules: every user sees every menu").waitFor();

    // Act: Disallow the Recordings menu for extension 2001 only.
    await admin.getByRole("button", { name: "Add rule" }).click();
    const form = admin.getByRole("form", { name: "New rule" });
    await form.getByLabel("Rule name").fill("No recordings for Ada");
    await form.getByLabel("Permission").selectOption("menu");
    await form.getByLabel("Effect").selectOption("disallow");
    await form.getByLabel("Recordings").check();
    await form.getByLabel("Everyone").uncheck();
    await form.getByLabel(`${USER.number} Ada Lovelace`).check();
    await expectAccessible(admin, "permissions page");
    await screenshot(admin, "linkus-permissions");
    await form.getByRole("button", { name: "Save rule" }).click();
    await admin.getByRole("cell", { name: "No recordings for Ada", exact: true }).waitFor();

    // Assess: the user's menu goes without a reload; the administrator keeps it.
    await expect.poll(() => user.getByRole("link", { name: "Recordings" }).count(), { timeout: 10_000 }).toBe(0);
    expect(await user.getByRole("link", { name: "Call Logs" }).count()).toBe(1);
    expect(await admin.getByRole("link", { name: "Recordings" }).count()).toBe(1);
    const rules = await api("GET", "/api/v1/linkus-permission-rules");
    expect(rules.body.items).toEqual([
      expect.objectContaining({
        kind: "menu",
        effect: "disallow",
        items: ["recordings"],
        members: { everyone: false, extensions: [userId], organizations: [] },
      }),
    ]);
    await user.goto(`${stack.baseUrl}/recordings`);
    await user.getByText("Recordings is not available to you").waitFor();

    // A Dial Pad rule hides the phone's dialer (calls still ring), live; removing it brings it back.
    const phone = user.getByRole("region", { name: "Phone" });
    await phone.getByLabel("Number to call").waitFor();
    const dialPad = await api("POST", "/api/v1/linkus-permission-rules", {
      kind: "menu",
      name: "No dial pad for Ada",
      effect: "disallow",
      items: ["dial_pad"],
      members: { everyone: false, extensions: [userId], organizations: [] },
    });
    expect(dialPad.status).toBe(201);
    await phone.getByText("The dial pad is hidden for you by a Linkus permission rule").waitFor({ timeout: 10_000 });
    expect(await phone.getByLabel("Number to call").count()).toBe(0);
    expect((await api("DELETE", `/api/v1/linkus-permission-rules/${dialPad.body.id}`)).status).toBe(204);
    await phone.getByLabel("Number to call").waitFor({ timeout: 10_000 });
  });

  it("imports a contacts CSV through the page, the progress bar reaching 100 %", async () => {
    const rows = Array.from(
      { length: 40 },
      (_, i) => `Imported,Person ${i},Acme,,+1 555 2${String(i).padStart(3, "0")}`,
    );
    const csv = ["First Name,Last Name,Company,Email,Business Number", ...rows, "Bad,Row,,not-an-email,123"].join("\n");
    await admin.getByRole("link", { name: "Contacts import and export" }).click();
    await admin.getByLabel("Contacts file (CSV or vCard)").setInputFiles({
      name: "contacts.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(csv),
    });
    await admin.getByText("Import completed: 100 %").waitFor({ timeout: 20_000 });
    expect(await admin.locator("progress").getAttribute("value")).toBe("100");
    await admin.getByRole("cell", { name: "email", exact: true }).waitFor();
    await expectAccessible(admin, "import");
    await screenshot(admin, "contacts-import");
    const company = await api("GET", "/api/v1/contacts?directory=company&q=Imported&limit=200");
    expect(company.body.items).toHaveLength(40);
  });

  it("shows a blocked IP address's end time plainly on the login page", async () => {
    // Its own address (the test stack trusts X-Forwarded-For), so the other pages stay unblocked.
    const context = await browser.newContext({
      bypassCSP: true,
      extraHTTPHeaders: { "x-forwarded-for": "203.0.113.77" },
    });
    context.setDefaultTimeout(8_000);
    const page = await context.newPage();
    await page.goto(`${stack.baseUrl}/login`);
    const settings = await api("GET", "/api/v1/security/login-settings");
    for (let i = 0; i <= settings.body.maxFailures; i++) {
      await page.getByLabel("Server").fill(SLUG);
      await page.getByLabel("Email or extension number").fill(ADMIN.email);
      await page.getByLabel("Password").fill(`Wrong-${i}`);
      await page.getByRole("button", { name: "Log in" }).click();
      await page.getByRole("alert").first().waitFor();
    }
    await page.getByText(/Logging in is blocked until .+; ask your administrator to unblock it sooner\./).waitFor();
    await expectAccessible(page, "login blocked");
    await screenshot(page, "login-blocked");
    await context.close();

    // The administrator sees the address on the Login security page and unblocks it.
    await admin.getByRole("link", { name: "Login security" }).click();
    await admin.getByRole("cell", { name: "203.0.113.77", exact: true }).waitFor();
    await expectAccessible(admin, "login security");
    await screenshot(admin, "login-security");
    await admin.getByRole("button", { name: "Unblock 203.0.113.77" }).click();
    await admin.getByText("203.0.113.77 unblocked.").waitFor();
    expect((await api("GET", "/api/v1/security/blocked-ips")).body.items).toEqual([]);

    // The event log holds the block; its Event filter narrows to it.
    await admin.getByRole("link", { name: "Event log" }).click();
    await admin.getByLabel("Event", { exact: true }).selectOption("web_user_blocked_out");
    await admin.getByRole("row", { name: /Web User Blocked Out .*203\.0\.113\.77/ }).waitFor();
    expect(await admin.getByRole("row", { name: /Web User Login Success/ }).count()).toBe(0);
    await expectAccessible(admin, "event log");
    await screenshot(admin, "event-log");
  });

  it("an administrator adds an organization, with Organization Management turned on", async () => {
    await admin.getByRole("link", { name: "Organizations" }).click();
    await admin.getByText("No organizations yet.").waitFor();
    // Saved on click; the box shows the saved setting.
    await admin.getByLabel(/Organization Management/).click();
    await expect.poll(() => admin.getByLabel(/Organization Management/).isChecked(), POLL).toBe(true);
    await admin.getByRole("button", { name: "Add organization" }).click();
    const form = admin.getByRole("form", { name: "Organization" });
    await form.getByRole("button", { name: "Save" }).click();
    await form.getByText("Name is required").waitFor();
    await form.getByLabel("Name").fill("Sales");
    await form.getByRole("button", { name: "Save" }).click();
    await admin.getByRole("cell", { name: "Sales", exact: true }).waitFor();
    await expectAccessible(admin, "organizations");
    expect((await api("GET", "/api/v1/settings")).body.organizationManagement).toBe(true);

    // The extension form now offers it (seed 002: only when Organization Management is on).
    await admin.getByRole("link", { name: "Extensions" }).click();
    await admin.getByRole("link", { name: `Edit extension ${USER.number}` }).click();
    await admin.getByRole("checkbox", { name: "Sales" }).check();
    await admin.getByRole("button", { name: "Save and Apply" }).click();
    await admin.getByRole("heading", { name: "Extensions" }).waitFor();
    const [organization] = (await api("GET", "/api/v1/organizations")).body.items;
    expect((await api("GET", `/api/v1/extensions/${userId}`)).body.organizations).toEqual([organization.id]);
  });

  it("an administrator adds a custom role with the permission editor; the system roles show their holders", async () => {
    await admin.getByRole("link", { name: "User roles" }).click();
    const superAdmin = admin.getByRole("row", { name: /Super Administrator System 1/ });
    await superAdmin.waitFor();
    await admin.getByRole("button", { name: "Add role" }).click();
    const form = admin.getByRole("form", { name: "Role" });
    await form.getByLabel("Role name").fill("Directory keeper");
    await form.getByLabel("Company contacts: manage").check();
    await form.getByLabel("Extensions: view").check();
    await form.getByRole("button", { name: "Save role" }).click();
    await admin.getByRole("row", { name: /Directory keeper Custom 0/ }).waitFor();
    await expectAccessible(admin, "roles");
    const roles = await api("GET", "/api/v1/roles");
    const custom = roles.body.items.find((r: { name: string }) => r.name === "Directory keeper");
    expect(custom.permissions.sort()).toEqual(["company_contacts.manage", "extensions.view"]);
  });

  it("event notifications: a template with an unknown variable is refused next to its field; a contact is added", async () => {
    await admin.getByRole("link", { name: "Event notifications" }).click();
    await admin.getByRole("button", { name: "Edit template of Web User Blocked Out" }).click();
    const form = admin.getByRole("form", { name: "Email template of Web User Blocked Out" });
    await form.getByLabel("Subject").fill("Blocked: {{source_ip}} at {{event_time}}");
    await expect
      .poll(() => form.getByRole("region", { name: "Preview" }).textContent(), POLL)
      .toContain("Blocked: 203.0.113.7");
    await form.getByLabel("Body").fill("{{no_such_variable}} happened");
    await form.getByRole("button", { name: "Save template" }).click();
    await expect.poll(async () => (await noteOf(admin, "Body")).note, POLL).toMatch(/^Body .*no_such_variable/);
    await expectAccessible(admin, "event notifications");
    await screenshot(admin, "event-notifications");
    await form.getByLabel("Body").fill("{{event_name}} from {{source_ip}}");
    await form.getByRole("button", { name: "Save template" }).click();
    await admin.getByText("Template of Web User Blocked Out saved.").waitFor();

    const contact = admin.getByRole("form", { name: "Add notification contact" });
    await contact.getByLabel("Name").fill("Security desk");
    await contact.getByLabel("Email").fill("not-an-email");
    await contact.getByRole("button", { name: "Add contact" }).click();
    await expect
      .poll(async () => (await noteOf(admin, "Email")).note, POLL)
      .toBe("Email must be a valid email address");
    await contact.getByLabel("Email").fill("desk@example.com");
    await contact.getByRole("button", { name: "Add contact" }).click();
    await admin.getByText("Security desk <desk@example.com> · Alert").waitFor();
    const settings = await api("GET", "/api/v1/event-notifications");
    const blocked = settings.body.items.find((i: { event: string }) => i.event === "web_user_blocked_out");
    expect(blocked.template).toMatchObject({
      subject: "Blocked: {{source_ip}} at {{event_time}}",
      body: "{{event_name}} from {{source_ip}}",
    });
  });

  it("the operator's console lists, provisions, suspends and deletes tenants with the platform key", async () => {
    const page = await adminContext.newPage();
    page.on("dialog", (dialog) => void dialog.accept());
    await page.goto(`${stack.baseUrl}/operator`);
    await page.getByLabel("Platform key").fill("wrong-key");
    await page.getByRole("button", { name: "Open" }).click();
    await page.getByRole("alert").waitFor();
    await page.getByLabel("Platform key").fill(stack.platformKey);
    await page.getByRole("button", { name: "Open" }).click();
    await page.getByRole("heading", { name: "Tenants" }).waitFor();

    const slug = `${SLUG}-b`;
    await page.getByLabel("Name").fill("Beta Web");
    await page.getByLabel("Server (slug)").fill(slug);
    await page.getByLabel("Administrator email").fill(`boss@${slug}.example.com`);
    await page.getByRole("button", { name: "Provision" }).click();
    await page.getByText(/Beta Web is ready\. .*password \(shown once\): \S+/).waitFor();
    await expectAccessible(page, "operator console");
    await screenshot(page, "operator");
    const row = page.getByRole("row", { name: new RegExp(`Beta Web ${slug}`) });
    await row.getByRole("button", { name: `Suspend ${slug}` }).click();
    await page.getByRole("row", { name: new RegExp(`Beta Web ${slug} suspended`) }).waitFor();
    await page.getByRole("button", { name: `Delete ${slug}` }).click();
    await expect.poll(() => page.getByRole("row", { name: new RegExp(`Beta Web ${slug} `) }).count(), POLL).toBe(0);
    await page.close();
  });

  it("shows an IP phone's registration as the extension's device in the portal, and its presence on a company contact's card", async () => {
    // Prepare: a phone registers over UDP with the extension's SIP credentials, as a desk phone would.
    const credentials = await api("GET", `/api/v1/extensions/${userId}/sip-credentials`);
    expect(credentials.status).toBe(200);
    const sip = {
      registrationName: credentials.body.registrationName,
      password: credentials.body.registrationPassword,
    };
    const phone = await Phone.open(stack.sipPort, "udp");
    const aor = `<sip:${sip.registrationName}@${SLUG}>`;
    const register = (expires: number) =>
      phone.build("REGISTER", `sip:${SLUG}`, {
        from: aor,
        to: aor,
        headers: [
          ["Contact", `<sip:${sip.registrationName}@127.0.0.1:${phone.port}>`],
          ["Expires", String(expires)],
          ["User-Agent", "Yealink SIP-T54W 96.86.0.70"],
        ],
      });
    try {
      expect((await phone.authenticated(register(600), sip)).status).toBe(200);

      // Act: the administrator opens the extension's devices from the list.
      await admin.goto(`${stack.baseUrl}/admin/extensions`);
      await admin.getByLabel("Search").fill(USER.number);
      await admin.getByRole("cell", { name: USER.email }).waitFor();
      await admin.getByRole("button", { name: `Devices of extension ${USER.number}` }).click();

      // Assess: the device as the listener stored it, and the list's status from the 8111 presence feed.
      const devices = admin.getByRole("table", { name: `Registered devices of extension ${USER.number}` });
      const row = devices.getByRole("row", { name: /Yealink SIP-T54W/ });
      await row.waitFor();
      expect(await row.getByRole("cell").allTextContents()).toEqual([
        "IP phone (slot 1)",
        "Yealink SIP-T54W 96.86.0.70",
        `sip:${sip.registrationName}@127.0.0.1:${phone.port}`,
        "UDP",
        `127.0.0.1:${phone.port}`,
        expect.any(String),
      ]);
      await admin.getByRole("row", { name: new RegExp(`${USER.number}.*Registered`) }).waitFor();
      await expectAccessible(admin, "extension devices");
      await screenshot(admin, "extension-devices");

      // Act: a company contact whose number is that extension.
      const contact = await api("POST", "/api/v1/company-contacts", {
        firstName: "Ada",
        lastName: "Desk",
        numbers: [{ type: "business", number: USER.number }],
      });
      expect(contact.status, JSON.stringify(contact.body)).toBe(201);
      await admin.getByRole("link", { name: "Contacts", exact: true }).click();
      await admin.getByLabel("Directory").selectOption("company");

      // Assess: its card shows the colleague's presence, and follows it live when the phone unregisters.
      const card = admin.getByRole("button", { name: /^Ada Desk/ });
      await expect.poll(() => card.textContent(), POLL).toContain(`Available · extension ${USER.number}`);
      expect(await admin.getByRole("button", { name: /^Grace Hopper/ }).textContent()).not.toContain("extension");
      await expectAccessible(admin, "contacts with presence");
      // The user's own Web Client keeps the extension registered too (its softphone, over
      // WebSocket): leaving that page removes its binding, so only the desk phone is left.
      await user.goto("about:blank");
      expect((await phone.authenticated(register(0), sip)).status).toBe(200);
      await expect.poll(() => card.textContent(), POLL).toContain(`Offline · extension ${USER.number}`);
      await user.goto(`${stack.baseUrl}/contacts`);
    } finally {
      phone.close();
    }
  });

  it("axe-core finds no serious violation on any page, at desktop and phone width, and no page scrolls sideways", async () => {
    // Every page of the app; the shell's menus must not name one this list lacks.
    const signedIn = [
      "/contacts",
      "/call-logs",
      "/voicemails",
      "/recordings",
      "/settings",
      "/admin/extensions",
      "/admin/extensions/new",
      `/admin/extensions/${userId}`,
      "/admin/contacts",
      "/admin/permissions",
      "/admin/security",
      "/admin/organizations",
      "/admin/roles",
      "/admin/events",
      "/admin/notifications",
    ];
    const page = await adminContext.newPage();
    await page.goto(`${stack.baseUrl}/contacts`);
    await page.getByRole("heading", { name: "Contacts" }).waitFor();
    const menus = await Promise.all((await page.locator("nav a[href]").all()).map((link) => link.getAttribute("href")));
    expect(menus.length).toBeGreaterThan(10);
    expect(menus.filter((href) => !signedIn.includes(href ?? ""))).toEqual([]);
    const signedOut = await browser.newContext({ bypassCSP: true });
    const anonymous = await signedOut.newPage();
    const pages: Array<[Page, string]> = [
      ...signedIn.map((path) => [page, path] as [Page, string]),
      [anonymous, "/login"],
      [anonymous, "/quick-login"],
      [anonymous, "/operator"],
    ];
    const problems: string[] = [];
    for (const width of [1280, 390]) {
      for (const [tab, path] of pages) {
        await tab.setViewportSize({ width, height: 844 });
        await tab.goto(`${stack.baseUrl}${path}`);
        await tab.getByRole("heading", { level: 1 }).first().waitFor();
        await expect
          .poll(
            () =>
              tab
                .getByRole("status")
                .filter({ hasText: /^Loading/ })
                .count(),
            POLL,
          )
          .toBe(0);
        const violations = await seriousViolations(tab);
        if (violations.length) problems.push(`${path} at ${width}px: ${JSON.stringify(violations)}`);
        const scrollWidth = (await tab.evaluate("document.documentElement.scrollWidth")) as number;
        if (scrollWidth > width) problems.push(`${path} at ${width}px scrolls sideways (${scrollWidth}px wide)`);
        await tab.screenshot({
          path: `${SWEEP_SHOTS}/${path.replace(/\W+/g, "-").replace(/^-|-$/g, "") || "root"}-${width}.png`,
        });
      }
    }
    await signedOut.close();
    await page.close();
    expect(problems).toEqual([]);
  });

  it("works at a phone's width and renders the API reference", async () => {
    const phone = await userContext.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${stack.baseUrl}/contacts`);
    await phone.getByRole("heading", { name: "Contacts" }).waitFor();
    expect(await phone.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await expectAccessible(phone, "contacts at phone width");
    await screenshot(phone, "phone-contacts");

    await phone.setViewportSize({ width: 1280, height: 800 });
    await phone.goto(`${stack.baseUrl}/api/docs`);
    await phone.getByText("/api/v1/extensions").first().waitFor({ timeout: 20_000 });
    await screenshot(phone, "api-docs");
  });

  it("renews a refused access token with a rotated refresh token; a replayed one ends the session; logout ends it too", async () => {
    // Prepare: spoil the stored access token, as an expired one would be.
    const stored = () =>
      user.evaluate("JSON.parse(localStorage.getItem('pbx.session'))") as Promise<{
        accessToken: string;
        refreshToken: string;
      } | null>;
    const before = await stored();
    await user.evaluate(
      "(() => { const s = JSON.parse(localStorage.getItem('pbx.session')); s.accessToken = 'spoiled'; localStorage.setItem('pbx.session', JSON.stringify(s)); })()",
    );

    // Act: the next page's API call answers 401; the client refreshes once and retries.
    await user.goto(`${stack.baseUrl}/call-logs`);
    await user.getByRole("row", { name: /Grace Hopper/ }).waitFor();

    // Assess: new tokens; replaying the old refresh token is refused and ends the session,
    // so the page falls back to the login page.
    const after = await stored();
    expect(after?.refreshToken).not.toBe(before?.refreshToken);
    expect(after?.accessToken).not.toBe("spoiled");
    expect((await api("POST", "/api/v1/auth/refresh", { refreshToken: before?.refreshToken })).status).toBe(401);
    await user.reload();
    await user.getByRole("heading", { name: "Log in to Linkus" }).waitFor();

    // Act: the user logs in by extension number with the password the administrator set, then logs out.
    await user.getByLabel("Server").fill(SLUG);
    await user.getByLabel("Email or extension number").fill(USER.number);
    await user.getByLabel("Password").fill(USER.password);
    await user.getByRole("button", { name: "Log in" }).click();
    await user.getByRole("heading", { name: "Contacts" }).waitFor();
    const session = await stored();
    await user.getByRole("button", { name: "Log out" }).click();
    await user.getByRole("heading", { name: "Log in to Linkus" }).waitFor();

    // Assess: the tokens of the ended session are refused, and nothing is left in the browser.
    expect((await api("GET", "/api/v1/me", undefined, session?.accessToken)).status).toBe(401);
    expect(await stored()).toBeNull();
  });
});
