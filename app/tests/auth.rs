//! Sign-in, sessions and user administration, on both engines.

mod support;

use app::auth::service::{self, ABSOLUTE_TIMEOUT_SECS, IDLE_TIMEOUT_SECS};
use app::auth::Role;
use app::db::now;
use app::error::AppError;
use app::users::model::{NewUserInput, UserUpdateInput};
use app::users::service as users;
use support::on_both_engines;

const CLIENT: &str = "10.0.0.1";

fn admin_input(email: &str, password: &str) -> NewUserInput {
    NewUserInput {
        name: "Ada".into(),
        email: email.into(),
        password: password.into(),
        role: "admin".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn sign_in_checks_password_and_hides_which_part_was_wrong() {
    on_both_engines(|db| async move {
        users::create_first_admin(&db, admin_input("Ada@Example.com", "correct horse"))
            .await
            .unwrap();
        let ok = service::authenticate(&db, "ada@example.com", "correct horse", CLIENT)
            .await
            .unwrap();
        assert_eq!(ok.role, Role::Admin);
        assert_eq!(ok.email, "ada@example.com");
        let wrong = service::authenticate(&db, "ada@example.com", "wrong horse", CLIENT).await;
        let unknown =
            service::authenticate(&db, "nobody@example.com", "correct horse", CLIENT).await;
        assert_eq!(wrong.unwrap_err(), AppError::InvalidCredentials);
        assert_eq!(unknown.unwrap_err(), AppError::InvalidCredentials);
        // The one-time setup closes once a user exists.
        let again =
            users::create_first_admin(&db, admin_input("eve@example.com", "12345678")).await;
        assert_eq!(again.unwrap_err(), AppError::Forbidden);
    })
    .await;
}

#[tokio::test]
async fn setup_forms_sent_at_once_make_one_admin() {
    on_both_engines(|db| async move {
        let mut attempts = tokio::task::JoinSet::new();
        for i in 0..6 {
            let db = db.clone();
            let input = admin_input(&format!("admin{i}@example.com"), "correct horse");
            attempts.spawn(async move { users::create_first_admin(&db, input).await });
        }
        let mut made = 0;
        for a in attempts.join_all().await {
            match a {
                Ok(_) => made += 1,
                Err(e) => assert_eq!(e, AppError::Forbidden),
            }
        }
        assert_eq!(made, 1);
        assert_eq!(service::count_users(&db).await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn passwords_outside_8_to_256_characters_are_refused() {
    on_both_engines(|db| async move {
        let short = users::create_first_admin(&db, admin_input("a@example.com", "1234567")).await;
        assert!(matches!(short, Err(AppError::Validation(_))));
        let long =
            users::create_first_admin(&db, admin_input("a@example.com", &"x".repeat(257))).await;
        assert!(matches!(long, Err(AppError::Validation(_))));
        assert_eq!(
            service::count_users(&db).await.unwrap(),
            0,
            "nothing stored on bad input"
        );
        users::create_first_admin(&db, admin_input("a@example.com", &"x".repeat(128)))
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn sessions_expire_when_idle_or_old_and_end_on_logout() {
    on_both_engines(|db| async move {
        let admin = support::user(&db, "s@example.com", Role::Admin, None).await;
        let token = service::create_session(&db, admin.id).await.unwrap();
        let t = now();
        assert_eq!(
            service::session_user_at(&db, &token, t)
                .await
                .unwrap()
                .unwrap()
                .id,
            admin.id
        );
        assert!(service::session_user_at(&db, "forged", t)
            .await
            .unwrap()
            .is_none());

        // Idle too long: gone, and stays gone.
        assert!(
            service::session_user_at(&db, &token, t + IDLE_TIMEOUT_SECS + 5)
                .await
                .unwrap()
                .is_none()
        );
        assert!(service::session_user_at(&db, &token, t)
            .await
            .unwrap()
            .is_none());

        // Kept busy, a session still ends at the absolute limit.
        let token = service::create_session(&db, admin.id).await.unwrap();
        // Read the clock after creating: the session is no younger than `t`.
        let t = now();
        let mut at = t;
        while at < t + ABSOLUTE_TIMEOUT_SECS - IDLE_TIMEOUT_SECS {
            at += IDLE_TIMEOUT_SECS - 60;
            assert!(service::session_user_at(&db, &token, at)
                .await
                .unwrap()
                .is_some());
        }
        assert!(
            service::session_user_at(&db, &token, t + ABSOLUTE_TIMEOUT_SECS + 1)
                .await
                .unwrap()
                .is_none()
        );

        let token = service::create_session(&db, admin.id).await.unwrap();
        service::end_session(&db, &token).await.unwrap();
        assert!(service::session_user(&db, &token).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn deactivating_a_user_ends_all_their_sessions() {
    on_both_engines(|db| async move {
        let admin = support::user(&db, "root@example.com", Role::Admin, None).await;
        let t2 = support::user(&db, "t2@example.com", Role::Tier2Manager, None).await;
        let a = service::create_session(&db, t2.id).await.unwrap();
        let b = service::create_session(&db, t2.id).await.unwrap();
        let update = UserUpdateInput {
            name: "t2".into(),
            role: "tier2".into(),
            active: None,
            ..Default::default()
        };
        users::update_user(&db, &admin, t2.id, update.try_into().unwrap())
            .await
            .unwrap();
        assert!(service::session_user(&db, &a).await.unwrap().is_none());
        assert!(service::session_user(&db, &b).await.unwrap().is_none());
        let staff = users::list_staff(&db, &admin).await.unwrap();
        assert!(!staff.iter().find(|s| s.id == t2.id).unwrap().active);
    })
    .await;
}

#[tokio::test]
async fn only_admins_manage_users_and_every_change_is_audited() {
    on_both_engines(|db| async move {
        let admin = support::user(&db, "root@example.com", Role::Admin, None).await;
        let t1 = support::user(&db, "t1@example.com", Role::Tier1Manager, None).await;
        let input = NewUserInput {
            name: "New".into(),
            email: "new@example.com".into(),
            password: "long enough".into(),
            role: "tier2".into(),
            ..Default::default()
        };
        assert_eq!(
            users::create_user(&db, &t1, input.clone())
                .await
                .unwrap_err(),
            AppError::Forbidden
        );
        let id = users::create_user(&db, &admin, input.clone())
            .await
            .unwrap();
        // The same e-mail twice is a conflict on that field, not a crash.
        assert_eq!(
            users::create_user(&db, &admin, input).await.unwrap_err(),
            AppError::Conflict("email".into())
        );
        let team = users::create_team(&db, &admin, "East").await.unwrap();
        assert!(matches!(
            users::create_team(&db, &admin, "East").await,
            Err(AppError::Conflict(_))
        ));
        let update = UserUpdateInput {
            name: "New".into(),
            role: "tier1".into(),
            team_id: team.to_string(),
            active: Some("on".into()),
            ..Default::default()
        };
        users::update_user(&db, &admin, id, update.try_into().unwrap())
            .await
            .unwrap();
        users::reset_password(&db, &admin, id, "another secret")
            .await
            .unwrap();
        assert!(
            service::authenticate(&db, "new@example.com", "another secret", CLIENT)
                .await
                .is_ok()
        );
        assert!(
            service::authenticate(&db, "new@example.com", "long enough", CLIENT)
                .await
                .is_err()
        );

        let log = app::audit::service::list(&db, &admin, None, None)
            .await
            .unwrap();
        let fields: Vec<_> = log.entries.iter().filter_map(|e| e.field.clone()).collect();
        assert!(fields.contains(&"role".to_string()) && fields.contains(&"team_id".to_string()));
        assert!(log.entries.iter().any(|e| e.action == "reset_password"));
        assert_eq!(
            app::audit::service::list(&db, &t1, None, None)
                .await
                .unwrap_err(),
            AppError::Forbidden
        );
    })
    .await;
}

#[tokio::test]
async fn an_admin_cannot_lock_themselves_out() {
    on_both_engines(|db| async move {
        let admin = support::user(&db, "root@example.com", Role::Admin, None).await;
        let update = UserUpdateInput {
            name: "root".into(),
            role: "viewer".into(),
            active: Some("on".into()),
            ..Default::default()
        };
        assert!(matches!(
            users::update_user(&db, &admin, admin.id, update.try_into().unwrap()).await,
            Err(AppError::Validation(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn failures_are_throttled_per_account_and_client_and_counted_before_hashing() {
    on_both_engines(|db| async move {
        let email = "throttle@example.com";
        let id = users::create_first_admin(&db, admin_input(email, "correct horse"))
            .await
            .unwrap();
        let admin = app::auth::CurrentUser {
            id,
            email: email.into(),
            name: "Ada".into(),
            role: Role::Admin,
            team_id: None,
            language: Default::default(),
        };
        // 100 parallel wrong passwords from one client: at most 10 reach the hash.
        let mut guesses = tokio::task::JoinSet::new();
        for _ in 0..100 {
            let db = db.clone();
            guesses.spawn(async move { service::authenticate(&db, email, "wrong", CLIENT).await });
        }
        let results = guesses.join_all().await;
        let checked = results
            .iter()
            .filter(|r| **r == Err(AppError::InvalidCredentials))
            .count();
        let refused = results
            .iter()
            .filter(|r| **r == Err(AppError::RateLimited))
            .count();
        assert!(checked <= 10, "{checked} guesses were checked");
        assert_eq!(checked + refused, 100);
        // Parallel guesses may refuse one another; sequential ones fill the ten.
        for _ in checked..10 {
            assert_eq!(
                service::authenticate(&db, email, "wrong", CLIENT)
                    .await
                    .unwrap_err(),
                AppError::InvalidCredentials
            );
        }
        // Even the right password is refused for this client while throttled...
        assert_eq!(
            service::authenticate(&db, email, "correct horse", CLIENT)
                .await
                .unwrap_err(),
            AppError::RateLimited
        );
        // ...but another client is slowed, never locked out.
        assert!(
            service::authenticate(&db, email, "correct horse", "10.0.0.2")
                .await
                .is_ok()
        );
        // Failed and refused attempts are in the audit log, without the password.
        let log = app::audit::service::list(&db, &admin, None, None)
            .await
            .unwrap();
        assert!(log.entries.iter().any(|e| e.action == "signin_failed"));
        assert!(log.entries.iter().any(|e| e.action == "signin_refused"));
        assert!(log
            .entries
            .iter()
            .all(|e| !e.after.clone().unwrap_or_default().contains("wrong")));
        // An admin clears the counters: the first client may try again.
        users::reset_signin(&db, &admin, admin.id, users::SigninReset::ClearFailures)
            .await
            .unwrap();
        assert!(service::authenticate(&db, email, "correct horse", CLIENT)
            .await
            .is_ok());
    })
    .await;
}

#[tokio::test]
async fn one_client_is_refused_across_accounts_and_oversized_input_is_not_counted() {
    on_both_engines(|db| async move {
        for i in 0..service::MAX_FAILURES_PER_CLIENT {
            assert_eq!(
                service::authenticate(&db, &format!("u{i}@example.com"), "x", CLIENT)
                    .await
                    .unwrap_err(),
                AppError::InvalidCredentials
            );
        }
        assert_eq!(
            service::authenticate(&db, "another@example.com", "x", CLIENT)
                .await
                .unwrap_err(),
            AppError::RateLimited
        );
        // Too long to be an e-mail: refused at once, nothing recorded.
        let count = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM signin_attempts")
                .fetch_one(&db.pool)
                .await
                .unwrap()
        };
        let before = count().await;
        let long = format!("{}@example.com", "a".repeat(900_000));
        assert_eq!(
            service::authenticate(&db, &long, "x", "10.9.9.9")
                .await
                .unwrap_err(),
            AppError::InvalidCredentials
        );
        assert_eq!(before, count().await);
    })
    .await;
}

#[test]
fn an_account_is_slowed_more_with_each_failure_but_never_beyond_five_seconds() {
    assert_eq!(service::account_delay_ms(0), 0);
    assert_eq!(service::account_delay_ms(10), 0);
    assert_eq!(service::account_delay_ms(11), 250);
    assert_eq!(service::account_delay_ms(1_000), 5_000);
}
