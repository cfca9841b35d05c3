import { test, expect, ADMIN_EMAIL, ADMIN_PASSWORD, createUser, hydrated, signIn } from "../tests/pages";

// Behind a round-robin proxy every request goes to the other server: the upload is staged
// by one and started, polled and reported by whichever the balancer picks, and a user
// created through one signs in through the other.
test("a balancer in front of two servers on one PostgreSQL is invisible", async ({ page, request }) => {
  const stamp = Date.now();
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  const owner = `t1.multi.${stamp}@e2e.test`;
  await createUser(page, "Mia Multi", owner, "manager-password", "tier1");

  const rows = Array.from({ length: 2000 }, (_, i) => `Balanced ${stamp} ${i},balanced.${stamp}.${i}@e2e.test,${owner}`);
  const csv = ["name,email,owner_email", ...rows].join("\n") + "\n";
  await page.goto("/import");
  await hydrated(page);
  await page.getByTestId("import-kind").selectOption("customers");
  await page.getByTestId("import-file").setInputFiles({ name: "balanced.csv", mimeType: "text/csv", buffer: Buffer.from(csv, "utf-8") });
  await page.getByTestId("import-upload").click();
  await expect(page.getByTestId("import-start")).toBeVisible();
  await page.getByTestId("import-start").click();
  await expect(page.getByTestId("import-stored")).toHaveText("2000", { timeout: 60_000 });
  await page.screenshot({ path: "screenshots/two-servers-import.png", fullPage: true });

  await page.goto(`/customers?q=${encodeURIComponent(`Balanced ${stamp} 1999`)}`);
  await hydrated(page);
  await expect(page.getByTestId("customer-table").locator("tbody tr")).toHaveCount(1);

  const stats = await (await request.get("/__proxy/stats")).json();
  const counts = Object.values(stats) as number[];
  expect(counts.length).toBe(2);
  expect(Math.min(...counts)).toBeGreaterThan(5);
});
