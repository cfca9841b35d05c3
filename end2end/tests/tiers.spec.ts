import { test, expect, ADMIN_EMAIL, ADMIN_PASSWORD, createUser, hydrated, signIn, importFile } from "./pages";

const stamp = Date.now();
const password = "manager-password";
const t1Email = `tier.t1.${stamp}@e2e.test`;
const t2Email = `tier.t2.${stamp}@e2e.test`;
const name = `Promo Star ${stamp}`;

test("an admin approves a promotion and the account moves to the new owner", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await createUser(page, "Tom Keyholder", t1Email, password, "tier1");
  await createUser(page, "Tess Daily", t2Email, password, "tier2");

  // A standard account of the tier-2 manager that buys more than anyone.
  await importFile(page, "customers", [
    "external_id,name,kind,level,grade,owner_email",
    `TP-${stamp},${name},company,2,general,${t2Email}`,
  ].join("\n"));
  await expect(page.getByTestId("import-stored")).toContainText("1");
  const today = new Date().toISOString().slice(0, 10);
  const orders = ["customer_external_id,date,amount,currency,product"];
  for (let i = 0; i < 20; i++) orders.push(`TP-${stamp},${today},5000,CNY,Fleet contract`);
  await importFile(page, "orders", orders.join("\n"));
  await expect(page.getByTestId("import-stored")).toContainText("20");

  // Fresh RFM scores, computed in the background.
  await page.goto("/rfm");
  await hydrated(page);
  await page.getByTestId("rfm-recompute").click();
  await expect(page.getByTestId("rfm-pending")).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId("rfm-grid")).toBeVisible();

  // Thresholds an organisation with few customers would pick, then a re-evaluation.
  await page.goto("/tiers");
  await hydrated(page);
  const settings = page.getByTestId("tier-settings");
  await settings.locator("summary").click();
  await settings.locator("input[name='input[promote_at]']").fill("50");
  await settings.locator("input[name='input[key_at]']").fill("50");
  await settings.locator("input[name='input[vip_at]']").fill("99");
  await page.getByTestId("tier-settings-save").click();
  await expect(settings.getByRole("status")).toBeVisible();
  await page.getByTestId("tier-reevaluate").click();
  await expect(page.getByTestId("tier-run-result")).toBeVisible({ timeout: 30_000 });

  const proposal = page.getByTestId("tier-proposal").filter({ hasText: name });
  await expect(proposal).toHaveCount(1);
  await expect(proposal).toContainText("Tess Daily");
  await page.screenshot({ path: "screenshots/tier-queue.png", fullPage: true });
  await proposal.getByTestId("tier-new-owner").selectOption({ label: "Tom Keyholder" });
  await proposal.locator("textarea[name='input[note]']").fill("Fleet renewal is due in spring.");
  await proposal.getByTestId("tier-approve").click();
  await expect(page.getByTestId("tier-proposal").filter({ hasText: name })).toHaveCount(0);

  // The account now belongs to the tier-1 manager, served by the previous owner, with
  // the hand-over on its timeline and the note between the two.
  await page.goto(`/customers?q=${encodeURIComponent(name)}`);
  await page.getByRole("link", { name }).click();
  await expect(page.getByTestId("customer-title")).toHaveText(name);
  await expect(page.locator("main")).toContainText("Tom Keyholder");
  await expect(page.locator("main")).toContainText("Tess Daily");
  await expect(page.getByTestId("customer-notes")).toContainText("Fleet renewal is due in spring.");
  await page.screenshot({ path: "screenshots/tier-handover.png", fullPage: true });

  // The new owner has a hand-over task.
  await page.getByRole("button", { name: /^(Sign out|退出)$/ }).click();
  await signIn(page, t1Email, password);
  await page.goto("/work");
  await expect(page.locator("main")).toContainText(name);
});
