//! Small islands shared by many pages. Each adds to server-rendered HTML what plain HTML
//! cannot do, and none calls a server function: a round trip is a form submission or a
//! link, which the navigation script (`nav.js`) turns into an update in place. So the
//! bundle carries no server-function client, and these stay a few kilobytes.

use leptos::prelude::*;

/// Submits the form around `children` when one of its fields changes: after a pause in
/// typing for text fields (`delay_ms`, default 300), at once for a choice (select, box).
#[island]
pub fn SubmitOnChange(
    #[prop(optional)] delay_ms: Option<u32>,
    children: Children,
) -> impl IntoView {
    let delay = delay_ms.unwrap_or(300);
    #[cfg(feature = "hydrate")]
    let pending = StoredValue::new_local(None::<gloo_timers::callback::Timeout>);
    let on_input = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some((form, typed)) = browser::form_of(&ev) {
            if typed {
                pending.set_value(Some(gloo_timers::callback::Timeout::new(
                    delay,
                    move || browser::submit(&form),
                )));
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, delay);
    };
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some((form, false)) = browser::form_of(&ev) {
            browser::submit(&form);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    view! { <span class="contents" on:input=on_input on:change=on_change>{children()}</span> }
}

/// Rows picked for a bulk action: a box marked `data-select-all` ticks every box named
/// `name` inside; `[data-selected-count]` shows how many are ticked, and elements marked
/// `data-when-selected` show only while any is.
#[island]
pub fn RowSelection(name: String, children: Children) -> impl IntoView {
    let root = NodeRef::<leptos::html::Div>::new();
    // A page merged in after a failed bulk action comes back with boxes ticked and no
    // change event: count again after every navigation in place.
    #[cfg(feature = "hydrate")]
    {
        let name = name.clone();
        Effect::new(move |_| {
            let name = name.clone();
            browser::on_navigated(move || {
                if let Some(root) = root.get_untracked() {
                    browser::update_selection(&root, &name, None);
                }
            });
        });
    }
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some(root) = root.get_untracked() {
            browser::update_selection(&root, &name, Some(&ev));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, &name);
    };
    view! { <div class="contents" node_ref=root on:change=on_change>{children()}</div> }
}

/// A button that copies `text` to the clipboard and says so.
#[island]
pub fn CopyButton(text: String, label: String, done: String, testid: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&text);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
        copied.set(true);
    };
    view! {
        <button type="button" class="button" data-testid=testid on:click=on_click>
            {move || if copied.get() { done.clone() } else { label.clone() }}
        </button>
    }
}

/// Reloads the page in place every `seconds` while it shows this (a run in progress); the
/// page stops sending it when there is nothing left to wait for.
#[island]
pub fn RefreshWhileShown(seconds: u32) -> impl IntoView {
    let marker = NodeRef::<leptos::html::Span>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let interval = gloo_timers::callback::Interval::new(seconds.max(1) * 1000, move || {
            if marker.get_untracked().is_some_and(|m| m.is_connected()) {
                browser::reload_in_place();
            }
        });
        // Lives as long as the page shows the marker; checked on every tick.
        interval.forget();
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = seconds;
    view! { <span node_ref=marker hidden=true></span> }
}

#[cfg(feature = "hydrate")]
pub(crate) mod browser {
    use wasm_bindgen::JsCast;

    /// The form of the field an event came from, and whether the field is typed into.
    pub fn form_of(ev: &web_sys::Event) -> Option<(web_sys::HtmlFormElement, bool)> {
        let target = ev.target()?.dyn_into::<web_sys::Element>().ok()?;
        let typed = match target.dyn_ref::<web_sys::HtmlInputElement>() {
            Some(input) => !matches!(input.type_().as_str(), "checkbox" | "radio"),
            None => target.tag_name().eq_ignore_ascii_case("textarea"),
        };
        let form = target.closest("form").ok()??.dyn_into().ok()?;
        Some((form, typed))
    }

    /// Submits as a click on the form's first submit button would (so the navigation
    /// script takes it).
    pub fn submit(form: &web_sys::HtmlFormElement) {
        let _ = form.request_submit();
    }

    /// Fetches the current address again and merges it into the page.
    pub fn reload_in_place() {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Ok(href) = window.location().href() else {
            return;
        };
        let visit = js_sys::Reflect::get(&window, &"rapport".into())
            .and_then(|r| js_sys::Reflect::get(&r, &"visit".into()))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match visit {
            Some(visit) => {
                let _ = visit.call1(&wasm_bindgen::JsValue::NULL, &href.into());
            }
            None => {
                let _ = window.location().reload();
            }
        }
    }

    /// Runs `f` after every navigation in place (nav.js's `rapport:navigated`), for the
    /// rest of the page's life.
    pub fn on_navigated(f: impl Fn() + 'static) {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let listener = wasm_bindgen::closure::Closure::<dyn Fn()>::new(f);
        let _ = doc.add_event_listener_with_callback(
            "rapport:navigated",
            listener.as_ref().unchecked_ref(),
        );
        listener.forget();
    }

    pub fn update_selection(
        root: &web_sys::HtmlDivElement,
        name: &str,
        ev: Option<&web_sys::Event>,
    ) {
        let boxes = root.query_selector_all(&format!("input[type=checkbox][name=\"{name}\"]"));
        let Ok(boxes) = boxes else { return };
        let boxes: Vec<web_sys::HtmlInputElement> = (0..boxes.length())
            .filter_map(|i| boxes.item(i)?.dyn_into().ok())
            .collect();
        if let Some(all) = ev
            .and_then(|e| e.target())
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .filter(|t| t.has_attribute("data-select-all"))
        {
            for b in &boxes {
                b.set_checked(all.checked());
            }
        }
        let ticked = boxes.iter().filter(|b| b.checked()).count();
        if let Ok(counts) = root.query_selector_all("[data-selected-count]") {
            for i in 0..counts.length() {
                if let Some(n) = counts.item(i) {
                    n.set_text_content(Some(&ticked.to_string()));
                }
            }
        }
        if let Ok(shown) = root.query_selector_all("[data-when-selected]") {
            for i in 0..shown.length() {
                if let Some(el) = shown
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                {
                    let _ = if ticked > 0 {
                        el.remove_attribute("hidden")
                    } else {
                        el.set_attribute("hidden", "")
                    };
                }
            }
        }
        if let Ok(Some(all)) = root.query_selector("input[data-select-all]") {
            if let Ok(all) = all.dyn_into::<web_sys::HtmlInputElement>() {
                all.set_checked(!boxes.is_empty() && ticked == boxes.len());
            }
        }
    }
}
