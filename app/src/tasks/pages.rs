use crate::auth::pages::Protected;
use crate::dates::{local_datetime_value, now_seconds, user_offset_minutes};
use crate::error::AppError;
use crate::i18n::{t, use_i18n, Key};
use crate::ids::CustomerId;
use crate::tasks::api::*;
use crate::tasks::model::*;
use crate::ui::{field_error, format_local_time, ErrorNotice};
use crate::users::model::StaffMember;
use leptos::prelude::*;
use leptos_router::components::A;

/// The due/overdue count next to "My work" in the navigation, counted while the server
/// renders the page; any page the user opens or saves brings a fresh count.
#[component]
pub fn TaskBadge() -> impl IntoView {
    let counts = Resource::new(|| (), |_| my_task_counts());
    let i18n = use_i18n();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                counts.await.ok().filter(|c| c.overdue + c.due_today > 0).map(|c| {
                    let label = format!(
                        "{} {} · {} {}",
                        c.overdue,
                        i18n.t(Key::Overdue),
                        c.due_today,
                        i18n.t(Key::DueToday)
                    );
                    view! {
                        <span
                            class={if c.overdue > 0 { "count-badge alert" } else { "count-badge" }}
                            data-testid="nav-task-count"
                            data-overdue=c.overdue
                            title=label.clone()
                            aria-label=label
                        >
                            {c.overdue + c.due_today}
                        </span>
                    }
                })
            })}
        </Suspense>
    }
}

/// Refreshes the page in place once the server's clock reaches `at` (the page was rendered
/// at `now`): the moment a task changes group, so it turns overdue on screen and the
/// navigation count follows. Both times are props, so every rendering starts a new wait.
#[island]
pub fn RefreshWhenDue(at: i64, now: i64) -> impl IntoView {
    let marker = NodeRef::<leptos::html::Span>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        // A day at most (a browser timer cannot wait for months); a second late, so the
        // server sees the moment as passed.
        let wait_ms = ((at - now).clamp(0, 86_400) as u32 + 1) * 1000;
        gloo_timers::callback::Timeout::new(wait_ms, move || {
            // A page moved on since shows no marker, or another one.
            if marker.get_untracked().is_some_and(|m| m.is_connected()) {
                crate::ui::islands::browser::reload_in_place();
            }
        })
        .forget();
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (at, now);
    view! { <span node_ref=marker hidden=true></span> }
}

#[component]
pub fn MyWorkPage() -> impl IntoView {
    view! { <Protected><MyWorkView /></Protected> }
}

