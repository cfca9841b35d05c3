import { chromium } from "@playwright/test";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { test, expect, ADMIN_EMAIL, ADMIN_PASSWORD, createUser, hydrated, signIn, signOut } from "./pages";

const stamp = Date.now();
const managerEmail = `t2.${stamp}@e2e.test`;
const otherEmail = `t2b.${stamp}@e2e.test`;
const password = "manager-password";
const customerName = `Harbor Foods ${stamp}`;

test.describe.serial("two-level visibility", () => {
  let customerUrl = "";

  test("an admin creates a tier-2 manager and a customer owned by them", async ({ page }) => {
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await createUser(page, "Tess Two", managerEmail, password, "tier2");
    await createUser(page, "Otto Other", otherEmail, password, "tier2");

    await page.goto("/customers/new");
    await hydrated(page);
    const form = page.getByTestId("customer-form");
    await form.getByTestId("customer-name").fill(customerName);
    await form.locator("input[name='input[email]']").fill(`buyer.${stamp}@harbor.test`);
    await form.locator("input[name='input[city]']").fill("Xiamen");
    await form.getByTestId("customer-owner").selectOption({ label: `Tess Two (${managerEmail})` });
    await form.locator("button[type='submit']").click();
    await expect(page.getByTestId("customer-title")).toHaveText(customerName);
    await expect(page.getByTestId("customer-owner-name")).toHaveText("Tess Two");
    customerUrl = new URL(page.url()).pathname;
    expect(customerUrl).toMatch(/^\/customers\/\d+$/);
    await page.screenshot({ path: "screenshots/customer-page.png", fullPage: true });
  });

  test("the manager sees exactly that customer", async ({ page }) => {
    await signIn(page, managerEmail, password);
    await page.goto("/customers");
    await hydrated(page);
    const rows = page.getByTestId("customer-table").locator("tbody tr");
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(customerName);
    await page.screenshot({ path: "screenshots/manager-list.png", fullPage: true });
  });

  test("another tier-2 manager opening its URL gets not found", async ({ page }) => {
    await signIn(page, otherEmail, password);
    const response = await page.goto(customerUrl);
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(/Not found/);
    await expect(page.getByText(customerName)).toHaveCount(0);
  });

  test("the search box narrows the list as one types", async ({ page }) => {
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await page.goto("/customers");
    await hydrated(page);
    await page.getByTestId("customer-search").fill(`Foods ${stamp}`);
    await expect(page).toHaveURL(/q=Foods/);
    await expect(page.getByTestId("customer-table").locator("tbody tr")).toHaveCount(1);
  });
});

test("the language switch turns the interface into Chinese", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/customers");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Customers");
  await page.getByTestId("lang-zh-CN").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("客户");
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  // The choice is remembered by the server too.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("客户");
  await page.screenshot({ path: "screenshots/chinese.png", fullPage: true });
  await hydrated(page);
  await page.getByTestId("lang-en").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Customers");
});

test("bad input is reported next to each field and nothing is lost", async ({ page }) => {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/customers/new");
  await hydrated(page);
  const form = page.getByTestId("customer-form");
  await form.getByTestId("customer-name").fill("<script>alert(1)</script>");
  await form.locator("input[name='input[phone]']").fill("call me maybe");
  await form.locator("input[name='input[birth_year]']").fill("1800");
  await form.locator("button[type='submit']").click();
  await expect(page.getByText("Not a valid phone number.")).toBeVisible();
  await expect(page.getByText("Not a valid year.")).toBeVisible();
  await expect(form.getByTestId("customer-name")).toHaveValue("<script>alert(1)</script>");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("signing in works and a wrong password says so", async ({ page }) => {
    await page.goto("/login");
    const form = page.getByTestId("login-form");
    await form.locator("input[name='email']").fill(ADMIN_EMAIL);
    await form.locator("input[name='password']").fill("not the password");
    await form.locator("button[type='submit']").click();
    await expect(page).toHaveURL(/\/login/);
    await expect(page.getByRole("alert")).toContainText("Wrong e-mail or password");
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD, false);
    await expect(page).toHaveURL(/\/$/);
  });
});

test("the app is an installable PWA", async ({ baseURL }) => {
  // Installability is only judged outside incognito: use a persistent profile.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "rapport-pwa-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    baseURL,
  });
  try {
    const page = await context.newPage();
    await page.goto("/login");
    await hydrated(page);
    const manifest = await page.request.get("/manifest.webmanifest");
    expect(manifest.ok()).toBeTruthy();
    expect((await manifest.json()).display).toBe("standalone");
    await page.waitForFunction(async () => !!(await navigator.serviceWorker.getRegistration())?.active, null, { timeout: 20_000 });
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    expect(installabilityErrors).toEqual([]);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});
