import { Page } from "@playwright/test";
import { test, expect, ADMIN_EMAIL, ADMIN_PASSWORD, createUser, hydrated, signIn, importFile, daysAgo } from "./pages";

const stamp = Date.now();
const password = "manager-password";
const ada = { name: `Funnel Ada ${stamp}`, email: `funnel.ada.${stamp}@e2e.test` };
const ben = { name: `Funnel Ben ${stamp}`, email: `funnel.ben.${stamp}@e2e.test` };

/** Applies the owner filter and waits for the reloaded, hydrated page. */
async function filterByOwner(page: Page, label: string) {
  await page.getByTestId("funnel-owner").selectOption({ label });
  await page.getByTestId("funnel-apply").click();
  await expect(page).toHaveURL(/owner=\d+/);
  await hydrated(page);
}

async function expectSteps(page: Page, counts: [number, number, number, number]) {
  const steps = ["acquired", "converted", "retained", "expanded"];
  for (let i = 0; i < steps.length; i++) {
    await expect(page.getByTestId(`funnel-count-${steps[i]}`)).toHaveText(String(counts[i]));
  }
}

test("the funnel of the current cohort changes with the owner filter", async ({ page }) => {
  test.setTimeout(120_000);
  // Customers are created now, so they all fall in the current (UTC) month's cohort.
  const month = new Date().toISOString().slice(0, 7);
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await createUser(page, ada.name, ada.email, password, "tier2");
  await createUser(page, ben.name, ben.email, password, "tier2");

  // Ada: four customers — one expands (hardware, then service), one buys hardware twice,
  // one buys once, one never. Ben: two customers, one of whom buys once.
  await importFile(page, "customers", [
    "external_id,name,kind,level,grade,owner_email",
    `FA1-${stamp},Funnel A1 ${stamp},company,2,general,${ada.email}`,
    `FA2-${stamp},Funnel A2 ${stamp},company,2,general,${ada.email}`,
    `FA3-${stamp},Funnel A3 ${stamp},company,2,general,${ada.email}`,
    `FA4-${stamp},Funnel A4 ${stamp},company,2,general,${ada.email}`,
    `FB1-${stamp},Funnel B1 ${stamp},person,2,general,${ben.email}`,
    `FB2-${stamp},Funnel B2 ${stamp},person,2,general,${ben.email}`,
  ].join("\n"));
  await expect(page.getByTestId("import-stored")).toContainText("6");
  const [d1, d2] = [daysAgo(2), daysAgo(1)];
  await importFile(page, "orders", [
    "customer_external_id,date,amount,currency,product,category",
    `FA1-${stamp},${d1},100,CNY,Starter kit,hardware`,
    `FA1-${stamp},${d2},80,CNY,Support plan,service`,
    `FA2-${stamp},${d1},100,CNY,Starter kit,hardware`,
    `FA2-${stamp},${d2},120,CNY,Pro kit,hardware`,
    `FA3-${stamp},${d1},100,CNY,Starter kit,hardware`,
    `FB1-${stamp},${d2},60,CNY,Cloud seat,software`,
  ].join("\n"));
  await expect(page.getByTestId("import-stored")).toContainText("6");

  // The cohort of this month, chosen in the form.
  await page.goto("/");
  await hydrated(page);
  await page.getByTestId("nav-funnel").click();
  await expect(page.getByTestId("funnel-form")).toBeVisible();
  await hydrated(page);
  await page.getByTestId("funnel-from").fill(month);
  await page.getByTestId("funnel-to").fill(month);
  await page.getByTestId("funnel-apply").click();
  await expect(page).toHaveURL(new RegExp(`from=${month}&to=${month}`));
  await hydrated(page);
  await expect(page.getByTestId("funnel-chart")).toBeVisible();
  const everyone = Number(await page.getByTestId("funnel-count-acquired").innerText());
  expect(everyone).toBeGreaterThanOrEqual(6);
  await expect(page.getByTestId(`funnel-cohort-${month}`)).toBeVisible();

  // Ada's customers only.
  await filterByOwner(page, ada.name);
  await expect(page).toHaveURL(new RegExp(`from=${month}`));
  await expectSteps(page, [4, 3, 2, 1]);
  await expect(page.getByTestId("funnel-prev-converted")).toHaveText("75.0%");
  await expect(page.getByTestId("funnel-prev-retained")).toHaveText("66.7%");
  await expect(page.getByTestId("funnel-prev-expanded")).toHaveText("50.0%");
  await expect(page.getByTestId("funnel-acq-expanded")).toHaveText("25.0%");
  // Both second orders came a day after the first; the expansion order was the second.
  await expect(page.getByTestId("funnel-median-retained")).toHaveText("1");
  await expect(page.getByTestId("funnel-median-expanded")).toHaveText("0");
  // The chart writes the same figures.
  await expect(page.getByTestId("funnel-bar-retained")).toContainText("66.7%");
  await expect(page.getByTestId("funnel-bar-expanded")).toContainText("25.0%");
  await expect(page.getByTestId(`funnel-cohort-${month}-acquired`)).toHaveText("4");
  await expect(page.getByTestId(`funnel-cohort-${month}-expanded`)).toContainText("1 (25.0%)");
  await page.screenshot({ path: "screenshots/funnel.png", fullPage: true });

  // Ben's: the figures follow the filter.
  await filterByOwner(page, ben.name);
  await expectSteps(page, [2, 1, 0, 0]);
  await expect(page.getByTestId("funnel-prev-converted")).toHaveText("50.0%");
  await expect(page.getByTestId("funnel-prev-retained")).toHaveText("0.0%");
  await expect(page.getByTestId("funnel-prev-expanded")).toHaveText("—");
  await expect(page.getByTestId(`funnel-cohort-${month}-converted`)).toContainText("1 (50.0%)");

  // Back to every owner: the whole cohort again.
  await page.getByTestId("funnel-owner").selectOption({ value: "" });
  await page.getByTestId("funnel-apply").click();
  await expect(page).not.toHaveURL(/owner=\d/);
  await hydrated(page);
  const again = Number(await page.getByTestId("funnel-count-acquired").innerText());
  expect(again).toBeGreaterThanOrEqual(everyone);
});