#[component]
fn MyWorkView() -> impl IntoView {
    let create = ServerAction::<CreateTask>::new();
    let work = Resource::new(|| (), |_| load_my_work());
    let now = now_seconds();
    let offset = user_offset_minutes();
    let create_result = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    view! {
        <section class="page">
            <div class="page-head"><h1>{t(Key::MyWork)}</h1></div>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match work.await {
                        Ok(w) => {
                            let due_times: Vec<i64> = w.open.iter().map(|task| task.due_at).collect();
                            let regrouping = next_regrouping(&due_times, now, offset);
                            let open = w.open;
                            let section = |which: Urgency, title: Key, testid: &'static str| {
                                let list: Vec<Task> = open
                                    .iter()
                                    .filter(|task| urgency(task.due_at, now, offset) == which)
                                    .cloned()
                                    .collect();
                                view! {
                                    <section class=format!("card task-group {testid}") data-testid=testid>
                                        <h2>{t(title)} " " <span class="count">{list.len()}</span></h2>
                                        {if list.is_empty() {
                                            view! { <p class="empty">{t(Key::NothingHere)}</p> }.into_any()
                                        } else {
                                            view! {
                                                <ul class="task-list">
                                                    {list.into_iter().map(|task| view! { <TaskRow task=task overdue=which == Urgency::Overdue /> }).collect_view()}
                                                </ul>
                                            }.into_any()
                                        }}
                                    </section>
                                }
                            };
                            view! {
                                {regrouping.map(|at| view! { <RefreshWhenDue at=at now=now /> })}
                                <div class="task-columns">
                                    {section(Urgency::Overdue, Key::Overdue, "task-overdue")}
                                    {section(Urgency::Today, Key::DueToday, "task-today")}
                                    {section(Urgency::Upcoming, Key::Upcoming, "task-upcoming")}
                                </div>
                                <section class="card">
                                    <h2>{t(Key::DoneThisWeek)}</h2>
                                    {if w.recently_done.is_empty() {
                                        view! { <p class="empty">{t(Key::NothingHere)}</p> }.into_any()
                                    } else {
                                        view! {
                                            <ul class="task-list done">
                                                {w.recently_done.into_iter().map(|task| view! { <TaskRow task=task overdue=false /> }).collect_view()}
                                            </ul>
                                        }.into_any()
                                    }}
                                </section>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            <section class="card">
                <h2>{t(Key::NewTask)}</h2>
                <ActionForm action=create attr:class="stack compact" attr:data-testid="personal-task-form">
                    <label>{t(Key::TitleField)}<input name="input[title]" maxlength="200" required /></label>
                    {field_error(move || create_result.get(), "title")}
                    <label>{t(Key::DueAt)}<input type="datetime-local" name="input[due]" required value=local_datetime_value(now + 86_400, offset) /></label>
                    {field_error(move || create_result.get(), "due")}
                    <button type="submit">{t(Key::AddTask)}</button>
                </ActionForm>
            </section>
        </section>
    }
}

/// One task with its customer, due time, source and the buttons to finish or reopen it.
#[component]
pub fn TaskRow(task: Task, overdue: bool) -> impl IntoView {
    let status = ServerAction::<SetTaskStatus>::new();
    let id = task.id.to_string();
    let open = task.status == TaskStatus::Open;
    view! {
        <li class={if overdue { "task overdue" } else { "task" }} data-testid="task">
            <div class="task-main">
                <strong class="task-title">{task.title}</strong>
                {match (task.customer_id, task.customer_name) {
                    (Some(id), Some(name)) => Some(view! { <A href=format!("/customers/{id}")>{name}</A> }),
                    _ => None,
                }}
            </div>
            <div class="task-meta muted">
                <span>{t(Key::DueAt)} " " {format_local_time(task.due_at)}</span>
                <span>{t(task.source.label())}</span>
                <span>{task.assignee_name}</span>
                {(!open).then(|| view! { <span class="badge">{t(task.status.label())}</span> })}
            </div>
            {task.may_change.then(|| view! {
                <ActionForm action=status attr:class="inline">
                    <input type="hidden" name="id" value=id.clone() />
                    <input type="hidden" name="status" value=if open { "done" } else { "open" } />
                    <button type="submit" class="link-button" data-testid="task-toggle">
                        {if open { t(Key::MarkDone) } else { t(Key::Reopen) }}
                    </button>
                </ActionForm>
            })}
        </li>
    }
}

/// The open follow-ups of one customer, with the form for a new one (open again after a
/// refused save, to show why).
#[component]
pub fn TasksCard(
    customer: CustomerId,
    tasks: Vec<Task>,
    may_edit: bool,
    staff: Resource<Result<Vec<StaffMember>, AppError>>,
) -> impl IntoView {
    let create = ServerAction::<CreateTask>::new();
    let offset = user_offset_minutes();
    let now = now_seconds();
    let result = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let default_due = local_datetime_value(now + 86_400, offset);
    view! {
        <section class="card" data-testid="customer-tasks">
            <h2>{t(Key::OpenTasks)}</h2>
            {if tasks.is_empty() {
                view! { <p class="empty">{t(Key::NothingHere)}</p> }.into_any()
            } else {
                view! {
                    <ul class="task-list">
                        {tasks.into_iter().map(|task| {
                            let overdue = task.due_at < now;
                            view! { <TaskRow task=task overdue=overdue /> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {may_edit.then(|| view! {
                <details open=result.get_untracked().is_some()>
                    <summary>{t(Key::NewTask)}</summary>
                    <ActionForm action=create attr:class="stack compact">
                        <input type="hidden" name="input[customer]" value=customer.to_string() />
                        <label>{t(Key::TitleField)}<input name="input[title]" maxlength="200" required /></label>
                        {field_error(move || result.get(), "title")}
                        <label>{t(Key::DueAt)}<input type="datetime-local" name="input[due]" value=default_due required /></label>
                        {field_error(move || result.get(), "due")}
                        <label>
                            {t(Key::Assignee)}
                            <select name="input[assignee]">
                                <option value="">{t(Key::Myself)}</option>
                                <Suspense fallback=|| ()>
                                    {move || Suspend::new(async move {
                                        staff.await.unwrap_or_default().into_iter().map(|s| view! {
                                            <option value=s.id.to_string()>{s.name}</option>
                                        }).collect_view()
                                    })}
                                </Suspense>
                            </select>
                        </label>
                        {field_error(move || result.get(), "assignee")}
                        <button type="submit">{t(Key::AddTask)}</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
}
