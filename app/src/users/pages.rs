use crate::auth::pages::Protected;
use crate::auth::Role;
use crate::error::AppError;
use crate::i18n::{t, Key, Lang};
use crate::ui::{field_error, ErrorNotice};
use crate::users::api::*;
use crate::users::model::{StaffMember, Team};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

#[component]
pub fn UsersPage() -> impl IntoView {
    view! { <Protected><UsersAdmin /></Protected> }
}

#[component]
fn UsersAdmin() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let end_sessions = ServerAction::<EndUserSessions>::new();
    let clear_failures = ServerAction::<ClearSigninFailures>::new();
    let create_team = ServerAction::<CreateTeam>::new();
    let rename_team = ServerAction::<RenameTeam>::new();
    let staff = Resource::new(|| (), |_| list_staff());
    let teams = Resource::new(|| (), |_| list_teams());
    let create_err = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let update_err = Signal::derive(move || update.value().get().and_then(|r| r.err()));
    let reset_err = Signal::derive(move || reset.value().get().and_then(|r| r.err()));
    let team_err = Signal::derive(move || {
        create_team
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| rename_team.value().get().and_then(|r| r.err()))
    });
    // Whose password was just changed.
    let reset_done = StoredValue::new(use_query_map().read_untracked().get("password_reset"));

    view! {
        <section class="page">
            <h1>{t(Key::NavUsers)}</h1>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    let teams = match teams.await {
                        Ok(t) => t,
                        Err(e) => return view! { <ErrorNotice error=e /> }.into_any(),
                    };
                    let staff = match staff.await {
                        Ok(s) => s,
                        Err(e) => return view! { <ErrorNotice error=e /> }.into_any(),
                    };
                    let teams_for_create = teams.clone();
                    let teams_for_rows = teams.clone();
                    view! {
                        {move || update_err.get().map(|e| view! { <ErrorNotice error=e /> })}
                        {move || reset_err.get().map(|e| view! { <ErrorNotice error=e /> })}
                        <div class="table-wrap" tabindex="0">
                            <table class="data" data-testid="users-table">
                                <thead>
                                    <tr>
                                        <th scope="col">{t(Key::Name)}</th>
                                        <th scope="col">{t(Key::Email)}</th>
                                        <th scope="col">{t(Key::Role)}</th>
                                        <th scope="col">{t(Key::Team)}</th>
                                        <th scope="col">{t(Key::Language)}</th>
                                        <th scope="col">{t(Key::Active)}</th>
                                        <th scope="col"></th>
                                        <th scope="col">{t(Key::ResetPassword)}</th>
                                        <th scope="col">{t(Key::SigninHeading)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {staff.into_iter().map(|s| {
                                        let password_reset = reset_done.with_value(|r| r.as_deref() == Some(s.id.to_string().as_str()));
                                        view! { <UserRow user=s teams=teams_for_rows.clone() update reset end_sessions clear_failures password_reset /> }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <div class="columns">
                            <div class="card">
                                <h2>{t(Key::NewUser)}</h2>
                                {move || create_err.get().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorNotice error=e /> })}
                                <ActionForm action=create attr:class="stack" attr:data-testid="new-user-form">
                                    <label>{t(Key::Name)}<input name="input[name]" required maxlength="120" /></label>
                                    {field_error(move || create_err.get(), "name")}
                                    <label>{t(Key::Email)}<input type="email" name="input[email]" required /></label>
                                    {field_error(move || create_err.get(), "email")}
                                    <label>{t(Key::Password)}<input type="password" name="input[password]" required minlength="8" autocomplete="new-password" /></label>
                                    {field_error(move || create_err.get(), "password")}
                                    <label>{t(Key::Role)}<RoleSelect name="input[role]" selected=Role::Tier2Manager /></label>
                                    <label>{t(Key::Team)}<TeamSelect name="input[team_id]" teams=teams_for_create.clone() selected=None /></label>
                                    {field_error(move || create_err.get(), "team_id")}
                                    <label>{t(Key::Language)}<LangSelect name="input[language]" selected=Lang::En /></label>
                                    <button type="submit" class="primary">{t(Key::CreateUser)}</button>
                                </ActionForm>
                            </div>
                            <div class="card">
                                <h2>{t(Key::Teams)}</h2>
                                {move || team_err.get().map(|e| view! { <ErrorNotice error=e /> })}
                                <ul class="plain">
                                    {teams.into_iter().map(|tm: Team| view! {
                                        <li>
                                            <ActionForm action=rename_team attr:class="inline">
                                                <input type="hidden" name="id" value=tm.id.to_string() />
                                                <input name="name" value=tm.name.clone() aria-label=t(Key::Name) maxlength="80" />
                                                <button type="submit">{t(Key::Rename)}</button>
                                            </ActionForm>
                                        </li>
                                    }).collect_view()}
                                </ul>
                                <ActionForm action=create_team attr:class="inline">
                                    <input name="name" required maxlength="80" aria-label=t(Key::NewTeam) placeholder=t(Key::NewTeam) />
                                    <button type="submit">{t(Key::CreateTeam)}</button>
                                </ActionForm>
                            </div>
                        </div>
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn UserRow(
    user: StaffMember,
    teams: Vec<Team>,
    update: ServerAction<UpdateUser>,
    reset: ServerAction<ResetPassword>,
    end_sessions: ServerAction<EndUserSessions>,
    clear_failures: ServerAction<ClearSigninFailures>,
    /// This user's password was just changed.
    password_reset: bool,
) -> impl IntoView {
    let form_id = format!("user-{}", user.id);
    view! {
        <tr data-testid=format!("user-row-{}", user.email)>
            <td><input form=form_id.clone() name="input[name]" value=user.name.clone() aria-label=t(Key::Name) maxlength="120" /></td>
            <td>{user.email.clone()}</td>
            <td><RoleSelect name="input[role]" selected=user.role form=form_id.clone() /></td>
            <td><TeamSelect name="input[team_id]" teams selected=user.team_id.map(|t| t.0) form=form_id.clone() /></td>
            <td><LangSelect name="input[language]" selected=user.language form=form_id.clone() /></td>
            <td><input type="checkbox" form=form_id.clone() name="input[active]" checked=user.active aria-label=t(Key::Active) /></td>
            <td>
                <ActionForm action=update attr:id=form_id.clone() attr:class="inline">
                    <input type="hidden" name="id" value=user.id.to_string() />
                    <button type="submit">{t(Key::Save)}</button>
                </ActionForm>
            </td>
            <td>
                <ActionForm action=reset attr:class="inline">
                    <input type="hidden" name="id" value=user.id.to_string() />
                    <input type="password" name="password" minlength="8" required autocomplete="new-password" aria-label=t(Key::NewPassword) />
                    <button type="submit">{t(Key::ResetPassword)}</button>
                </ActionForm>
                {field_error(move || reset.value().get().and_then(|r| r.err()), "password")}
                {password_reset.then(|| view! { <p class="notice ok" role="status">{t(Key::PasswordReset)}</p> })}
            </td>
            <td>
                <ActionForm action=end_sessions attr:class="inline">
                    <input type="hidden" name="id" value=user.id.to_string() />
                    <button type="submit" data-testid="end-sessions">{t(Key::EndSessions)}</button>
                </ActionForm>
                <ActionForm action=clear_failures attr:class="inline">
                    <input type="hidden" name="id" value=user.id.to_string() />
                    <button type="submit" data-testid="clear-signin-failures">{t(Key::ClearSigninFailures)}</button>
                </ActionForm>
            </td>
        </tr>
    }
}

#[component]
fn RoleSelect(
    name: &'static str,
    selected: Role,
    #[prop(optional, into)] form: Option<String>,
) -> impl IntoView {
    view! {
        <select name=name form=form aria-label=t(Key::Role) data-testid="role-select">
            {Role::ALL.into_iter().map(|r| view! {
                <option value=r.as_str() selected=r == selected>{t(r.label())}</option>
            }).collect_view()}
        </select>
    }
}

#[component]
fn TeamSelect(
    name: &'static str,
    teams: Vec<Team>,
    selected: Option<i64>,
    #[prop(optional, into)] form: Option<String>,
) -> impl IntoView {
    view! {
        <select name=name form=form aria-label=t(Key::Team)>
            <option value="">{t(Key::NoneChoice)}</option>
            {teams.into_iter().map(|tm| view! {
                <option value=tm.id.to_string() selected=Some(tm.id.0) == selected>{tm.name}</option>
            }).collect_view()}
        </select>
    }
}

#[component]
fn LangSelect(
    name: &'static str,
    selected: Lang,
    #[prop(optional, into)] form: Option<String>,
) -> impl IntoView {
    view! {
        <select name=name form=form aria-label=t(Key::Language)>
            {Lang::ALL.into_iter().map(|l| view! {
                <option value=l.code() selected=l == selected>{l.native_name()}</option>
            }).collect_view()}
        </select>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let action = ServerAction::<SetupFirstAdmin>::new();
    let needs_setup = Resource::new(|| (), |_| crate::auth::api::needs_setup());
    let result = move || action.value().get().and_then(|r| r.err());
    view! {
        <section class="page narrow card">
            <h1>{t(Key::SetupTitle)}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match needs_setup.await {
                        Ok(true) => view! {
                            <p>{t(Key::SetupIntro)}</p>
                            {move || result().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorNotice error=e /> })}
                            <ActionForm action=action attr:class="stack">
                                <label>{t(Key::Name)}<input name="name" required maxlength="120" /></label>
                                {field_error(result, "name")}
                                <label>{t(Key::Email)}<input type="email" name="email" required /></label>
                                {field_error(result, "email")}
                                <label>{t(Key::Password)}<input type="password" name="password" required minlength="8" autocomplete="new-password" /></label>
                                {field_error(result, "password")}
                                <button type="submit" class="primary">{t(Key::CreateAdmin)}</button>
                            </ActionForm>
                        }.into_any(),
                        _ => view! { <Redirect path="/login" /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
