import { test as base, expect, Page } from "@playwright/test";

/**
 * Playwright's `test`, failing any journey in which the front end panicked: a panic stops
 * hydration, and the page then looks right while its buttons fall back to plain posts.
 */
export const test = base.extend<{ frontEndPanics: void }>({
  frontEndPanics: [
    async ({ page }, use) => {
      const panics: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error" && /panicked at/.test(message.text())) panics.push(message.text());
      });
      await use();
      expect(panics, "front-end panics").toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

export const ADMIN_EMAIL = process.env.E2E_ADMIN_EMAIL ?? "admin@e2e.test";
export const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD ?? "e2e-admin-password";

/** Waits until the WebAssembly front end has hydrated the page; clicks before that are lost. */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated='true']")).toHaveCount(1, { timeout: 30_000 });
}

export async function signIn(page: Page, email: string, password: string, js = true) {
  await page.goto("/login");
  if (js) await hydrated(page);
  const form = page.getByTestId("login-form");
  await form.locator("input[name='email']").fill(email);
  await form.locator("input[name='password']").fill(password);
  await form.locator("button[type='submit']").click();
  await expect(page.getByTestId("current-user")).toBeVisible();
}

export async function signOut(page: Page) {
  await page.getByRole("button", { name: /^(Sign out|退出)$/ }).click();
  await expect(page).toHaveURL(/\/login/);
}

/** Creates a staff member from the admin page. */
export async function createUser(page: Page, name: string, email: string, password: string, role: string) {
  await page.goto("/admin/users");
  await hydrated(page);
  const form = page.getByTestId("new-user-form");
  await form.locator("input[name='input[name]']").fill(name);
  await form.locator("input[name='input[email]']").fill(email);
  await form.locator("input[name='input[password]']").fill(password);
  await form.locator("select[name='input[role]']").selectOption(role);
  await form.locator("button[type='submit']").click();
  await expect(page.getByTestId(`user-row-${email}`)).toBeVisible();
}

/** Imports a CSV of `kind` through the import page, with the suggested mapping. */
export async function importFile(page: Page, kind: string, csv: string) {
  await page.goto("/import");
  await hydrated(page);
  await page.getByTestId("import-kind").selectOption(kind);
  await page.getByTestId("import-file").setInputFiles({ name: `${kind}.csv`, mimeType: "text/csv", buffer: Buffer.from(csv, "utf-8") });
  await page.getByTestId("import-upload").click();
  await page.getByTestId("import-start").click();
  await expect(page.getByTestId("import-report")).toBeVisible({ timeout: 30_000 });
}

/** The UTC date `days` days before today (after it, for a negative `days`), as the server counts days. */
export function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}
