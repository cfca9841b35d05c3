import { test, expect, ADMIN_EMAIL, ADMIN_PASSWORD, createUser, hydrated, signIn, importFile, daysAgo } from "./pages";

const stamp = Date.now();
const password = "manager-password";
const t1Email = `seg.t1.${stamp}@e2e.test`;

test.describe.serial("segments", () => {
  test("an admin adds a tier-1 manager", async ({ page }) => {
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await createUser(page, "Stella South", t1Email, password, "tier1");
  });

  test("a tier-1 manager builds a segment, watches the count, saves it and creates a task batch", async ({ page }) => {
    await signIn(page, t1Email, password);
    // Five customers of their own: two match "South region, ≥ 3 orders in 90 days, not VIP".
    const customers = [
      "external_id,name,kind,province,city,grade",
      `SA-${stamp},Seg Alpha ${stamp},company,Guangdong,Shenzhen,general`,
      `SB-${stamp},Seg Bravo ${stamp},company,Fujian,Xiamen,key`,
      `SC-${stamp},Seg Charlie ${stamp},company,Guangdong,Guangzhou,vip`,
      `SD-${stamp},Seg Delta ${stamp},company,Zhejiang,Hangzhou,general`,
      `SE-${stamp},Seg Echo ${stamp},person,Guangdong,Shenzhen,general`,
    ].join("\n");
    await importFile(page, "customers", customers);
    await expect(page.getByTestId("import-stored")).toContainText("5");
    const orders = ["customer_external_id,date,amount,currency,product"];
    const recent = [5, 20, 60, 80];
    const count: Record<string, number> = { SA: 3, SB: 4, SC: 3, SD: 3, SE: 2 };
    for (const [prefix, n] of Object.entries(count)) {
      for (let i = 0; i < n; i++) orders.push(`${prefix}-${stamp},${daysAgo(recent[i])},100,CNY,Tea`);
    }
    // An old order does not count towards "in the last 90 days".
    orders.push(`SE-${stamp},${daysAgo(200)},100,CNY,Tea`);
    await importFile(page, "orders", orders.join("\n"));
    await expect(page.getByTestId("import-stored")).toContainText("16");

    await page.goto("/segments/new");
    await hydrated(page);
    const countOutput = page.getByTestId("segment-count");
    await expect(countOutput).toHaveText("5");

    // Region: the south's provinces.
    await page.getByTestId("add-condition").first().click();
    const first = page.getByTestId("rule-condition").nth(0);
    await first.getByTestId("condition-values").fill("Guangdong, Fujian");
    await expect(countOutput).toHaveText("4");

    // At least three orders in the last 90 days.
    await page.getByTestId("add-condition").first().click();
    const second = page.getByTestId("rule-condition").nth(1);
    await second.getByTestId("condition-field").selectOption("measure:orders_count");
    await expect(second.getByTestId("condition-days")).toHaveValue("90");
    await second.getByTestId("condition-op").selectOption("ge");
    await second.getByTestId("condition-value").fill("3");
    await expect(countOutput).toHaveText("3");

    // Not VIP.
    await page.getByTestId("add-condition").first().click();
    const third = page.getByTestId("rule-condition").nth(2);
    await third.getByTestId("condition-field").selectOption("attr:grade");
    await third.getByTestId("condition-op").selectOption("none_of");
    await third.locator("input[type='checkbox'][value='vip']").check();
    await expect(countOutput).toHaveText("2");
    const members = page.getByTestId("segment-members");
    await expect(members).toContainText(`Seg Alpha ${stamp}`);
    await expect(members).toContainText(`Seg Bravo ${stamp}`);
    await expect(members).not.toContainText(`Seg Charlie ${stamp}`);

    // An incomplete condition is named, and the count waits for it.
    await page.getByTestId("add-condition").first().click();
    await expect(page.getByTestId("rule-condition").nth(3).locator(".field-error")).toBeVisible();
    await page.getByTestId("rule-condition").nth(3).getByRole("button").click();
    await expect(countOutput).toHaveText("2");

    await page.getByTestId("segment-name").fill(`South active, not VIP ${stamp}`);
    await page.getByTestId("segment-save").click();
    await expect(page).toHaveURL(/\/segments\/\d+$/);
    await hydrated(page);
    await expect(page.getByTestId("segment-count")).toHaveText("2");
    await page.screenshot({ path: "screenshots/segment-builder.png", fullPage: true });

    // The saved segment filters the customer list.
    const segmentUrl = new URL(page.url()).pathname;
    const id = segmentUrl.split("/").pop();
    await page.goto(`/customers?segment=${id}`);
    await expect(page.getByText(`Seg Alpha ${stamp}`)).toBeVisible();
    await expect(page.getByText(`Seg Delta ${stamp}`)).toHaveCount(0);

    // One follow-up task per member, for its owner (here: this manager).
    await page.goto(segmentUrl);
    await hydrated(page);
    await page.getByTestId("task-batch-open").click();
    await page.getByTestId("task-batch-title").fill(`Spring offer call ${stamp}`);
    await page.getByTestId("task-batch-due").fill(`${daysAgo(-2)}T10:00`);
    await page.getByTestId("task-batch-submit").click();
    await expect(page.getByTestId("task-batch-result")).toContainText("2");
    await page.goto("/work");
    await expect(page.getByText(`Spring offer call ${stamp}`)).toHaveCount(2);
  });
});
