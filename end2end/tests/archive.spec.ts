import { Page } from "@playwright/test";
import { test, expect, ADMIN_EMAIL, ADMIN_PASSWORD, createUser, hydrated, signIn } from "./pages";

const stamp = Date.now();
const password = "manager-password";
const t1Email = `t1.${stamp}@e2e.test`;
const t2Email = `t2s.${stamp}@e2e.test`;
const keyName = `Summit Key ${stamp}`;
const importedName = `Lotus Trading ${stamp}`;

async function importFile(page: Page, kind: string, name: string, csv: string) {
  await page.goto("/import");
  await hydrated(page);
  await page.getByTestId("import-kind").selectOption(kind);
  await page.getByTestId("import-file").setInputFiles({ name, mimeType: "text/csv", buffer: Buffer.from(csv, "utf-8") });
  await page.getByTestId("import-upload").click();
  await expect(page.getByTestId("import-start")).toBeVisible();
  await page.getByTestId("import-start").click();
  await expect(page.getByTestId("import-report")).toBeVisible({ timeout: 30_000 });
}

test.describe.serial("the customer archive", () => {
  let keyUrl = "";

  test("an admin sets up a key account served by a tier-2 manager", async ({ page }) => {
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await createUser(page, "Tina One", t1Email, password, "tier1");
    await createUser(page, "Sam Two", t2Email, password, "tier2");
    await page.goto("/customers/new");
    await hydrated(page);
    const form = page.getByTestId("customer-form");
    await form.getByTestId("customer-name").fill(keyName);
    await form.getByTestId("customer-level").selectOption("1");
    await form.getByTestId("customer-owner").selectOption({ label: `Tina One (${t1Email})` });
    await form.locator("select[name='input[service_manager_id]']").selectOption({ label: "Sam Two" });
    await form.locator("button[type='submit']").click();
    await expect(page.getByTestId("customer-title")).toHaveText(keyName);
    keyUrl = new URL(page.url()).pathname;
  });

  test("a tier-1 manager imports customers and orders with bad rows and sees each error", async ({ page }) => {
    await signIn(page, t1Email, password);
    const customers = [
      "external_id,name,kind,email,phone,city",
      `LT-${stamp},${importedName},company,lotus.${stamp}@example.com,+86 592 555 0101,Xiamen`,
      `BAD-${stamp},Broken Mail,person,not-an-email,,Fuzhou`,
      `SC-${stamp},"<script>alert(1)</script> Shop",company,,,Quanzhou`,
      `XX-${stamp},too,many,columns,here,x,y,z`,
    ].join("\n");
    await importFile(page, "customers", "customers.csv", customers);
    await expect(page.getByTestId("import-stored")).toContainText("2");
    const rejected = page.getByTestId("import-rejected-row");
    await expect(rejected).toHaveCount(2);
    await expect(rejected.first()).toContainText("3");
    await page.screenshot({ path: "screenshots/import-report.png", fullPage: true });

    const orders = [
      "customer_external_id,external_id,date,amount,currency,product,category,channel",
      `LT-${stamp},O1-${stamp},2026-10-02,1200.50,CNY,Oolong tea,Tea,Online`,
      `LT-${stamp},O2-${stamp},2026-10-20,300,CNY,Tea cups,Ware,Store`,
      `LT-${stamp},O3-${stamp},2026-13-45,10,CNY,Bad date,Tea,Online`,
      `NOPE-${stamp},O4-${stamp},2026-10-01,10,CNY,Unknown buyer,Tea,Online`,
    ].join("\n");
    await importFile(page, "orders", "orders.csv", orders);
    await expect(page.getByTestId("import-stored")).toContainText("2");
    await expect(page.getByTestId("import-rejected-row")).toHaveCount(2);
  });

  test("the manager opens the customer, logs a call with a next step and finds the task in my work", async ({ page }) => {
    await signIn(page, t1Email, password);
    await page.goto(`/customers?q=${encodeURIComponent(importedName)}`);
    await hydrated(page);
    await page.getByRole("link", { name: importedName }).click();
    await expect(page.getByTestId("customer-title")).toHaveText(importedName);
    await hydrated(page);
    await expect(page.getByTestId("customer-ltv")).toHaveText("1,500.50");
    await expect(page.locator("[data-testid='timeline-entry'][data-kind='order']")).toHaveCount(2);

    const form = page.getByTestId("activity-form");
    await form.getByTestId("activity-kind").selectOption("call");
    await form.getByTestId("activity-summary").fill("Asked about the spring catalogue");
    await form.getByTestId("activity-next-step").fill(`Send catalogue ${stamp}`);
    await expect(form.getByTestId("follow-up-offer")).toBeVisible();
    await expect(form.getByTestId("follow-up-check")).toBeChecked();
    await form.getByTestId("activity-save").click();
    await expect(page.getByTestId("activity-saved")).toBeVisible();
    // A saved activity leaves an empty form behind, so it is not sent twice.
    await expect(form.getByTestId("activity-summary")).toHaveValue("");
    await expect(form.getByTestId("activity-next-step")).toHaveValue("");
    await expect(page.locator("[data-testid='timeline-entry'][data-kind='activity']")).toHaveCount(1);
    await expect(page.getByTestId("customer-open-tasks")).toHaveText("1");
    await page.getByTestId("timeline-filter-order").click();
    await expect(page.locator("[data-testid='timeline-entry'][data-kind='activity']")).toHaveCount(0);
    await page.screenshot({ path: "screenshots/customer-timeline.png", fullPage: true });

    await page.getByTestId("nav-my-work").click();
    await expect(page.getByTestId("task-upcoming")).toContainText(`Send catalogue ${stamp}`);
    await expect(page.getByTestId("task-upcoming")).toContainText(importedName);
  });

  test("a task turns overdue on screen without a reload", async ({ page }) => {
    test.setTimeout(150_000);
    await signIn(page, t1Email, password);
    await page.goto("/work");
    await hydrated(page);
    // Due at the next minute, in the browser's own time zone.
    const due = await page.evaluate(() => {
      const d = new Date(Date.now() + 60_000);
      const p = (n: number) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    });
    const form = page.getByTestId("personal-task-form");
    await form.locator("input[name='input[title]']").fill(`Quick check ${stamp}`);
    await form.locator("input[name='input[due]']").fill(due);
    await form.locator("button[type='submit']").click();
    await expect(page.getByTestId("task-today")).toContainText(`Quick check ${stamp}`);
    await expect(page.getByTestId("task-overdue")).toContainText(`Quick check ${stamp}`, { timeout: 100_000 });
    await expect(page.getByTestId("nav-task-count")).toHaveAttribute("data-overdue", "1", { timeout: 45_000 });
    await page.screenshot({ path: "screenshots/my-work.png", fullPage: true });
  });

  test("the tier-1 owner sees the credit rating; the tier-2 service manager does not", async ({ page }) => {
    await signIn(page, t1Email, password);
    await page.goto(keyUrl);
    await expect(page.getByTestId("credit-rating")).toBeVisible();
    await expect(page.getByTestId("finance-card")).toBeVisible();

    await page.context().clearCookies();
    await signIn(page, t2Email, password);
    await page.goto(keyUrl);
    await expect(page.getByTestId("customer-title")).toHaveText(keyName);
    await expect(page.getByTestId("credit-rating")).toHaveCount(0);
    await expect(page.getByTestId("finance-card")).toHaveCount(0);
    await hydrated(page);
    await expect(page.getByTestId("timeline-filter-payment")).toHaveCount(0);
  });
});
