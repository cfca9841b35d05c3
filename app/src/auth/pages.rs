use crate::auth::api::{get_current_user, Login, Logout, LogoutEverywhere};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::{t, Key};
use crate::ui::ErrorNotice;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// Sign-in state shared by every component.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
    pub logout: ServerAction<Logout>,
    pub logout_everywhere: ServerAction<LogoutEverywhere>,
}

/// Each page is rendered for one request, after any sign-in or sign-out: the user is read once.
pub fn provide_auth() {
    provide_context(Auth {
        user: Resource::new(|| (), |_| get_current_user()),
        logout: ServerAction::<Logout>::new(),
        logout_everywhere: ServerAction::<LogoutEverywhere>::new(),
    });
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Renders `children` for a signed-in user; sends everyone else to the sign-in page.
///
/// The page is built once, next to the sign-in check rather than inside it: a view built
/// inside a `Suspense` is rebuilt each time the boundary re-checks its children (on the
/// server too), and every rebuild would start the page's resources again. The page's own
/// server functions refuse a signed-out visitor, so nothing leaks while the check runs.
#[component]
pub fn Protected(children: Children) -> impl IntoView {
    let auth = use_auth();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match auth.user.await {
                    Ok(Some(_)) => ().into_any(),
                    Ok(None) | Err(AppError::Unauthorized) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
        {children()}
    }
}

/// The signed-in user, once known (`None` while loading or signed out).
pub fn signed_in_user() -> Signal<Option<CurrentUser>> {
    let auth = use_auth();
    Signal::derive(move || auth.user.get().and_then(|r| r.ok()).flatten())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let needs_setup = Resource::new(|| (), |_| crate::auth::api::needs_setup());
    // Created inside the route, where the router hands a refused sign-in (carried in the
    // address) to the action, which then shows it as the form's error.
    let login = ServerAction::<Login>::new();
    let error = move || login.value().get().and_then(|r| r.err());
    view! {
        <section class="page narrow card">
            <h1>{t(Key::SignInTitle)}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    matches!(needs_setup.await, Ok(true)).then(|| view! { <Redirect path="/setup" /> })
                })}
            </Suspense>
            {move || error().map(|e| view! { <ErrorNotice error=e /> })}
            <ActionForm action=login attr:class="stack" attr:data-testid="login-form">
                <label>
                    {t(Key::Email)}
                    <input type="email" name="email" autocomplete="username" required />
                </label>
                <label>
                    {t(Key::Password)}
                    <input type="password" name="password" autocomplete="current-password" required />
                </label>
                <button type="submit" class="primary">{t(Key::SignIn)}</button>
            </ActionForm>
        </section>
    }
}
