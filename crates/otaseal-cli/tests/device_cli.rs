//! Device-exact commands (`spec/v2.md` 12): the signed-checksum form chosen by
//! `--plugin-version`, `--checksum-format` or the project's `@capgo/capacitor-updater` (found as
//! `@capgo/cli` 8.68.1 finds it), and `--plugin-version` verdicts of `bundle decrypt`,
//! `bundle inspect` and `manifest apply`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

use std::fs;
use std::path::{Path, PathBuf};

use otaseal_testkit::capgo;
use otaseal_testkit::cli::{Cli, Run};
use test_case::test_case;

fn cli(dir: &Path) -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_otaseal")).in_dir(dir)
}

fn key(name: &str) -> String {
    capgo::key_file(name).display().to_string()
}

fn vector_file(id: &str) -> String {
    otaseal_testkit::vectors("capgo-cli")
        .join(format!("v2/{id}.enc"))
        .display()
        .to_string()
}

/// Writes `rel` (a path under `root`) with `content`, creating folders.
fn put(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, content).unwrap();
}

fn installed(root: &Path, rel_dir: &str, version: &str) {
    put(
        root,
        &format!("{rel_dir}node_modules/@capgo/capacitor-updater/package.json"),
        &format!(r#"{{"name":"@capgo/capacitor-updater","version":"{version}"}}"#),
    );
}

fn package_json(root: &Path, deps: &str, dev: &str) {
    put(
        root,
        "app/package.json",
        &format!(r#"{{"name":"app","dependencies":{{{deps}}},"devDependencies":{{{dev}}}}}"#),
    );
}

/// `bundle encrypt` of a small zip in `project` with `extra` arguments.
fn encrypt_in(project: &Path, extra: &[&str]) -> Run {
    let zip = project.join("bundle.zip");
    fs::write(&zip, b"PK\x03\x04 a bundle").unwrap();
    let zip = zip.display().to_string();
    let out = project.join("out.enc").display().to_string();
    // --force: each call replaces the last one's output.
    let mut args = vec![
        "bundle", "encrypt", &zip, "--key", "", "-o", &out, "--json", "--force",
    ];
    let k = key("k1.key");
    args[4] = &k;
    args.extend_from_slice(extra);
    cli(project).run(&args)
}

#[derive(Clone, Copy)]
enum Layout {
    Installed8,
    Installed7,
    InstalledInParent,
    DependencyCaret7,
    DevDependencyTilde8,
    DevOverridesDependency,
    InstalledBeatsDependency,
    Nothing,
}

/// Each layout and the form @capgo/cli 8.68.1 picks for it (`getInstalledVersion`: the
/// node_modules walk first; `getAllPackagesDependencies`: the package.json entry, `^`/`~`
/// removed, devDependencies set after dependencies), except `Nothing`, where @capgo/cli signs
/// base64 and otaseal hex with a note (the issue's rule).
#[test_case(Layout::Installed8, "hex", Some("8.51.23"))]
#[test_case(Layout::Installed7, "base64", Some("7.25.0"))]
#[test_case(Layout::InstalledInParent, "hex", Some("8.40.7"))]
#[test_case(Layout::DependencyCaret7, "base64", Some("7.25.0"))]
#[test_case(Layout::DevDependencyTilde8, "hex", Some("8.0.0"))]
#[test_case(Layout::DevOverridesDependency, "hex", Some("8.51.23"))]
#[test_case(Layout::InstalledBeatsDependency, "base64", Some("7.27.8"))]
#[test_case(Layout::Nothing, "hex", None)]
fn the_project_plugin_chooses_the_form(layout: Layout, form: &str, version: Option<&str>) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let app = root.join("app");
    fs::create_dir_all(&app).unwrap();
    match layout {
        Layout::Installed8 => installed(root, "app/", "8.51.23"),
        Layout::Installed7 => installed(root, "app/", "7.25.0"),
        Layout::InstalledInParent => {
            installed(root, "", "8.40.7");
            package_json(root, "", "");
        }
        Layout::DependencyCaret7 => {
            package_json(root, r#""@capgo/capacitor-updater":"^7.25.0""#, "");
        }
        Layout::DevDependencyTilde8 => {
            package_json(root, "", r#""@capgo/capacitor-updater":"~8.0.0""#);
        }
        Layout::DevOverridesDependency => package_json(
            root,
            r#""@capgo/capacitor-updater":"7.25.0""#,
            r#""@capgo/capacitor-updater":"8.51.23""#,
        ),
        Layout::InstalledBeatsDependency => {
            installed(root, "app/", "7.27.8");
            package_json(root, r#""@capgo/capacitor-updater":"^8.0.0""#, "");
        }
        Layout::Nothing => {}
    }
    let run = encrypt_in(&app, &[]);
    let out = run.success().json();
    assert_eq!(out["checksum_format"], form);
    assert_eq!(out["plugin_version"].as_str(), version);
    let signed = out["checksum"].as_str().unwrap();
    assert_eq!(signed.len(), if form == "hex" { 512 } else { 344 });
    let why = run.stderr();
    match version {
        Some(v) => assert!(
            why.contains(&format!("the form that plugin {v} reads (found in ")),
            "{why}"
        ),
        None => assert!(
            why.contains("no @capgo/capacitor-updater found in"),
            "{why}"
        ),
    }
    // The same from another folder with --project.
    let elsewhere = tempfile::tempdir().unwrap();
    let app_arg = app.display().to_string();
    let again = encrypt_in(elsewhere.path(), &["--project", &app_arg]);
    assert_eq!(again.success().json()["checksum_format"], form);
}

#[test_case(
    r#"{"dependencies":{"@capgo/capacitor-updater":"latest"}}"#,
    "names no single version"
)]
#[test_case(
    r#"{"dependencies":{"@capgo/capacitor-updater":">=7.0.0"}}"#,
    "names no single version"
)]
#[test_case(
    r#"{"dependencies":{"@capgo/capacitor-updater":4}}"#,
    "is not a string"
)]
#[test_case(
    r#"{"dependencies":{"@capgo/capacitor-updater":"^4.61.11"}}"#,
    "knows only encryption V1"
)]
#[test_case("not json", "is not valid JSON")]
fn an_unusable_project_plugin_is_refused_not_guessed(package: &str, why: &str) {
    let tmp = tempfile::tempdir().unwrap();
    put(tmp.path(), "package.json", package);
    encrypt_in(tmp.path(), &[]).failure(why);
    assert!(!tmp.path().join("out.enc").exists());
    // An explicit choice still works.
    encrypt_in(tmp.path(), &["--plugin-version", "8.51.23"]).success();
}

