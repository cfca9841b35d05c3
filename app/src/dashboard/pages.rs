use crate::auth::pages::Protected;
use crate::customers::model::Grade;
use crate::dashboard::api::dashboard_summary;
use crate::i18n::{t, use_i18n, Key};
use crate::ui::ErrorNotice;
use leptos::prelude::*;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Protected>
            <DashboardBody />
        </Protected>
    }
}

#[component]
fn DashboardBody() -> impl IntoView {
    let i18n = use_i18n();
    let summary = Resource::new(|| (), |_| dashboard_summary());
    view! {
        <section class="page">
            <h1>{t(Key::NavDashboard)}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match summary.await {
                        Ok(s) => {
                            let grades = s.by_grade.clone();
                            view! {
                                <p class="muted">{move || i18n.t(if s.scoped { Key::DashboardScoped } else { Key::DashboardAll })}</p>
                                <div class="cards">
                                    <div class="stat"><span class="stat-label">{t(Key::Customers)}</span><strong data-testid="stat-customers">{s.customers}</strong></div>
                                    <div class="stat"><span class="stat-label">{t(Key::LevelKey)}</span><strong>{s.key_accounts}</strong></div>
                                    <div class="stat"><span class="stat-label">{t(Key::LevelStandard)}</span><strong>{s.standard_accounts}</strong></div>
                                    {grades.into_iter().map(|(g, n)| {
                                        let label = Grade::parse(&g).map(|g| g.label()).unwrap_or(Key::Grade);
                                        view! { <div class="stat"><span class="stat-label">{t(label)}</span><strong>{n}</strong></div> }
                                    }).collect_view()}
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
