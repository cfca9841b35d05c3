#![recursion_limit = "256"]
//! Rapport: the application crate. Components and server functions compile for both the
//! browser (`hydrate`) and the server (`ssr`); services and SQL only for the server.

pub mod activities;
pub mod audit;
pub mod auth;
pub mod churn;
pub mod complaints;
pub mod csv_writer;
pub mod custom_fields;
pub mod customer_page;
pub mod customers;
pub mod dashboard;
pub mod dates;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod downloads;
pub mod duplicates;
pub mod error;
pub mod exports;
pub mod feedback;
pub mod finance;
pub mod format;
pub mod funnel;
pub mod i18n;
pub mod ids;
pub mod imports;
#[cfg(feature = "ssr")]
pub mod jobs;
pub mod layout;
pub mod lifecycle;
pub mod notes;
pub mod orders;
#[cfg(feature = "ssr")]
pub mod request;
pub mod rfm;
pub mod saved_views;
pub mod segments;
#[cfg(feature = "ssr")]
pub mod settings;
#[cfg(feature = "ssr")]
pub mod state;
pub mod tasks;
pub mod tiers;
pub mod timeline;
pub mod ui;
pub mod users;

use i18n::Lang;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, Meta, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// Wires the features that keep facts derived from orders into the order-write seam
/// (`db::derived`), in the order they run. Called once by whatever opens the database
/// for the app: the server, the benchmarks, the tests.
#[cfg(feature = "ssr")]
pub fn register_order_dependents() {
    db::derived::register(vec![
        orders::recency::ORDER_DEPENDENT,
        funnel::service::ORDER_DEPENDENT,
        lifecycle::service::ORDER_DEPENDENT,
        churn::service::ORDER_DEPENDENT,
    ]);
}

/// The language of this request: the saved choice, else the browser's, else English.
#[cfg(feature = "ssr")]
fn request_lang() -> Lang {
    request::request_cookie(i18n::LANG_COOKIE)
        .and_then(|c| Lang::parse(&c))
        .or_else(|| request::request_accept_language().and_then(|h| Lang::from_accept_language(&h)))
        .unwrap_or_default()
}

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let lang = request_lang();
    #[cfg(not(feature = "ssr"))]
    let lang = Lang::En;
    // The security-header middleware minted a nonce for this response; the hydration
    // scripts must carry the same one.
    #[cfg(feature = "ssr")]
    if let Some(nonce) = use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<request::CspNonce>().cloned())
    {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <meta name="theme-color" content="#1d4ed8" />
                // The style sheet under its content-hashed name (see server/src/assets.rs).
                <HashedStylesheet options=options.clone() id="leptos" />
                // Islands: the bundle holds only the interactive parts of pages and loads
                // when the browser is idle; the server renders everything else.
                <HydrationScripts options islands=true />
                // Links and forms navigate in place (see nav.js); without it they still
                // work as plain HTML.
                <script nonce=leptos::nonce::use_nonce()>{NAVIGATION_SCRIPT}</script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Client-side navigation between the server-rendered pages.
const NAVIGATION_SCRIPT: &str = include_str!("nav.js");

/// The browser's start-up, called by the bundle once it has loaded: the islands of the
/// page hydrate after it.
#[cfg(feature = "hydrate")]
pub fn hydrate() {
    leptos::mount::hydrate_islands();
    ui::start_in_browser();
}

/// The whole app, rendered on the server for every request; only its `#[island]`s run in
/// the browser.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "ssr")]
    let i18n = i18n::provide_i18n(request_lang());
    #[cfg(not(feature = "ssr"))]
    let i18n = i18n::provide_i18n(Lang::default());
    auth::pages::provide_auth();

    view! {
        <Link rel="manifest" href="/manifest.webmanifest" />
        <Link rel="icon" href="/icons/icon-192.png" />
        <Meta name="description" content="Rapport customer relationship platform" />
        <Title text=move || i18n.t(i18n::Key::AppName) />
        <Router>
            <layout::Layout>
                <Routes fallback=ui::NotFoundPage>
                    <Route path=path!("/") view=dashboard::pages::DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=auth::pages::LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/setup") view=users::pages::SetupPage ssr=SsrMode::Async />
                    <Route path=path!("/customers") view=customers::pages::CustomerListPage ssr=SsrMode::Async />
                    <Route path=path!("/customers/new") view=customers::form::CustomerCreatePage ssr=SsrMode::Async />
                    // Declared before `/customers/:id`: routes match in order.
                    <Route path=path!("/customers/duplicates") view=duplicates::pages::DuplicatesPage ssr=SsrMode::Async />
                    <Route path=path!("/customers/duplicates/merge") view=duplicates::pages::MergePage ssr=SsrMode::Async />
                    <Route path=path!("/customers/:id") view=customer_page::CustomerDetailPage ssr=SsrMode::Async />
                    <Route path=path!("/customers/:id/edit") view=customers::form::CustomerEditPage ssr=SsrMode::Async />
                    <Route path=path!("/segments") view=segments::pages::SegmentsPage ssr=SsrMode::Async />
                    <Route path=path!("/segments/new") view=segments::pages::SegmentEditPage ssr=SsrMode::Async />
                    <Route path=path!("/segments/:id") view=segments::pages::SegmentEditPage ssr=SsrMode::Async />
                    <Route path=path!("/rfm") view=rfm::pages::RfmPage ssr=SsrMode::Async />
                    <Route path=path!("/funnel") view=funnel::pages::FunnelPage ssr=SsrMode::Async />
                    <Route path=path!("/lifecycle") view=lifecycle::pages::LifecyclePage ssr=SsrMode::Async />
                    <Route path=path!("/at-risk") view=churn::pages::AtRiskPage ssr=SsrMode::Async />
                    <Route path=path!("/feedback") view=feedback::pages::FormsPage ssr=SsrMode::Async />
                    <Route path=path!("/feedback/new") view=feedback::pages::FormEditPage ssr=SsrMode::Async />
                    // Declared before `/feedback/:id`: routes match in order.
                    <Route path=path!("/feedback/analysis") view=feedback::analysis_page::FeedbackAnalysisPage ssr=SsrMode::Async />
                    <Route path=path!("/feedback/:id") view=feedback::pages::FormEditPage ssr=SsrMode::Async />
                    <Route path=path!("/complaints") view=complaints::pages::ComplaintsPage ssr=SsrMode::Async />
                    <Route path=path!("/complaints/new") view=complaints::pages::ComplaintNewPage ssr=SsrMode::Async />
                    <Route path=path!("/complaints/:id") view=complaints::pages::ComplaintDetailPage ssr=SsrMode::Async />
                    <Route path=path!("/work") view=tasks::pages::MyWorkPage ssr=SsrMode::Async />
                    <Route path=path!("/tiers") view=tiers::pages::TiersPage ssr=SsrMode::Async />
                    <Route path=path!("/workload") view=tiers::pages::WorkloadPage ssr=SsrMode::Async />
                    <Route path=path!("/import") view=imports::pages::ImportPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view=users::pages::UsersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view=audit::pages::AuditPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/fields") view=custom_fields::pages::CustomFieldsPage ssr=SsrMode::Async />
                </Routes>
            </layout::Layout>
        </Router>
    }
}
