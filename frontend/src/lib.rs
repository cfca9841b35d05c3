//! The browser entry point: the app's islands and the page-wide start-up (`app::hydrate`).

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::hydrate();
}
