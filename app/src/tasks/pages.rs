use crate::auth::pages::Protected;
use crate::dates::{local_datetime_value, now_seconds, user_offset_minutes};
use crate::error::AppError;
use crate::i18n::{t, use_i18n, Key};
use crate::ids::CustomerId;
use crate::tasks::api::*;
use crate::tasks::model::*;
use crate::ui::{cleared_on_success, field_error, format_local_time, ErrorNotice};
use crate::users::model::StaffMember;
use leptos::prelude::*;
use leptos_router::components::A;

/// How often the browser refreshes the clock that decides overdue/today (seconds).
const CLOCK_TICK_SECS: u32 = 10;
/// How often the navigation count asks the server again (seconds).
const COUNT_REFRESH_SECS: u32 = 30;

/// A clock signal that advances while the page is open, so tasks turn overdue on screen
/// without a reload.
pub fn ticking_clock(every_secs: u32) -> ReadSignal<i64> {
    let (now, set_now) = signal(now_seconds());
    #[cfg(feature = "hydrate")]
    {
        let interval = gloo_timers::callback::Interval::new(every_secs * 1000, move || {
            set_now.set(now_seconds());
        });
        // Kept by the current owner: when the page goes away, the interval is dropped
        // and the timer stops.
        StoredValue::new_local(interval);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (every_secs, set_now);
    now
}

/// The live due/overdue badge next to "My work" in the navigation. It is filled in the
/// browser only (an effect asks the server on mount and every 30 s), so the server-rendered
/// navigation and the hydrated one always have the same shape.
#[component]
pub fn TaskBadge() -> impl IntoView {
    let tick = ticking_clock(COUNT_REFRESH_SECS);
    let counts = RwSignal::new(None::<TaskCounts>);
    Effect::new(move |_| {
        tick.track();
        leptos::task::spawn_local(async move {
            if let Ok(c) = my_task_counts().await {
                counts.set(Some(c));
            }
        });
    });
    let i18n = use_i18n();
    move || {
        counts
            .get()
            .filter(|c| c.overdue + c.due_today > 0)
            .map(|c| {
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
    }
}

#[component]
pub fn MyWorkPage() -> impl IntoView {
    view! { <Protected><MyWorkView /></Protected> }
}

#[component]
fn MyWorkView() -> impl IntoView {
    let status = ServerAction::<SetTaskStatus>::new();
    let create = ServerAction::<CreateTask>::new();
    let work = Resource::new(
        move || (status.version().get(), create.version().get()),
        |_| load_my_work(),
    );
    let now = ticking_clock(CLOCK_TICK_SECS);
    let offset = user_offset_minutes();
    let create_result = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    view! {
        <section class="page">
            <div class="page-head"><h1>{t(Key::MyWork)}</h1></div>
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match work.await {
                        Ok(w) => {
                            let open = StoredValue::new(w.open);
                            let section = move |which: Urgency, title: Key, testid: &'static str| {
                                let tasks = move || {
                                    let n = now.get();
                                    open.get_value()
                                        .into_iter()
                                        .filter(|task| urgency(task.due_at, n, offset) == which)
                                        .collect::<Vec<_>>()
                                };
                                view! {
                                    <section class=format!("card task-group {testid}") data-testid=testid>
                                        <h2>{t(title)} " " <span class="count">{move || tasks().len()}</span></h2>
                                        {move || {
                                            let list = tasks();
                                            if list.is_empty() {
                                                view! { <p class="empty">{t(Key::NothingHere)}</p> }.into_any()
                                            } else {
                                                view! {
                                                    <ul class="task-list">
                                                        {list.into_iter().map(|task| view! { <TaskRow task=task status=status overdue=which == Urgency::Overdue /> }).collect_view()}
                                                    </ul>
                                                }.into_any()
                                            }
                                        }}
                                    </section>
                                }
                            };
                            view! {
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
                                                {w.recently_done.into_iter().map(|task| view! { <TaskRow task=task status=status overdue=false /> }).collect_view()}
                                            </ul>
                                        }.into_any()
                                    }}
                                </section>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Transition>
            <section class="card">
                <h2>{t(Key::NewTask)}</h2>
                <ActionForm action=create attr:class="stack compact" attr:data-testid="personal-task-form">
                    <label>{t(Key::TitleField)}<input name="input[title]" maxlength="200" required /></label>
                    {field_error(move || create_result.get(), "title")}
                    <label>{t(Key::DueAt)}<input type="datetime-local" name="input[due]" required value=local_datetime_value(now_seconds() + 86_400, offset) /></label>
                    {field_error(move || create_result.get(), "due")}
                    <button type="submit">{t(Key::AddTask)}</button>
                </ActionForm>
            </section>
        </section>
    }
}

/// One task with its customer, due time, source and the buttons to finish or reopen it.
#[component]
pub fn TaskRow(task: Task, status: ServerAction<SetTaskStatus>, overdue: bool) -> impl IntoView {
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

/// The open follow-ups of one customer, with the form for a new one.
#[component]
pub fn TasksCard(
    customer: CustomerId,
    tasks: Vec<Task>,
    create: ServerAction<CreateTask>,
    status: ServerAction<SetTaskStatus>,
    may_edit: bool,
    staff: Resource<Result<Vec<StaffMember>, AppError>>,
) -> impl IntoView {
    let offset = user_offset_minutes();
    let now = now_seconds();
    let result = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let default_due = StoredValue::new(local_datetime_value(now + 86_400, offset));
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
                            view! { <TaskRow task=task status=status overdue=overdue /> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <Show when=move || may_edit>
                <details>
                    <summary>{t(Key::NewTask)}</summary>
                    <ActionForm action=create node_ref=cleared_on_success(create) attr:class="stack compact">
                        <input type="hidden" name="input[customer]" value=customer.to_string() />
                        <label>{t(Key::TitleField)}<input name="input[title]" maxlength="200" required /></label>
                        {field_error(move || result.get(), "title")}
                        <label>{t(Key::DueAt)}<input type="datetime-local" name="input[due]" value=default_due.get_value() required /></label>
                        {field_error(move || result.get(), "due")}
                        <label>
                            {t(Key::Assignee)}
                            <select name="input[assignee]">
                                <option value="">{t(Key::Myself)}</option>
                                <Transition fallback=|| ()>
                                    {move || Suspend::new(async move {
                                        staff.await.unwrap_or_default().into_iter().map(|s| view! {
                                            <option value=s.id.to_string()>{s.name}</option>
                                        }).collect_view()
                                    })}
                                </Transition>
                            </select>
                        </label>
                        {field_error(move || result.get(), "assignee")}
                        <button type="submit">{t(Key::AddTask)}</button>
                    </ActionForm>
                </details>
            </Show>
        </section>
    }
}
