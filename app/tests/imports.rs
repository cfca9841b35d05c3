//! CSV import and export on both engines: good, bad and mixed files, re-import, a crash
//! in the middle, permissions, and export escaping.

mod support;

use app::auth::{CurrentUser, Role};
use app::customers::filter::ParsedFilter;
use app::customers::model::CustomerInput;
use app::db::{Db, Row};
use app::error::AppError;
use app::exports::service::{export_customers, Selection};
use app::i18n::Key;
use app::imports::csv::read_csv;
use app::imports::model::ImportOptions;
use app::imports::model::{suggest_mapping, ImportKind, ImportReport, JobPhase};
use app::imports::service::run_import;
use support::{count, on_both_engines, team, user};

struct World {
    admin: CurrentUser,
    t1: CurrentUser,
    t2: CurrentUser,
    t2_other: CurrentUser,
}

async fn world(db: &Db) -> World {
    let east = team(db, "East").await;
    World {
        admin: user(db, "admin@example.com", Role::Admin, None).await,
        t1: user(db, "t1@example.com", Role::Tier1Manager, Some(east)).await,
        t2: user(db, "t2@example.com", Role::Tier2Manager, Some(east)).await,
        t2_other: user(db, "t2b@example.com", Role::Tier2Manager, Some(east)).await,
    }
}

async fn import_as(
    db: &Db,
    actor: &CurrentUser,
    kind: ImportKind,
    csv: &[u8],
    fail_after_rows: Option<u64>,
) -> Result<ImportReport, app::error::AppError> {
    let headers = read_csv(csv).map(|f| f.headers).unwrap_or_default();
    let mapping = suggest_mapping(kind, &headers);
    let options = ImportOptions {
        default_owner: Some(actor.id),
        audit_actor: Some(actor.id),
        fail_after_rows,
    };
    run_import(db, actor, kind, csv, &mapping, &options, &|_, _, _| {}).await
}

async fn text(db: &Db, sql: &str) -> String {
    support::scalar(db, sql).await
}

const GOOD: &str = "external_id,name,email,phone,city,tags\n\
    c-1,Acme Ltd,sales@acme.example,+86 21 5555 0101,Shanghai,wholesale\n\
    c-2,北京贸易公司,bj@trade.example,+86 10 5555 0102,北京,\n\
    c-3,Carol Chen,carol@example.com,,Hangzhou,\n";

#[tokio::test]
async fn good_customers_file_is_stored_with_audit_rows() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let r = import_as(&db, &w.t2, ImportKind::Customers, GOOD.as_bytes(), None)
            .await
            .unwrap();
        assert_eq!((r.total_rows, r.created, r.updated), (3, 3, 0));
        assert!(r.rejected.is_empty());
        assert_eq!(count(&db, "SELECT COUNT(*) FROM customers").await, 3);
        assert_eq!(
            count(
                &db,
                &format!(
                    "SELECT COUNT(*) FROM customers WHERE owner_id = {}",
                    w.t2.id
                )
            )
            .await,
            3
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM audit_log WHERE entity = 'customer' AND action = 'import'"
            )
            .await,
            3
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM customer_tags").await, 1);
        assert_eq!(
            text(&db, "SELECT city FROM customers WHERE external_id = 'c-2'").await,
            "北京"
        );
    })
    .await;
}

