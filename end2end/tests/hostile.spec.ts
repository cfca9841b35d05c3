import { test, expect, ADMIN_EMAIL, ADMIN_PASSWORD, createUser, hydrated, signIn } from "./pages";

// Hostile text typed into the staff app is shown as text on the customer page, its
// timeline and the customer list; no script from it ever runs (any dialog fails the test).
const stamp = Date.now();
const hostile = [
  `<script>alert("x${stamp}")</script>`,
  `"><img src=x onerror=alert(1)>`,
  `=HYPERLINK("http://evil.example")`,
  `\u202etxt.exe 🦀 e\u0301`,
].join(" ");

test("hostile names and notes render as text and never execute", async ({ page }) => {
  const dialogs: string[] = [];
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  const owner = `t2.hostile.${stamp}@e2e.test`;
  await createUser(page, "Hana Hostile", owner, "manager-password", "tier2");

  await page.goto("/customers/new");
  await hydrated(page);
  const form = page.getByTestId("customer-form");
  await form.getByTestId("customer-name").fill(hostile);
  await form.locator("input[name='input[city]']").fill(`<b>bold ${stamp}</b>`);
  await form.getByTestId("customer-owner").selectOption({ label: `Hana Hostile (${owner})` });
  await form.locator("button[type='submit']").click();
  await expect(page.getByTestId("customer-title")).toHaveText(hostile);
  await expect(page.getByText(`<b>bold ${stamp}</b>`)).toBeVisible();
  expect(await page.locator("b", { hasText: `bold ${stamp}` }).count()).toBe(0);
  const detail = page.url();

  await page.goto(`/customers?q=${encodeURIComponent(`x${stamp}`)}`);
  await hydrated(page);
  await expect(page.getByTestId("customer-table").locator("tbody tr").first()).toContainText(hostile);

  await page.goto(detail);
  await hydrated(page);
  await expect(page.locator("[data-testid='timeline-entry']").first()).toBeVisible();
  await page.screenshot({ path: "screenshots/hostile-customer.png", fullPage: true });
  expect(await page.locator("img[src='x']").count()).toBe(0);
  expect(dialogs).toEqual([]);
});
