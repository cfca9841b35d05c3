// Client-side navigation for the server-rendered pages. Same-origin links and forms are
// fetched and the answer is merged into the page in place, so moving between pages and
// submitting a form never reloads the document; islands whose server-sent props did not
// change keep their state. Without this script (or before it runs) every link and form
// still works as plain HTML: the server renders every page and answers every form.
//
// After a POST the server redirects to the page to show next; a failed server function
// redirects back with `__err` in the address, and the page shows the error. Then what was
// typed into the submitted form is put back, so bad input loses nothing.
(() => {
  if (window.rapport) return;
  let current = 0;

  const sameOrigin = (url) => url.origin === location.origin;
  const buildOf = (doc) => doc.querySelector("link[rel=modulepreload]")?.getAttribute("href") ?? "";

  document.addEventListener("click", (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = ev.target.closest?.("a[href]");
    if (!a || a.hasAttribute("download") || a.hasAttribute("data-native")) return;
    if ((a.getAttribute("target") ?? "") !== "" || (a.getAttribute("rel") ?? "").split(/\s+/).includes("external")) return;
    const url = new URL(a.getAttribute("href"), location.href);
    if (!sameOrigin(url)) return;
    // A jump within the page stays with the browser.
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    ev.preventDefault();
    visit(url.href);
  });

  document.addEventListener("submit", (ev) => {
    if (ev.defaultPrevented) return;
    const form = ev.target;
    const submitter = ev.submitter ?? null;
    const method = (submitter?.getAttribute("formmethod") ?? form.getAttribute("method") ?? "get").toLowerCase();
    if ((method !== "get" && method !== "post") || form.hasAttribute("data-native") || form.getAttribute("target")) return;
    const action = new URL(submitter?.getAttribute("formaction") ?? form.getAttribute("action") ?? location.href, location.href);
    if (!sameOrigin(action)) return;
    ev.preventDefault();
    let data;
    try {
      data = new FormData(form, submitter);
    } catch {
      data = new FormData(form);
    }
    let request;
    if (method === "get") {
      action.search = new URLSearchParams(data).toString();
      request = new Request(action, { headers: { Accept: "text/html" } });
    } else {
      const multipart = (form.getAttribute("enctype") ?? "").toLowerCase() === "multipart/form-data";
      request = new Request(action, {
        method: "POST",
        body: multipart ? data : new URLSearchParams(data),
        headers: { Accept: "text/html" },
      });
    }
    // A save is sent once: a second click while it is on its way is dropped. A newer
    // view (a filter, a preview) simply supersedes the one still loading.
    if (form.dataset.saving === "true") return;
    if (method === "post") form.dataset.saving = "true";
    form.setAttribute("aria-busy", "true");
    // A form adds a history entry only when it leads to another page: typing a search
    // or saving on the same page replaces the entry, and leaves one, not one per pause.
    go(request, { push: "new page", typed: method === "post" ? snapshot(form) : null, form });
  });

  window.addEventListener("popstate", () => go(new Request(location.href, { headers: { Accept: "text/html" } }), { push: false, pop: true }));

  function visit(href) {
    return go(new Request(href, { headers: { Accept: "text/html" } }), { push: true });
  }

  async function go(request, { push, typed, form, pop }) {
    const nav = ++current;
    document.documentElement.setAttribute("aria-busy", "true");
    let response;
    let html;
    try {
      response = await fetch(request, { credentials: "same-origin" });
      if (!(response.headers.get("content-type") ?? "").includes("text/html")) {
        if (nav === current) await download(response);
        return;
      }
      html = await response.text();
    } catch {
      // Offline, or the server is gone: the browser does it the plain way (and the
      // service worker shows the offline page).
      if (request.method === "GET") location.assign(request.url);
      else form?.submit();
      return;
    } finally {
      form?.removeAttribute("aria-busy");
      if (form) delete form.dataset.saving;
      if (nav === current) document.documentElement.removeAttribute("aria-busy");
    }
    if (nav !== current) return;
    const url = new URL(response.url || request.url);
    // A response's address never carries the fragment the link asked for.
    if (!url.hash) url.hash = new URL(request.url).hash;
    const failed = url.searchParams.has("__err");
    url.searchParams.delete("__err");
    url.searchParams.delete("__path");
    const doc = new DOMParser().parseFromString(html, "text/html");
    // A new build on the server: load its code instead of running the old one against it.
    if (buildOf(doc) !== buildOf(document)) {
      location.replace(url.href);
      return;
    }
    const samePage = url.pathname === location.pathname && url.search === location.search;
    document.title = doc.title;
    document.documentElement.lang = doc.documentElement.lang;
    const ctx = {
      resetForm: typed && !failed ? typed.form : null,
      samePath: url.pathname === location.pathname,
      arrived: [],
    };
    morph(document.body, doc.body, ctx);
    if (typed && failed) restore(typed);
    if (push && !samePage && (push !== "new page" || !ctx.samePath)) history.pushState(null, "", url.href);
    else history.replaceState(history.state, "", url.href);
    hydrateIslands(ctx.arrived);
    if (failed) {
      const alert = document.querySelector("[role=alert]");
      alert?.scrollIntoView({ block: "nearest" });
    } else if (url.hash && !pop) {
      document.getElementById(decodeURIComponent(url.hash.slice(1)))?.scrollIntoView();
    } else if (!ctx.samePath && !pop) {
      window.scrollTo(0, 0);
      document.getElementById("content")?.focus({ preventScroll: true });
    }
    document.dispatchEvent(new CustomEvent("rapport:navigated", { detail: { url: url.href } }));
  }

  async function download(response) {
    const blob = await response.blob();
    const disposition = response.headers.get("content-disposition") ?? "";
    const name = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1];
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name ? decodeURIComponent(name) : "";
    a.setAttribute("data-native", "");
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  // What was typed into a form, to put back when its submission fails.
  function snapshot(form) {
    const action = form.getAttribute("action") ?? "";
    const index = [...document.forms].filter((f) => (f.getAttribute("action") ?? "") === action).indexOf(form);
    const fields = [...form.elements]
      .filter((el) => el.name && !["file", "hidden", "password", "submit", "button"].includes(el.type))
      .map((el) => [el.name, el.type === "checkbox" || el.type === "radio" ? el.checked : el.value]);
    return { action, index, fields, form };
  }

  function restore({ action, index, fields }) {
    const form = [...document.forms].filter((f) => (f.getAttribute("action") ?? "") === action)[index];
    if (!form) return;
    const seen = new Map();
    for (const [name, value] of fields) {
      const n = seen.get(name) ?? 0;
      seen.set(name, n + 1);
      const el = [...form.elements].filter((e) => e.name === name)[n];
      if (!el) continue;
      if (typeof value === "boolean") el.checked = value;
      else el.value = value;
    }
  }

  // Merges `next` into `live`: same element kinds in the same places are updated in place
  // (so focus, scroll positions and islands survive), anything else is replaced.
  function morph(live, next, ctx) {
    const dirty = isDirty(live);
    for (const { name } of [...live.attributes]) {
      if (!next.hasAttribute(name) && !(live === document.body && name.startsWith("data-hydrated"))) live.removeAttribute(name);
    }
    for (const { name, value } of next.attributes) {
      if (live.getAttribute(name) !== value) live.setAttribute(name, value);
    }
    if (live.tagName === "LEPTOS-ISLAND") {
      // The island's own DOM is its state; what the server rendered inside it is updated.
      const own = (island) =>
        [...island.querySelectorAll("leptos-children")].filter((c) => c.parentElement.closest("leptos-island") === island);
      const nextChildren = own(next);
      own(live).forEach((c, i) => nextChildren[i] && morph(c, nextChildren[i], ctx));
      return;
    }
    const liveKids = [...live.childNodes];
    const nextKids = [...next.childNodes];
    nextKids.forEach((n, i) => {
      const l = liveKids[i];
      if (!l || !alike(l, n)) {
        if (l) l.replaceWith(n);
        else live.append(n);
        if (n.nodeType === Node.ELEMENT_NODE) {
          if (n.tagName === "LEPTOS-ISLAND") ctx.arrived.push(n);
          else ctx.arrived.push(...n.querySelectorAll("leptos-island"));
        }
      } else if (l.nodeType === Node.ELEMENT_NODE) morph(l, n, ctx);
      else if (l.nodeValue !== n.nodeValue) l.nodeValue = n.nodeValue;
    });
    liveKids.slice(nextKids.length).forEach((l) => l.remove());
    syncValue(live, next, ctx, dirty);
  }

  function alike(l, n) {
    if (l.nodeType !== n.nodeType) return false;
    if (l.nodeType !== Node.ELEMENT_NODE) return true;
    if (l.tagName !== n.tagName || l.id !== n.id) return false;
    if (l.tagName === "LEPTOS-ISLAND") {
      return l.dataset.component === n.dataset.component && l.dataset.props === n.dataset.props;
    }
    return l.tagName !== "SCRIPT";
  }

  // Whether a form control holds something the user changed since the server sent it.
  function isDirty(el) {
    if (el.tagName === "SELECT") return [...el.options].some((o) => o.selected !== o.defaultSelected);
    if (el.tagName === "TEXTAREA") return el.value !== el.defaultValue;
    if (el.tagName !== "INPUT") return false;
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    return el.type !== "file" && el.value !== el.defaultValue;
  }

  // A form control shows what the server sent, except what the user is still working on:
  // the field being typed into (a search box keeps what was typed meanwhile), and, when
  // the page stays the same, what was typed into another form that saves (a note being
  // written while a filter changes). A form that was just saved starts afresh.
  function syncValue(live, next, { resetForm, samePath }, dirty) {
    const tag = live.tagName;
    if (tag !== "INPUT" && tag !== "TEXTAREA" && tag !== "SELECT") return;
    const form = live.form;
    const saved = form !== null && form === resetForm;
    const saves = form !== null && (form.getAttribute("method") ?? "get").toLowerCase() === "post";
    if (!saved && (live === document.activeElement || (dirty && samePath && saves))) return;
    if (live.type === "file") {
      if (saved) live.value = "";
      return;
    }
    if (live.type === "checkbox" || live.type === "radio") live.checked = next.hasAttribute("checked");
    else if (tag === "SELECT") live.selectedIndex = next.selectedIndex;
    else live.value = tag === "TEXTAREA" ? next.defaultValue : next.getAttribute("value") ?? "";
  }

  // Islands the merge brought in; the ones it kept are running already. Before the
  // bundle has loaded there is nothing to do: it hydrates whatever the page holds then.
  function hydrateIslands(arrived) {
    if (!window.__hydrateIsland) return;
    for (const island of arrived) {
      if (!island.parentElement?.closest("leptos-island")) window.__hydrateIsland(island, island.dataset.component);
    }
  }

  window.rapport = { visit };
})();