#[tokio::test]
async fn mixed_file_keeps_good_rows_and_reports_each_bad_one() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let long = "x".repeat(500);
        let mut csv = Vec::new();
        csv.extend_from_slice(b"\xEF\xBB\xBFexternal_id,name,email,birth_year\n"); // line 1
        csv.extend_from_slice(b"m-1,Good One,one@example.com,1980\n"); // 2
        csv.extend_from_slice(b"m-2,Too,many,columns,here\n"); // 3
        csv.extend_from_slice(format!("m-3,{long},long@example.com,\n").as_bytes()); // 4
        csv.extend_from_slice("m-4,Emoji 🦀 and bidi \u{202e}txt,bytes@example.com,\n".as_bytes()); // 5
        csv.extend_from_slice(b"m-5,<script>alert(1)</script>,script@example.com,\n"); // 6
        csv.extend_from_slice(b"m-6,Bad Mail,not-an-email,\n"); // 7
        csv.extend_from_slice(b"m-7,Old,old@example.com,1850\n"); // 8
        csv.extend_from_slice(b"m-8,\"Quoted, with comma\",q@example.com,\n"); // 9
        let r = import_as(&db, &w.t2, ImportKind::Customers, &csv, None)
            .await
            .unwrap();
        assert_eq!(r.total_rows, 8);
        assert_eq!(r.created, 4);
        assert!(!r.read_as_gb18030);
        let lines: Vec<(u64, &str, Key)> = r
            .rejected
            .iter()
            .map(|x| (x.line, x.column.as_str(), x.reason))
            .collect();
        assert_eq!(
            lines,
            vec![
                (3, "", Key::ErrImportColumnCount),
                (4, "name", Key::ErrTooLong),
                (7, "email", Key::ErrInvalidEmail),
                (8, "birth_year", Key::ErrInvalidYear),
            ]
        );
        // Text is stored as given; escaping is the renderer's job.
        assert_eq!(
            text(&db, "SELECT name FROM customers WHERE external_id = 'm-5'").await,
            "<script>alert(1)</script>"
        );
        assert_eq!(
            text(&db, "SELECT name FROM customers WHERE external_id = 'm-4'").await,
            "Emoji 🦀 and bidi \u{202e}txt"
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM customers").await, 4);
    })
    .await;
}

/// What Excel on Chinese Windows saves: GB18030, read as such and said so; bytes that are
/// neither UTF-8 nor GB18030 refuse the file, storing nothing.
#[tokio::test]
async fn gb18030_files_are_decoded_and_other_encodings_refused() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let file = "external_id,name,city\r\ng-1,王伟,北京\r\ng-2,李娜,上海\r\ng-3,张伟,not-an-email-free\r\n";
        let (bytes, _, unmappable) = encoding_rs::GB18030.encode(file);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
        let r = import_as(&db, &w.t2, ImportKind::Customers, &bytes, None).await.unwrap();
        assert!(r.read_as_gb18030);
        assert_eq!(r.created, 3);
        assert_eq!(
            text(&db, "SELECT name FROM customers WHERE external_id = 'g-1'").await,
            "王伟"
        );
        let preview = app::imports::csv::preview(ImportKind::Customers, &bytes).unwrap();
        assert!(preview.read_as_gb18030);
        assert_eq!(preview.rows[1], vec!["g-2", "李娜", "上海"]);
        // 0xFF is no lead byte in UTF-8 nor in GB18030.
        let broken = b"external_id,name\ng-9,Bad \xFF\xFE bytes\n";
        let err = import_as(&db, &w.t2, ImportKind::Customers, broken, None).await.unwrap_err();
        assert_eq!(err.field_error("file"), Some(Key::ErrImportUnknownEncoding));
        assert_eq!(count(&db, "SELECT COUNT(*) FROM customers").await, 3);
    })
    .await;
}

