//! The frame of every page, above the features whose widgets it shows (the task badge).

use crate::auth::pages::use_auth;
use crate::auth::Role;
use crate::i18n::{t, use_i18n, Key, Lang};
use leptos::prelude::*;
use leptos_router::components::A;

/// The frame of every page: navigation for the signed-in user, language switch, sign-out.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let auth = use_auth();
    let nav = move || {
        auth.user.get().and_then(|r| r.ok()).flatten().map(|user| {
            let is_admin = user.role == Role::Admin;
            let sees_customers = crate::auth::permissions::may_list_customers(&user);
            let imports = crate::auth::permissions::may_import(&user);
            let tiers = crate::auth::permissions::may_open_tier_queue(&user);
            let workload = crate::auth::permissions::workload_scope(&user).is_some();
            let sees_rfm = crate::auth::permissions::may_see_rfm(&user);
            let sees_funnel = crate::auth::permissions::may_see_funnel(&user);
            let sees_lifecycle = crate::auth::permissions::may_see_lifecycle(&user);
            let at_risk = crate::auth::permissions::may_see_at_risk(&user);
            let sees_feedback = crate::auth::permissions::may_see_feedback(&user);
            let sees_complaints = crate::auth::permissions::may_see_complaints(&user);
            let role = user.role.label();
            view! {
                <nav class="main-nav" aria-label="main">
                    <A href="/">{t(Key::NavDashboard)}</A>
                    <A href="/work" attr:data-testid="nav-my-work">{t(Key::MyWork)} <crate::tasks::pages::TaskBadge /></A>
                    <Show when=move || sees_customers>
                        <A href="/customers">{t(Key::NavCustomers)}</A>
                        <A href="/customers/duplicates">{t(Key::NavDuplicates)}</A>
                        <A href="/segments" attr:data-testid="nav-segments">{t(Key::NavSegments)}</A>
                    </Show>
                    <Show when=move || tiers>
                        <A href="/tiers" attr:data-testid="nav-tiers">{t(Key::NavTiers)}</A>
                    </Show>
                    <Show when=move || workload>
                        <A href="/workload" attr:data-testid="nav-workload">{t(Key::NavWorkload)}</A>
                    </Show>
                    <Show when=move || sees_rfm>
                        <A href="/rfm" attr:data-testid="nav-rfm">{t(Key::NavRfm)}</A>
                    </Show>
                    <Show when=move || sees_funnel>
                        <A href="/funnel" attr:data-testid="nav-funnel">{t(Key::NavFunnel)}</A>
                    </Show>
                    <Show when=move || sees_lifecycle>
                        <A href="/lifecycle" attr:data-testid="nav-lifecycle">{t(Key::NavLifecycle)}</A>
                    </Show>
                    <Show when=move || at_risk>
                        <A href="/at-risk" attr:data-testid="nav-at-risk">{t(Key::NavAtRisk)}</A>
                    </Show>
                    <Show when=move || sees_feedback>
                        <A href="/feedback" attr:data-testid="nav-feedback">{t(Key::CpNavFeedback)}</A>
                    </Show>
                    <Show when=move || sees_complaints>
                        <A href="/complaints" attr:data-testid="nav-complaints">{t(Key::CpComplaints)}</A>
                    </Show>
                    <Show when=move || imports>
                        <A href="/import">{t(Key::NavImport)}</A>
                    </Show>
                    <Show when=move || is_admin>
                        <A href="/admin/users">{t(Key::NavUsers)}</A>
                        <A href="/admin/audit">{t(Key::NavAudit)}</A>
                        <A href="/admin/fields">{t(Key::NavCustomFields)}</A>
                    </Show>
                </nav>
                <div class="who">
                    <span class="user-name" data-testid="current-user">{user.name.clone()}</span>
                    <span class="role-badge">{t(role)}</span>
                    <ActionForm action=auth.logout attr:class="inline">
                        <button type="submit" class="link-button">{t(Key::SignOut)}</button>
                    </ActionForm>
                    <ActionForm action=auth.logout_everywhere attr:class="inline">
                        <button type="submit" class="link-button" data-testid="sign-out-everywhere">{t(Key::SignOutEverywhere)}</button>
                    </ActionForm>
                </div>
            }
        })
    };
    view! {
        <header class="topbar">
            <a href="/" class="brand">{t(Key::AppName)}</a>
            <Transition fallback=|| ()>{nav}</Transition>
            <LanguageSwitch />
        </header>
        <main id="content" tabindex="-1">{children()}</main>
    }
}

/// One tiny form per language: the server keeps the choice and renders the page again in it.
#[component]
fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<crate::auth::api::SetLanguage>::new();
    let current = i18n.lang.get_untracked();
    view! {
        <div class="lang-switch" aria-label=t(Key::Language)>
            {Lang::ALL
                .into_iter()
                .map(|lang| {
                    view! {
                        <ActionForm action=action attr:class="inline">
                            <input type="hidden" name="lang" value=lang.code() />
                            <button
                                type="submit"
                                class="link-button"
                                lang=lang.code()
                                data-testid=format!("lang-{}", lang.code())
                                aria-pressed=(current == lang).to_string()
                            >
                                {lang.native_name()}
                            </button>
                        </ActionForm>
                    }
                })
                .collect_view()}
        </div>
    }
}
