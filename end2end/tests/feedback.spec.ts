import { Page, Browser } from "@playwright/test";
import { test, expect, ADMIN_EMAIL, ADMIN_PASSWORD, createUser, hydrated, signIn, signOut } from "./pages";

const stamp = Date.now();
const slug = `care-${stamp}`;
const agentEmail = `agent.${stamp}@e2e.test`;
const agentPassword = "support-password";

/** Picks a value on a scale question; the radio itself is visually replaced by its label. */
async function choose(page: Page, key: string, value: string) {
  await page.locator(`label:has(input[name='${key}'][value='${value}'])`).click();
}

async function responsesOfForm(page: Page): Promise<string> {
  await page.goto("/feedback");
  await hydrated(page);
  return (await page.getByTestId("fb-form-row").filter({ hasText: `/f/${slug}` }).locator("td.num").nth(2).innerText()).trim();
}

async function buildForm(page: Page) {
  await page.goto("/feedback/new");
  await hydrated(page);
  await page.getByTestId("fb-slug").fill(slug);
  await page.getByTestId("fb-title-en").fill("Customer care check");
  await page.getByTestId("fb-title-zh").fill("客户服务回访");
  await page.getByTestId("fb-thanks-en").fill("Thanks, we read every answer.");
  // The form starts with an NPS question; five more make six.
  const add = async (kind: string, label: string) => {
    await page.getByTestId("fb-add-kind").selectOption(kind);
    await page.getByTestId("fb-add-question").click();
    await page.getByTestId("fb-question").last().getByTestId("fb-question-label-en").fill(label);
  };
  await add("csat", "How satisfied are you overall?");
  await add("rating", "Rate your account manager");
  await add("single", "What matters most?");
  await page.getByTestId("fb-question").last().getByTestId("fb-question-options-en").fill("Price\nQuality\nService");
  await add("multiple", "Which products do you use?");
  await add("text", "Anything we could do better?");
  await expect(page.getByTestId("fb-question")).toHaveCount(6);
  await page.getByTestId("fb-question").first().getByTestId("fb-question-required").check();
  // A score of 6 or less opens a complaint for the support agent.
  await page.getByTestId("fb-rule-enabled").check();
  await expect(page.getByTestId("fb-rule-threshold")).toHaveValue("6");
  await page.getByTestId("fb-rule-assignee").selectOption({ label: "Agnes Agent" });
  await page.getByTestId("fb-save").click();
  await expect(page).toHaveURL(/\/feedback\/\d+$/);
  await hydrated(page);
  await expect(page.getByTestId("fb-public-link-url")).toHaveValue(new RegExp(`/f/${slug}$`));
  await page.screenshot({ path: "screenshots/feedback-builder.png", fullPage: true });
}

async function visitorContext(browser: Browser, javaScriptEnabled: boolean) {
  return browser.newContext({ javaScriptEnabled, viewport: { width: 360, height: 740 } });
}

test("a staff-built form is answered with and without JavaScript, a low score becomes a complaint an agent resolves, and an offline answer is stored once", async ({ page, browser }) => {
  test.setTimeout(180_000);
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await createUser(page, "Agnes Agent", agentEmail, agentPassword, "support");
  await buildForm(page);

  // 1. JavaScript off: a plain form post, errors and thanks rendered by the server.
  const plain = await visitorContext(browser, false);
  const noJs = await plain.newPage();
  await noJs.goto(`/f/${slug}`);
  await expect(noJs.locator("h1")).toHaveText("Customer care check");
  await noJs.locator("button[type='submit']").click();
  await expect(noJs.locator("#fb-summary")).toBeVisible();
  await expect(noJs.locator("#e-q1")).toHaveText("Required.");
  await choose(noJs, "q1", "9");
  await choose(noJs, "q2", "4");
  await noJs.locator("textarea[name='q6']").fill("<b>All good</b>");
  await noJs.locator("button[type='submit']").click();
  await expect(noJs.locator("#fb-status")).toHaveText("Thanks, we read every answer.");
  await noJs.screenshot({ path: "screenshots/feedback-public-nojs-thanks.png", fullPage: true });
  await plain.close();

  // 2. JavaScript on: inline validation, then a low score (a complaint is opened).
  const scripted = await visitorContext(browser, true);
  const js = await scripted.newPage();
  await js.goto(`/f/${slug}?lang=zh`);
  await expect(js.locator("h1")).toHaveText("客户服务回访");
  await js.goto(`/f/${slug}?lang=en`);
  await js.locator("button[type='submit']").click();
  await expect(js.locator("#e-q1")).toBeVisible();
  await expect(js).toHaveURL(new RegExp(`/f/${slug}`));
  await choose(js, "q1", "2");
  await choose(js, "q4", "2");
  await js.locator("textarea[name='q6']").fill("Delivery was late three times.");
  await js.screenshot({ path: "screenshots/feedback-public-phone.png", fullPage: true });
  await js.locator("button[type='submit']").click();
  await expect(js.locator("#fb-status")).toHaveText("Thanks, we read every answer.");
  await scripted.close();

  // 3. Offline after the page loaded: queued in the browser, sent when back online, once.
  const travelling = await visitorContext(browser, true);
  const offline = await travelling.newPage();
  await offline.goto(`/f/${slug}`);
  // The form pages' own service worker (Background Sync, pages kept for offline use).
  await expect
    .poll(() => offline.evaluate(async () => !!(await navigator.serviceWorker.getRegistration("/f/"))))
    .toBe(true);
  await travelling.setOffline(true);
  await choose(offline, "q1", "10");
  await offline.locator("button[type='submit']").click();
  await expect(offline.locator("#fb-status")).toContainText("You are offline");
  await offline.screenshot({ path: "screenshots/feedback-offline-queued.png", fullPage: true });
  await travelling.setOffline(false);
  await expect(offline.locator("#fb-status")).toHaveText("Your answer has been sent. Thank you!", { timeout: 40_000 });
  // A reload replays nothing more: the queue is empty and the key was stored once.
  await offline.reload();
  await travelling.close();

  // Three answers in all: the invalid attempt stored nothing and the replay stored one.
  await expect.poll(() => responsesOfForm(page)).toBe("3");
  await signOut(page);

  // 4. The support agent sees the complaint the low score opened and resolves it.
  await signIn(page, agentEmail, agentPassword);
  await page.goto("/complaints");
  await hydrated(page);
  const row = page.getByTestId("complaint-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("service");
  await row.getByTestId("complaint-link").click();
  await hydrated(page);
  await expect(page.locator("main")).toContainText("Delivery was late three times.");
  await expect(page.getByTestId("complaint-status")).toContainText("Received");
  await page.getByTestId("complaint-step-resolved").check();
  await page.getByTestId("complaint-change-submit").click();
  await expect(page.getByText("A resolution note is required to resolve.")).toBeVisible();
  await page.getByTestId("complaint-note").fill("Called the customer and rescheduled deliveries.");
  await page.getByTestId("complaint-change-submit").click();
  await expect(page.getByTestId("complaint-status")).toContainText("Resolved");
  await expect(page.getByTestId("complaint-history")).toContainText("rescheduled deliveries");
  await page.screenshot({ path: "screenshots/complaint-resolved.png", fullPage: true });
});