#[tokio::test]
async fn orders_bad_dates_amounts_and_unknown_customers() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        import_as(&db, &w.t2, ImportKind::Customers, GOOD.as_bytes(), None).await.unwrap();
        let csv = "customer_external_id,external_id,date,amount,currency,product\n\
            c-1,o-1,2026-03-01,120.50,cny,Tea\n\
            c-1,o-2,2026/03/02,99,,Cups\n\
            nobody,o-3,2026-03-03,10,,\n\
            c-2,o-4,2026-02-30,10,,\n\
            c-2,o-5,2026-03-04,12.345,,\n\
            c-2,o-6,2026-03-05,1,EURO,\n";
        let r = import_as(&db, &w.t2, ImportKind::Orders, csv.as_bytes(), None).await.unwrap();
        assert_eq!((r.created, r.updated), (2, 0));
        let reasons: Vec<(u64, Key)> = r.rejected.iter().map(|x| (x.line, x.reason)).collect();
        assert_eq!(
            reasons,
            vec![
                (4, Key::ErrImportUnknownCustomer),
                (5, Key::ErrImportBadDate),
                (6, Key::ErrImportBadAmount),
                (7, Key::ErrImportBadCurrency),
            ]
        );
        assert_eq!(
            count(&db, "SELECT CAST(SUM(amount_cents) AS BIGINT) FROM orders").await,
            21_950
        );
        assert_eq!(
            count(&db, "SELECT ordered_at FROM orders WHERE external_id = 'o-2'").await,
            app::dates::days_from_civil(2026, 3, 2) * 86_400
        );
        // Re-import: same external ids update, nothing duplicated.
        let again = "customer_external_id,external_id,date,amount\nc-1,o-1,2026-03-01,200\nc-1,o-2,2026-03-02,99\n";
        let r = import_as(&db, &w.t2, ImportKind::Orders, again.as_bytes(), None).await.unwrap();
        assert_eq!((r.created, r.updated), (0, 2));
        assert_eq!(count(&db, "SELECT COUNT(*) FROM orders").await, 2);
        assert_eq!(count(&db, "SELECT amount_cents FROM orders WHERE external_id = 'o-1'").await, 20_000);
        // A customer the importer cannot see is reported like a missing one.
        let r = import_as(&db, &w.t2_other, ImportKind::Orders, again.as_bytes(), None).await.unwrap();
        assert_eq!(r.stored(), 0);
        assert!(r.rejected.iter().all(|x| x.reason == Key::ErrImportUnknownCustomer));
        // Their own customer with the external id of someone else's order: the order is
        // neither moved nor changed, and the row says the id is taken.
        let own = "external_id,name\nmine-9,Mine\n";
        import_as(&db, &w.t2_other, ImportKind::Customers, own.as_bytes(), None).await.unwrap();
        let steal = "customer_external_id,external_id,date,amount\nmine-9,o-1,2026-03-09,0.01\n";
        let r = import_as(&db, &w.t2_other, ImportKind::Orders, steal.as_bytes(), None).await.unwrap();
        assert_eq!(r.stored(), 0);
        assert_eq!(
            r.rejected.iter().map(|x| (x.line, x.reason)).collect::<Vec<_>>(),
            vec![(2, Key::ErrImportOrderIdTaken)]
        );
        assert_eq!(count(&db, "SELECT amount_cents FROM orders WHERE external_id = 'o-1'").await, 20_000);
        assert_eq!(
            text(&db, "SELECT c.external_id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.external_id = 'o-1'").await,
            "c-1"
        );
    })
    .await;
}

#[tokio::test]
async fn reimport_updates_by_external_id_email_and_phone() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        import_as(&db, &w.t2, ImportKind::Customers, GOOD.as_bytes(), None)
            .await
            .unwrap();
        let csv = "external_id,name,email,phone,city\n\
            c-1,Acme Holdings,,,\n\
            ,,BJ@TRADE.example,,Beijing\n\
            ,Carol C.,,,\n\
            ,New Person,new@example.com,+86 21 5555 0199,\n\
            ,,new@example.com,,Suzhou\n";
        // Row 4 has no key at all: a new customer named "Carol C.".
        let r = import_as(&db, &w.t2, ImportKind::Customers, csv.as_bytes(), None)
            .await
            .unwrap();
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
        assert_eq!((r.created, r.updated), (2, 3));
        assert_eq!(count(&db, "SELECT COUNT(*) FROM customers").await, 5);
        assert_eq!(
            text(&db, "SELECT name FROM customers WHERE external_id = 'c-1'").await,
            "Acme Holdings"
        );
        // Only mapped, non-empty cells change: the e-mail of c-1 is kept.
        assert_eq!(
            text(&db, "SELECT email FROM customers WHERE external_id = 'c-1'").await,
            "sales@acme.example"
        );
        assert_eq!(
            text(&db, "SELECT city FROM customers WHERE external_id = 'c-2'").await,
            "Beijing"
        );
        // Two rows for the same new customer in one file make one customer.
        assert_eq!(
            text(
                &db,
                "SELECT city FROM customers WHERE email = 'new@example.com'"
            )
            .await,
            "Suzhou"
        );
        // Field-level audit rows for the changes.
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'update' AND field = 'name'"
            )
            .await,
            1
        );
        // Match by phone.
        let by_phone = "name,phone\nAcme By Phone,+86 21 5555 0101\n";
        let r = import_as(&db, &w.t2, ImportKind::Customers, by_phone.as_bytes(), None)
            .await
            .unwrap();
        assert_eq!((r.created, r.updated), (0, 1));
        assert_eq!(
            text(&db, "SELECT name FROM customers WHERE external_id = 'c-1'").await,
            "Acme By Phone"
        );
    })
    .await;
}

