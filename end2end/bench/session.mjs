// Signs in through the login form in a fresh browser context and finds the first
// customer page the user may open: the shared start of the bench scripts.
export async function signIn(browser, { base, email, password }) {
  const context = await browser.newContext({ baseURL: base, serviceWorkers: "block" });
  const page = await context.newPage();
  await page.goto("/login");
  await page.locator("body[data-hydrated='true']").waitFor({ timeout: 30_000 });
  const form = page.getByTestId("login-form");
  await form.locator("input[name='email']").fill(email);
  await form.locator("input[name='password']").fill(password);
  await form.locator("button[type='submit']").click();
  await page.getByTestId("current-user").waitFor({ timeout: 30_000 });
  await page.goto("/customers");
  const customer = await page
    .locator("a[href^='/customers/']")
    .evaluateAll((links) => links.map((a) => a.getAttribute("href")).find((h) => /^\/customers\/\d+$/.test(h)));
  const state = await context.storageState();
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  await context.close();
  if (!customer) throw new Error("no customer to open: the bench needs at least one customer");
  return { state, cookie, customer };
}
