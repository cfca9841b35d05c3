use crate::audit::api::list_audit;
use crate::auth::pages::Protected;
use crate::i18n::{t, Key};
use crate::ui::{format_time, ErrorNotice};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditPage() -> impl IntoView {
    view! { <Protected><AuditLog /></Protected> }
}

#[component]
fn AuditLog() -> impl IntoView {
    let query = use_query_map();
    let args = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("customer").and_then(|s| s.parse::<i64>().ok()),
            q.get("before").and_then(|s| s.parse::<i64>().ok()),
        )
    });
    let page = Resource::new(
        move || args.get(),
        |(customer, before)| list_audit(customer, before),
    );
    view! {
        <section class="page">
            <h1>{t(Key::NavAudit)}</h1>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => {
                            let (customer, _) = args.get_untracked();
                            let next = p.next_before.map(|b| match customer {
                                Some(c) => format!("/admin/audit?customer={c}&before={b}"),
                                None => format!("/admin/audit?before={b}"),
                            });
                            view! {
                                <div class="table-wrap" tabindex="0">
                                    <table class="data" data-testid="audit-table">
                                        <thead><tr>
                                            <th scope="col">{t(Key::When)}</th>
                                            <th scope="col">{t(Key::Who)}</th>
                                            <th scope="col">{t(Key::Record)}</th>
                                            <th scope="col">{t(Key::Action)}</th>
                                            <th scope="col">{t(Key::Field)}</th>
                                            <th scope="col">{t(Key::Before)}</th>
                                            <th scope="col">{t(Key::After)}</th>
                                        </tr></thead>
                                        <tbody>
                                            {p.entries.into_iter().map(|e| view! {
                                                <tr>
                                                    <td>{format_time(e.at)}</td>
                                                    <td>{e.actor_name.unwrap_or_else(|| "system".into())}</td>
                                                    <td>{format!("{} #{}", e.entity, e.entity_id)}</td>
                                                    <td>{e.action}</td>
                                                    <td>{e.field.unwrap_or_default()}</td>
                                                    <td>{e.before.unwrap_or_default()}</td>
                                                    <td>{e.after.unwrap_or_default()}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                {next.map(|href| view! { <nav class="pager"><A href=href>{t(Key::NextPage)}</A></nav> })}
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
