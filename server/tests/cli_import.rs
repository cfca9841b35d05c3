//! `rapport import` and `rapport export` as operators run them: exit statuses 0, 3 and 1,
//! the per-row report, and the export file. SQLite.

#[path = "../../app/tests/support/mod.rs"]
mod support;

use std::process::Command;

fn rapport(url: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("--database-url")
        .arg(url)
        .arg("--log-level")
        .arg("warn")
        .args(args)
        .output()
        .expect("run rapport");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn import_exit_statuses_and_export() {
    let (db, dir) = support::sqlite_db().await;
    support::user(&db, "t2@example.com", app::auth::Role::Tier2Manager, None).await;
    db.pool.close().await;
    let url = format!("sqlite://{}", dir.join("test.db").display());
    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        "Nr,Client,email\nc-1,Acme,a@example.com\nc-2,=Formula Co,f@example.com\n",
    )
    .unwrap();
    let mixed = dir.join("mixed.csv");
    std::fs::write(&mixed, "customer_external_id,date,amount\nc-1,2026-01-01,10\nc-1,2026-13-01,10\nc-404,2026-01-01,5\n").unwrap();
    let mapping = dir.join("mapping.txt");
    std::fs::write(&mapping, "Nr=external_id\nClient=name\n").unwrap();

    let (code, out, err) = rapport(
        &url,
        &[
            "import",
            "customers",
            good.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
            "--owner",
            "t2@example.com",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 of 2 rows stored"), "{out}");

    let (code, out, _) = rapport(&url, &["import", "orders", mixed.to_str().unwrap()]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("line 3: date: Not a date"), "{out}");
    assert!(
        out.contains("line 4: customer_external_id: No such customer."),
        "{out}"
    );

    // Without --owner, new customers have no owner: rejected rows, nothing else.
    let fresh = dir.join("fresh.csv");
    std::fs::write(&fresh, "name,email\nNew Co,new@example.com\n").unwrap();
    let (code, out, _) = rapport(&url, &["import", "customers", fresh.to_str().unwrap()]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("owner_email"), "{out}");

    let (code, _, err) = rapport(
        &url,
        &[
            "import",
            "customers",
            dir.join("missing.csv").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = rapport(
        &url,
        &[
            "import",
            "customers",
            good.to_str().unwrap(),
            "--mapping",
            "Client=salary",
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("bad mapping"), "{err}");

    let export = dir.join("customers.csv");
    let (code, _, err) = rapport(
        &url,
        &["export", "customers", "--output", export.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&export).unwrap();
    assert!(text.starts_with("\u{feff}external_id,name,"));
    assert!(text.contains("c-2,'=Formula Co,"));

    // RFM as of a date: c-1's one order of 10.00 on 2026-01-01; c-2 has none.
    let rfm = dir.join("rfm.csv");
    let (code, _, err) = rapport(
        &url,
        &[
            "export",
            "rfm",
            "--as-of",
            "2026-01-31",
            "--output",
            rfm.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&rfm).unwrap(),
        "\u{feff}customer_external_id,r,f,m,r_score,f_score,m_score,segment\r\nc-1,30,1,10.00,1,1,1,lost\r\n"
    );
    let (code, _, err) = rapport(&url, &["export", "rfm", "--as-of", "31/01/2026"]);
    assert_eq!(code, 1, "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
