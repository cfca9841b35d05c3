import AxeBuilder from "@axe-core/playwright";
import { Page } from "@playwright/test";
import { test, expect, ADMIN_EMAIL, ADMIN_PASSWORD, createUser, hydrated, signIn } from "./pages";

// A page opened directly by its URL can show its server-rendered HTML and never hydrate
// (a bundle that failed to load, a hydration mismatch): it looks right, and its buttons
// fall back to plain posts. Every staff page is opened directly here, must hydrate from the
// hashed, compressed bundle, and must take input without a page load.

const stamp = Date.now();
const password = "delivery-password";
const roles = ["tier1", "tier2", "support", "viewer"] as const;
const emailOf = (role: string) => `${role}.delivery.${stamp}@e2e.test`;

/** Every page reachable from the navigation, plus the forms behind its buttons. */
const STAFF_PAGES = [
  "/",
  "/work",
  "/customers",
  "/customers/new",
  "/customers/duplicates",
  "/segments",
  "/segments/new",
  "/tiers",
  "/workload",
  "/rfm",
  "/funnel",
  "/lifecycle",
  "/at-risk",
  "/feedback",
  "/feedback/new",
  "/feedback/analysis",
  "/complaints",
  "/complaints/new",
  "/import",
  "/admin/users",
  "/admin/audit",
  "/admin/fields",
];

/** Counts the page loads of a tab: a client-side navigation keeps the same document. */
async function documentId(page: Page): Promise<string> {
  return page.evaluate(() => {
    const w = window as unknown as { __documentId?: string };
    w.__documentId ??= Math.random().toString(36).slice(2);
    return w.__documentId;
  });
}

/** The WebAssembly files the document has fetched so far. */
async function wasmFiles(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .map((e) => new URL(e.name).pathname)
      .filter((p) => p.endsWith(".wasm")),
  );
}

/**
 * Uses one control of the page: the first text field of the page's own content gets a
 * keystroke, else its first select changes, else its first checkbox toggles. A page whose
 * code did not hydrate would still accept the input, so what is checked is that the
 * document stays the same and the front end reports no error.
 */
async function useOneControl(page: Page) {
  const content = page.locator("#content");
  const text = content.locator("input[type='text']:visible, input[type='search']:visible, input:not([type]):visible, textarea:visible").first();
  if (await text.count()) {
    await text.fill("a");
    return "text";
  }
  const select = content.locator("select:visible").first();
  if (await select.count()) {
    const options = await select.locator("option").evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value));
    if (options.length > 1) await select.selectOption(options[1]);
    return "select";
  }
  const box = content.locator("input[type='checkbox']:visible").first();
  if (await box.count()) {
    await box.click();
    return "checkbox";
  }
  return "none";
}

test.describe.serial("delivery: direct loads and client-side navigation", () => {
  test("every staff page opened by its URL hydrates from the hashed bundle and keeps the document on input", async ({ page }) => {
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    for (const role of roles) await createUser(page, `Delivery ${role}`, emailOf(role), password, role);
    for (const path of STAFF_PAGES) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(200);
      expect(response?.headers()["cache-control"], `${path} is never stored`).toBe("private, no-store");
      await hydrated(page);
      const wasm = await wasmFiles(page);
      expect(wasm, `${path} runs the hashed bundle`).toEqual([expect.stringMatching(/^\/pkg\/rapport\.[A-Za-z0-9_-]{22}\.wasm$/)]);
      const before = await documentId(page);
      const used = await useOneControl(page);
      expect(await documentId(page), `${path}: ${used} input kept the document`).toBe(before);
    }
    expect(errors).toEqual([]);
  });

  test("moving between pages by the navigation never reloads the document", async ({ page }) => {
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await page.goto("/");
    await hydrated(page);
    const id = await documentId(page);
    const nav = page.locator("nav.main-nav");
    for (const [link, heading] of [
      ["/customers", "/customers"],
      ["/rfm", "/rfm"],
      ["/lifecycle", "/lifecycle"],
      ["/feedback", "/feedback"],
      ["/admin/users", "/admin/users"],
      ["/", "/"],
    ]) {
      await nav.locator(`a[href='${link}']`).click();
      await expect(page).toHaveURL(new RegExp(`${heading}$`));
      await expect(page.locator("#content h1").first()).toBeVisible();
    }
    expect(await documentId(page), "the same document throughout").toBe(id);
    expect(await wasmFiles(page), "the bundle was fetched once").toHaveLength(1);
    // The page reached last is live: its language switch re-renders in place.
    await page.getByTestId("lang-zh-CN").click();
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
    await page.getByTestId("lang-en").click();
    expect(await documentId(page)).toBe(id);
  });

});

// The roles' users come from the first journey above (the file runs in order).
test.describe("accessibility of every page for every role", () => {
  for (const role of ["admin", ...roles]) {
    test(`axe finds no serious or critical violation on any page for ${role}`, async ({ page }) => {
      if (role === "admin") await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      else await signIn(page, emailOf(role), password);
      const links = await page
        .locator("nav.main-nav a")
        .evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
      const pages = [...new Set(["/", ...links])];
      expect(pages.length).toBeGreaterThan(1);
      if (links.includes("/customers")) {
        // A record page too: the first customer this role may open.
        await page.goto("/customers");
        const first = await page
          .locator("a[href^='/customers/']")
          .evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? "").find((h) => /^\/customers\/\d+$/.test(h)));
        if (first) pages.push(first, `${first}/edit`);
      }
      const found: string[] = [];
      for (const path of pages) {
        await page.goto(path);
        await hydrated(page);
        const result = await new AxeBuilder({ page }).analyze();
        for (const v of result.violations) {
          if (v.impact === "serious" || v.impact === "critical") {
            found.push(`${path}: ${v.id} (${v.nodes.length}) ${v.nodes[0]?.target.join(" ")}`);
          }
        }
      }
      expect(found).toEqual([]);
    });
  }
});