#[tokio::test]
async fn a_crash_while_writing_leaves_nothing_applied() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        import_as(&db, &w.t2, ImportKind::Customers, GOOD.as_bytes(), None)
            .await
            .unwrap();
        let mut csv = String::from("customer_external_id,date,amount\n");
        for i in 0..5_000 {
            csv.push_str(&format!("c-{},2026-01-01,{}\n", 1 + i % 3, i));
        }
        let audit_before = count(&db, "SELECT COUNT(*) FROM audit_log").await;
        let result = import_as(&db, &w.t2, ImportKind::Orders, csv.as_bytes(), Some(2_500)).await;
        assert!(result.is_err());
        assert_eq!(count(&db, "SELECT COUNT(*) FROM orders").await, 0);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM audit_log").await,
            audit_before
        );
        // Customers too: a failed customer import creates and changes nothing.
        let more = "external_id,name\nc-1,Renamed\nn-1,Brand New\n";
        assert!(
            import_as(&db, &w.t2, ImportKind::Customers, more.as_bytes(), Some(1))
                .await
                .is_err()
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM customers").await, 3);
        assert_eq!(
            text(&db, "SELECT name FROM customers WHERE external_id = 'c-1'").await,
            "Acme Ltd"
        );
        // The same file without the failure goes through completely.
        let r = import_as(&db, &w.t2, ImportKind::Orders, csv.as_bytes(), None)
            .await
            .unwrap();
        assert_eq!(r.created, 5_000);
    })
    .await;
}

#[tokio::test]
async fn tier2_cannot_update_a_customer_they_do_not_own() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        import_as(&db, &w.t2, ImportKind::Customers, GOOD.as_bytes(), None)
            .await
            .unwrap();
        let csv = "external_id,name\nc-1,Hijacked\nmine-1,My Own\n";
        let r = import_as(
            &db,
            &w.t2_other,
            ImportKind::Customers,
            csv.as_bytes(),
            None,
        )
        .await
        .unwrap();
        assert_eq!(r.created, 1);
        assert_eq!(r.rejected.len(), 1);
        // Invisible to them: answered as a taken id, not "may not change", which would
        // confirm whose it is.
        assert_eq!(
            (r.rejected[0].line, r.rejected[0].reason),
            (2, Key::ErrImportDuplicate)
        );
        assert_eq!(
            text(&db, "SELECT name FROM customers WHERE external_id = 'c-1'").await,
            "Acme Ltd"
        );
        // Tier-2 managers cannot set a tier on new customers either.
        let tiered = "name,level\nKey Account,1\n";
        let r = import_as(&db, &w.t2, ImportKind::Customers, tiered.as_bytes(), None)
            .await
            .unwrap();
        assert_eq!(r.rejected[0].reason, Key::ErrImportMayNotChange);
        // An owner outside a tier-1 manager's reach is refused; inside the team it works.
        let owned = "name,owner_email\nFor T2,t2b@example.com\n";
        let r = import_as(&db, &w.t1, ImportKind::Customers, owned.as_bytes(), None)
            .await
            .unwrap();
        assert_eq!(r.created, 1, "{:?}", r.rejected);
        // Viewers and support agents may not import at all.
        let viewer = user(&db, "v@example.com", Role::Viewer, None).await;
        assert_eq!(
            import_as(&db, &viewer, ImportKind::Customers, GOOD.as_bytes(), None).await,
            Err(app::error::AppError::Forbidden)
        );
    })
    .await;
}

