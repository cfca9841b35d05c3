//! The notes card of the customer page.

use crate::customers::model::level_short_label;
use crate::error::AppError;
use crate::i18n::{t, Key};
use crate::ids::CustomerId;
use crate::notes::api::{customer_notes, AddCustomerNote};
use crate::notes::model::{NotesThread, BODY_MAX};
use crate::ui::{field_error, format_local_time, ErrorNotice};
use leptos::prelude::*;

/// The thread, made by the customer page outside its `Suspense` so it is fetched once
/// (see `auth::pages::Protected`).
#[derive(Clone, Copy)]
pub struct NotesData {
    thread: Resource<Result<NotesThread, AppError>>,
}

impl NotesData {
    pub fn new(customer: Memo<Option<CustomerId>>) -> Self {
        let thread = Resource::new(
            move || customer.get(),
            |id| async move {
                match id {
                    Some(id) => customer_notes(id).await,
                    None => Err(AppError::NotFound),
                }
            },
        );
        NotesData { thread }
    }
}

/// The internal notes thread on a customer: newest first, with a form for those who may
/// work on the customer. Notes written with a tier decision show that context.
#[component]
pub fn CustomerNotes(customer: CustomerId, data: NotesData) -> impl IntoView {
    let NotesData { thread } = data;
    let add = ServerAction::<AddCustomerNote>::new();
    let add_err = Signal::derive(move || add.value().get().and_then(|r| r.err()));
    view! {
        <section class="card notes" data-testid="customer-notes">
            <h2>{t(Key::NotesTitle)}</h2>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match thread.await {
                        Ok(th) => view! {
                            {th.may_write.then(|| view! {
                                <ActionForm action=add attr:class="note-form">
                                    <input type="hidden" name="customer" value=customer.to_string() />
                                    <label>
                                        {t(Key::NoteBody)}
                                        <textarea name="body" rows=2 required=true maxlength=BODY_MAX data-testid="note-body"></textarea>
                                        {field_error(move || add_err.get(), "body")}
                                    </label>
                                    <button type="submit" data-testid="note-add">{t(Key::NoteAdd)}</button>
                                </ActionForm>
                            })}
                            {if th.notes.is_empty() {
                                view! { <p class="empty">{t(Key::NoteEmpty)}</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="note-list">
                                        {th.notes.into_iter().map(|n| view! {
                                            <li class="note" data-testid="note">
                                                <div class="muted">
                                                    <time>{format_local_time(n.created_at)}</time> " · " {n.author}
                                                    {n.proposal.map(|c| view! {
                                                        " · " <span class="badge">{t(Key::NoteFromHandover)}
                                                        {c.promotion.map(|up| view! { " · " {t(if up { Key::TierPromotion } else { Key::TierDemotion })} })}
                                                        " · " {t(level_short_label(c.from_level))} " → " {t(level_short_label(c.to_level))}</span>
                                                    })}
                                                </div>
                                                <p class="note-body">{n.body}</p>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
