import { test, expect, ADMIN_EMAIL, ADMIN_PASSWORD, createUser, hydrated, signIn, importFile, daysAgo } from "./pages";

const stamp = Date.now();
const password = "manager-password";
const ownerEmail = `churn.t2.${stamp}@e2e.test`;
const name = `Lapsed Monthly ${stamp}`;

test("a customer who stopped buying shows up at risk with its reasons in words and figures", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await createUser(page, "Cora Lapse", ownerEmail, password, "tier2");

  // A monthly buyer (every 30 days, large orders) whose last order was 240 days ago:
  // 8× its own usual gap.
  await importFile(page, "customers", [
    "external_id,name,kind,level,grade,owner_email",
    `CH-${stamp},${name},company,2,general,${ownerEmail}`,
  ].join("\n"));
  await expect(page.getByTestId("import-stored")).toContainText("1");
  const orders = ["customer_external_id,date,amount,currency,product"];
  for (let i = 0; i < 6; i++) orders.push(`CH-${stamp},${daysAgo(240 + 30 * i)},900000,CNY,Monthly supplies`);
  await importFile(page, "orders", orders.join("\n"));
  await expect(page.getByTestId("import-stored")).toContainText("6");

  // "Run now" starts the scan in the background; the list fills once it has run.
  await page.goto("/at-risk");
  await hydrated(page);
  await page.getByTestId("churn-run-now").click();
  await expect(page.getByTestId("churn-run-started").or(page.getByTestId("churn-run-busy"))).toBeVisible();
  const row = page.getByTestId("at-risk-row").filter({ hasText: name });
  await expect(async () => {
    await page.reload();
    await hydrated(page);
    // A scheduled scan that started before the import would miss the customer: ask again.
    if ((await row.count()) === 0) await page.getByTestId("churn-run-now").click();
    await expect(row).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 45_000 });
  await expect(row.getByTestId("churn-score")).toContainText("60");
  await expect(row.locator("[data-reason='lapsed']")).toBeVisible();
  await expect(row).toContainText("Cora Lapse");
  await page.screenshot({ path: "screenshots/churn-at-risk.png", fullPage: true });

  // The customer page explains the warning in words and figures.
  await row.getByTestId("at-risk-customer").click();
  await expect(page.getByTestId("customer-title")).toHaveText(name);
  const card = page.getByTestId("churn-card");
  await expect(card).toBeVisible();
  await expect(card.getByTestId("churn-score")).toContainText("60");
  const reason = card.locator("[data-reason='lapsed']");
  await expect(reason).toContainText("240 days");
  await expect(reason).toContainText("8.0×");
  await expect(reason).toContainText("30 days");
  await expect(reason).toContainText("+60 points");
  // The opening is on the timeline too.
  await expect(page.locator("[data-testid='timeline-entry'][data-kind='churn']").first()).toContainText("Churn warning opened");
  await page.screenshot({ path: "screenshots/churn-customer.png", fullPage: true });
});