#[tokio::test]
async fn contacts_and_activities() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        import_as(&db, &w.t2, ImportKind::Customers, GOOD.as_bytes(), None).await.unwrap();
        let contacts = "customer_external_id,name,email,primary\nc-1,Ann,ann@acme.example,\nc-1,Bob,bob@acme.example,yes\nc-9,Nobody,,\n";
        let r = import_as(&db, &w.t2, ImportKind::Contacts, contacts.as_bytes(), None).await.unwrap();
        assert_eq!((r.created, r.rejected.len()), (2, 1));
        assert_eq!(text(&db, "SELECT name FROM contacts WHERE is_primary = 1").await, "Bob");
        let r = import_as(&db, &w.t2, ImportKind::Contacts, contacts.as_bytes(), None).await.unwrap();
        assert_eq!(r.updated, 2);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM contacts").await, 2);
        let activities = "customer_external_id,kind,date,summary\nc-1,call,2026-03-01 10:30,Called\nc-1,dance,2026-03-01,No\nc-2,visit,2026-03-02,\n";
        let r = import_as(&db, &w.t2, ImportKind::Activities, activities.as_bytes(), None).await.unwrap();
        assert_eq!(r.created, 1);
        let reasons: Vec<Key> = r.rejected.iter().map(|x| x.reason).collect();
        assert_eq!(reasons, vec![Key::ErrInvalidChoice, Key::ErrRequired]);
    })
    .await;
}

#[tokio::test]
async fn files_over_20_mb_are_refused_whole() {
    let big = vec![b'a'; 50 * 1024 * 1024];
    assert!(read_csv(&big).is_err());
}

#[tokio::test]
async fn export_escapes_and_shows_only_visible_customers() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let csv = "external_id,name,city,address\n\
            e-1,=cmd|' /C calc'!A0,+1 city,-2 road\n\
            e-2,@SUM(A1),\"tab\there\",\"line\nbreak\"\n\
            e-3,\"Quote \"\"me\"\", please\",上海,<script>alert(1)</script>\n";
        let r = import_as(&db, &w.t2, ImportKind::Customers, csv.as_bytes(), None)
            .await
            .unwrap();
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
        // A customer of someone else, invisible to t2.
        let other = CustomerInput {
            name: "Hidden Co".into(),
            ..Default::default()
        };
        let draft = app::customers::service::parse_draft(&other).unwrap();
        app::customers::service::create(&db, &w.t2_other, draft)
            .await
            .unwrap();
        let out = export_customers(&db, &w.t2, Selection::Filter(&ParsedFilter::default()))
            .await
            .unwrap();
        assert!(out.starts_with('\u{feff}'));
        assert!(out.contains("'=cmd|' /C calc'!A0"));
        assert!(out.contains(",'+1 city,'-2 road,"));
        assert!(out.contains("'@SUM(A1)"));
        assert!(out.contains("\"line\nbreak\""));
        assert!(out.contains("\"Quote \"\"me\"\", please\",person,"));
        assert!(out.contains("上海"));
        assert!(out.contains("<script>alert(1)</script>"));
        assert!(!out.contains("Hidden Co"));
        assert_eq!(out.matches("\r\n").count(), 4, "header and three rows");
        // A selection: only the visible ids are written.
        let ids: Vec<i64> = sqlx::query("SELECT id FROM customers ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get(0).unwrap())
            .collect();
        let out = export_customers(&db, &w.t2, Selection::Ids(&ids))
            .await
            .unwrap();
        assert!(!out.contains("Hidden Co"));
        let out = export_customers(&db, &w.admin, Selection::Ids(&ids[3..]))
            .await
            .unwrap();
        assert!(out.contains("Hidden Co") && !out.contains("SUM"));
    })
    .await;
}

#[test]
fn rejected_rows_name_the_physical_line_whatever_the_line_ends() {
    use app::imports::csv::read_csv;
    for end in ["\n", "\r\n", "\r"] {
        let csv = ["name,amount", "ok,1", "short", "\"two", "lines\",2", "bad"].join(end);
        let file = read_csv(csv.as_bytes()).unwrap();
        let lines: Vec<u64> = file.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 6], "line end {end:?}");
        let kept: Vec<u64> = file.rows.iter().map(|r| r.line).collect();
        assert_eq!(kept, vec![2, 4], "line end {end:?}");
    }
    let wide = (0..201)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(read_csv(wide.as_bytes()).is_err());
}