#[test]
fn plugin_version_and_checksum_format_choose_the_form() {
    let tmp = tempfile::tempdir().unwrap();
    installed(tmp.path(), "", "8.51.23");
    let out = encrypt_in(tmp.path(), &["--plugin-version", "7.25.0"])
        .success()
        .json();
    assert_eq!(out["checksum_format"], "base64");
    assert_eq!(out["plugin_version"], "7.25.0");
    // --checksum-format overrides the project, with a warning naming the plugin's rule.
    let run = encrypt_in(tmp.path(), &["--checksum-format", "base64"]);
    let out = run.success().json();
    assert_eq!(out["checksum_format"], "base64");
    assert!(out["plugin_version"].is_null());
    assert!(
        run.stderr()
            .contains("warning: plugin 8.51.23 reads only hex")
    );
    encrypt_in(
        tmp.path(),
        &["--plugin-version", "8.51.23", "--checksum-format", "hex"],
    )
    .failure("cannot be used with");
    encrypt_in(tmp.path(), &["--plugin-version", "8.x"]).failure("plugin version is not");
}

#[test]
fn an_empty_input_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("empty.zip"), b"").unwrap();
    let k = key("k1.key");
    cli(tmp.path())
        .run(&["bundle", "encrypt", "empty.zip", "--key", &k])
        .failure("is empty (0 bytes)");
    assert_eq!(otaseal_testkit::entries(tmp.path()), ["empty.zip"]);
}

/// `bundle decrypt` of a capgo vector, strict or as `plugin`.
fn decrypt(dir: &Path, id: &str, plugin: Option<&str>) -> Run {
    let v = capgo::v2(id);
    let k = key(if id.contains(".k2.") {
        "k2.pub"
    } else {
        "k1.pub"
    });
    let file = vector_file(id);
    let mut args = vec![
        "bundle".to_owned(),
        "decrypt".into(),
        file,
        v.iv_session_key_text.clone(),
        "--key".into(),
        k,
        "--checksum".into(),
        v.signed_checksum_text.clone(),
        "-o".into(),
        dir.join("out.zip").display().to_string(),
        "--json".into(),
    ];
    if let Some(p) = plugin {
        args.extend(["--plugin-version".into(), p.into()]);
    }
    cli(dir).run(&args)
}