/// Staged files and jobs live in the database: what one server staged another starts, and
/// the bounds hold for the user and for the whole installation.
#[tokio::test]
async fn staged_uploads_and_jobs_are_shared_and_bounded() {
    use app::imports::jobs::{self, StagingLimits};
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let limits = StagingLimits { per_user: 3, total_bytes: 1_000 };
        let file = b"external_id,name\ns-1,One\n".to_vec();
        let mut mine = Vec::new();
        for _ in 0..3 {
            mine.push(jobs::stage_within(&db, w.t2.id, &file, limits).await.unwrap());
        }
        let fourth = jobs::stage_within(&db, w.t2.id, &file, limits).await.unwrap_err();
        assert_eq!(fourth.field_error("file"), Some(Key::ErrImportTooManyStaged));
        // Another user still may, up to the total.
        let big = vec![b'x'; 950];
        let full = jobs::stage_within(&db, w.t1.id, &big, limits).await.unwrap_err();
        assert_eq!(full.field_error("file"), Some(Key::ErrImportStagingFull));
        let theirs = jobs::stage_within(&db, w.t1.id, &file, limits).await.unwrap();
        // A staged file is its owner's, once; a refusal opens no job.
        assert_eq!(jobs::start_job(&db, w.t1.id, &mine[0]).await, Err(AppError::NotFound));
        let (a, content) = jobs::start_job(&db, w.t2.id, &mine[0]).await.unwrap();
        assert_eq!(content, file);
        assert_eq!(jobs::start_job(&db, w.t2.id, &mine[0]).await, Err(AppError::NotFound));
        let (t1_job, _) = jobs::start_job(&db, w.t1.id, &theirs).await.unwrap();
        jobs::finish(&db, &t1_job, Ok(ImportReport::default())).await;
        assert_eq!(count(&db, "SELECT COUNT(*) FROM import_jobs").await, 2);
        // Starting frees a staging place.
        mine.push(jobs::stage_within(&db, w.t2.id, &file, limits).await.unwrap());

        // Two running imports per user; the third leaves its file staged.
        let (b, _) = jobs::start_job(&db, w.t2.id, &mine[1]).await.unwrap();
        let third = jobs::start_job(&db, w.t2.id, &mine[2]).await.unwrap_err();
        assert_eq!(third.field_error("file"), Some(Key::ErrImportTooManyRunning));
        jobs::progress(&a, JobPhase::Writing, 5, 10);
        let seen = jobs::status(&db, w.t2.id, &a).await.unwrap();
        assert_eq!((seen.phase, seen.percent()), (JobPhase::Writing, 50));
        assert_eq!(jobs::status(&db, w.t1.id, &a).await, Err(AppError::NotFound));
        let report = ImportReport { total_rows: 10, created: 9, read_as_gb18030: true, ..Default::default() };
        jobs::finish(&db, &a, Ok(report.clone())).await;
        let done = jobs::status(&db, w.t2.id, &a).await.unwrap();
        assert_eq!((done.phase, done.report), (JobPhase::Done, Some(report)));
        let (c, _) = jobs::start_job(&db, w.t2.id, &mine[2]).await.unwrap();
        jobs::finish(&db, &b, Err(AppError::field("mapping", Key::ErrImportMissingColumns))).await;
        let failed = jobs::status(&db, w.t2.id, &b).await.unwrap();
        assert_eq!((failed.phase, failed.error), (JobPhase::Failed, Some(Key::ErrImportMissingColumns)));
        jobs::finish(&db, &c, Ok(ImportReport::default())).await;

        // A job no server runs any more (its server died): reported as interrupted, and
        // not counted against the user's running imports.
        sqlx::query(
            "INSERT INTO import_jobs (id, owner_id, phase, processed, total, created_at, heartbeat_at) \
             VALUES ('dead', $1, 'writing', 3, 10, $2, $2)",
        )
        .bind(w.t2.id.0)
        .bind(app::db::now() - 120)
        .execute(&db.pool)
        .await
        .unwrap();
        let dead = jobs::status(&db, w.t2.id, "dead").await.unwrap();
        assert_eq!((dead.phase, dead.error), (JobPhase::Failed, Some(Key::ErrImportInterrupted)));
        for _ in 0..2 {
            let up = jobs::stage_within(&db, w.t2.id, &file, limits).await.unwrap();
            jobs::start_job(&db, w.t2.id, &up).await.unwrap();
        }
    })
    .await;
}