#[test_case("bundle-zip.k1.hex", Some("8.51.23"), None)]
#[test_case(
    "bundle-zip.k1.base64",
    Some("8.51.23"),
    Some("reads only hex signed checksums")
)]
#[test_case("bundle-zip.k1.base64", Some("7.25.0"), None)]
#[test_case(
    "rand-1024.k1.hex",
    Some("7.25.0"),
    Some("reads only base64 signed checksums")
)]
#[test_case("rand-0.k1.hex", Some("8.51.23"), Some("Empty decrypted data"))]
#[test_case("rand-0.k1.hex", Some("8.51.13"), None)]
#[test_case("rand-0.k1.hex", None, None)]
#[test_case("bundle-zip.k1.base64", None, None)]
fn decrypt_judges_as_the_plugin(id: &str, plugin: Option<&str>, refused: Option<&str>) {
    let tmp = tempfile::tempdir().unwrap();
    let run = decrypt(tmp.path(), id, plugin);
    match refused {
        None => {
            let out = run.success().json();
            assert_eq!(out["verified"], true);
            assert_eq!(out["plugin_version"].as_str(), plugin);
            assert_eq!(
                fs::read(tmp.path().join("out.zip")).unwrap(),
                capgo::v2(id).plain
            );
        }
        Some(why) => {
            run.failure(why);
            assert!(
                otaseal_testkit::entries(tmp.path()).is_empty(),
                "nothing written"
            );
        }
    }
}

#[test]
fn no_verify_cannot_be_judged_as_a_plugin() {
    let tmp = tempfile::tempdir().unwrap();
    let v = capgo::v2("rand-1.k1.hex");
    let file = vector_file("rand-1.k1.hex");
    let k = key("k1.pub");
    cli(tmp.path())
        .run(&[
            "bundle",
            "decrypt",
            &file,
            &v.iv_session_key_text,
            "--key",
            &k,
            "--no-verify",
            "--plugin-version",
            "8.51.23",
        ])
        .failure("cannot be used with");
}

#[test_case("rand-17.k1.base64", "8.51.23", false)]
#[test_case("rand-17.k1.base64", "7.25.0", true)]
#[test_case("rand-17.k1.hex", "8.51.23", true)]
fn inspect_judges_the_checksum_form(id: &str, plugin: &str, accepted: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let v = capgo::v2(id);
    let k = key("k1.pub");
    let run = cli(tmp.path()).run(&[
        "bundle",
        "inspect",
        "--key",
        &k,
        "--iv-session-key",
        &v.iv_session_key_text,
        "--checksum",
        &v.signed_checksum_text,
        "--plugin-version",
        plugin,
        "--json",
    ]);
    if accepted {
        assert_eq!(run.success().json()["plugin_version"], plugin);
    } else {
        run.failure(&format!("plugin {plugin} reads only"));
    }
}

fn web(root: &Path) -> PathBuf {
    put(root, "dist/index.html", "<html></html>");
    put(
        root,
        "dist/assets/app.js",
        &"console.log(1);\n".repeat(1000),
    );
    put(root, "dist/assets/empty.css", "");
    root.join("dist")
}

#[test]
fn manifest_create_refuses_a_form_the_project_plugin_cannot_read_and_reports_empty_files() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    installed(root, "", "8.51.23");
    let dist = web(root).display().to_string();
    let k = key("k1.key");
    let create = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "manifest",
            "create",
            &dist,
            "--key",
            &k,
            "--base-url",
            "https://cdn.example/v1/",
            "--out-dir",
            out,
        ];
        args.extend_from_slice(extra);
        cli(root).run(&args)
    };
    create("b64", &["--checksum-format", "base64"]).failure("plugin 8.51.23 reads only hex");
    assert!(!root.join("b64").exists());
    create(
        "b64",
        &["--plugin-version", "8.51.23", "--checksum-format", "base64"],
    )
    .failure("cannot be used with");

    let run = create("hex", &["--json"]);
    let out = run.success().json();
    assert_eq!(out["checksum_format"], "hex");
    assert_eq!(out["plugin_version"], "8.51.23");
    assert_eq!(
        out["skipped_empty"],
        serde_json::json!(["assets/empty.css"])
    );
    assert!(
        run.stderr()
            .contains("assets/empty.css is empty and left out")
    );
    let text = create("hex2", &[]);
    assert!(
        text.success()
            .stdout()
            .contains("1 empty files left out: assets/empty.css")
    );

    // Older app: base64, accepted by that plugin, refused by the project's 8.x.
    let out = create("old", &["--plugin-version", "7.25.0", "--json"])
        .success()
        .json();
    assert_eq!(out["checksum_format"], "base64");
    let ivsk = out["ivSessionKey"].as_str().unwrap().to_owned();
    let public = key("k1.pub");
    let apply = |dest: &str, plugin: &str| {
        cli(root).run(&[
            "manifest",
            "apply",
            "old/manifest.json",
            "--files",
            "old/files",
            "--key",
            &public,
            "--iv-session-key",
            &ivsk,
            "--out-dir",
            dest,
            "--plugin-version",
            plugin,
            "--json",
        ])
    };
    apply("www8", "8.51.23").failure("plugin 8.51.23 reads only hex");
    assert!(!root.join("www8").exists());
    let out = apply("www7", "7.25.0").success().json();
    assert_eq!(out["plugin_version"], "7.25.0");
    assert_eq!(out["files"], 2);
}
