//! Which `@capgo/capacitor-updater` version a bundle or delta update is for, shared by
//! `bundle` and `manifest`: `--plugin-version`, else `--checksum-format`, else the project's
//! plugin, found as `@capgo/cli` 8.68.1 finds it (`spec/v2.md` 12.3). What a version reads and
//! refuses is `otaseal_wire::plugin`; this module only finds the version and says why.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use otaseal_keys::Limits;
use otaseal_wire::ChecksumFormat;
use otaseal_wire::plugin::{DeviceRules, PluginVersion};

use crate::util::{parse_checksum_format, read_bounded};

/// The npm package of the device plugin.
const PLUGIN: &str = "@capgo/capacitor-updater";

/// Parses `--plugin-version`.
pub(crate) fn parse_plugin_version(s: &str) -> Result<PluginVersion, String> {
    PluginVersion::parse(s).map_err(|e| e.to_string())
}

/// `--plugin-version` of the commands that judge (`bundle decrypt`, `bundle inspect`,
/// `manifest apply`): the rules of that version, or `None` for the strict verdict.
pub(crate) fn judge_rules(version: Option<&PluginVersion>) -> Result<Option<DeviceRules>> {
    version
        .map(|v| DeviceRules::for_version(v.clone()))
        .transpose()
        .map_err(Into::into)
}

/// The options of the commands that write a signed checksum (`bundle encrypt`,
/// `manifest create`).
#[derive(Debug, Args)]
pub(crate) struct FormArgs {
    /// The app's @capgo/capacitor-updater version (X.Y.Z): writes the one signed-checksum form
    /// it reads (hex from 5.30.0 / 6.30.0 / 7.30.0 and in 8.x, base64 below). Default: the
    /// project's plugin (--project).
    #[arg(long, value_name = "X.Y.Z", value_parser = parse_plugin_version)]
    plugin_version: Option<PluginVersion>,
    /// Signed checksum form, hex or base64, instead of the one --plugin-version or the
    /// project's plugin reads.
    #[arg(long, value_parser = parse_checksum_format, conflicts_with = "plugin_version")]
    checksum_format: Option<ChecksumFormat>,
    /// The Capacitor project whose @capgo/capacitor-updater chooses the form when neither
    /// --plugin-version nor --checksum-format is given: its node_modules (and those of its
    /// parent folders), else the dependency in its package.json, as @capgo/cli does.
    #[arg(long, value_name = "DIR", default_value = ".")]
    project: PathBuf,
}

/// The form chosen, and why.
#[derive(Debug)]
pub(crate) struct Choice {
    /// The form to write.
    pub(crate) format: ChecksumFormat,
    /// The rules of the plugin version the form was chosen for, when one is known.
    pub(crate) rules: Option<DeviceRules>,
    /// The project's plugin, found although `--checksum-format` chose the form.
    pub(crate) overridden: Option<DeviceRules>,
    /// Why, for the user (one line).
    pub(crate) reason: String,
}

impl Choice {
    /// The plugin version, for `--json`.
    pub(crate) fn plugin_version(&self) -> Option<String> {
        self.rules.as_ref().map(|r| r.version().to_string())
    }

    /// Prints the choice on standard error.
    pub(crate) fn report(&self) {
        eprintln!("checksum form: {}", self.reason);
    }
}

impl FormArgs {
    /// Chooses the form: `--plugin-version`, else `--checksum-format`, else the project's
    /// plugin, else hex.
    pub(crate) fn choose(&self, limits: &Limits) -> Result<Choice> {
        if let Some(v) = &self.plugin_version {
            let rules = DeviceRules::for_version(v.clone())?;
            return Ok(Choice {
                format: rules.checksum_format(),
                reason: format!(
                    "{}, the form that plugin {v} reads (--plugin-version)",
                    rules.checksum_format()
                ),
                rules: Some(rules),
                overridden: None,
            });
        }
        if let Some(format) = self.checksum_format {
            // The project's plugin is still looked for, so that a form it cannot read is
            // caught; a project that cannot be read does not stop an explicit choice.
            let overridden = match find_plugin(&self.project, limits) {
                Ok(Some(found)) => DeviceRules::for_version(found.version).ok(),
                _ => None,
            };
            return Ok(Choice {
                format,
                rules: None,
                overridden,
                reason: format!("{format} (--checksum-format)"),
            });
        }
        match find_plugin(&self.project, limits)? {
            Some(found) => {
                let rules = DeviceRules::for_version(found.version.clone()).with_context(|| {
                    format!("the project's plugin ({})", found.source.display())
                })?;
                Ok(Choice {
                    format: rules.checksum_format(),
                    reason: format!(
                        "{}, the form that plugin {} reads (found in {})",
                        rules.checksum_format(),
                        found.version,
                        found.source.display()
                    ),
                    rules: Some(rules),
                    overridden: None,
                })
            }
            None => Ok(Choice {
                format: ChecksumFormat::Hex,
                rules: None,
                overridden: None,
                reason: format!(
                    "hex, the form of plugins from 5.30.0 / 6.30.0 / 7.30.0 and 8.x: no {PLUGIN} found in {} (node_modules or package.json); pass --plugin-version or --checksum-format if the app runs an older plugin",
                    self.project.display()
                ),
            }),
        }
    }
}

/// A plugin version found in a project, and the file it was read from.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) version: PluginVersion,
    pub(crate) source: PathBuf,
}

/// Finds the project's plugin version as `@capgo/cli` 8.68.1 does (`getInstalledVersion` and
/// `getAllPackagesDependencies` in its `dist/index.js`):
///
/// 1. `node_modules/@capgo/capacitor-updater/package.json` in the project folder, then in each
///    parent folder up to (not including) the file-system root, as Node resolves a package;
///    its `version`;
/// 2. else the project's `package.json`: the `@capgo/capacitor-updater` entry of
///    `dependencies`, overridden by one in `devDependencies`, with its first `^` and first `~`
///    removed (`^7.25.0` gives 7.25.0).
///
/// `@capgo/cli` also reads the plugin folder named in `ios/App/Podfile` or
/// `android/capacitor.settings.gradle`; otaseal does not (a project that needs them can pass
/// `--plugin-version`). Where `@capgo/cli` falls back silently to the base64 form for a
/// version it cannot parse (`latest`, `>=7`, `workspace:*`), this refuses and asks for
/// `--plugin-version`.
pub(crate) fn find_plugin(project: &Path, limits: &Limits) -> Result<Option<Found>> {
    let start = std::path::absolute(project)
        .with_context(|| format!("cannot resolve the project folder {}", project.display()))?;
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        // @capgo/cli stops before the root: `while (dir !== root)`.
        let Some(parent) = d.parent() else { break };
        let file = d.join("node_modules").join(PLUGIN).join("package.json");
        if file.is_file() {
            let json = read_json(&file, limits)?;
            let text = json
                .get("version")
                .and_then(serde_json::Value::as_str)
                .with_context(|| format!("{} has no \"version\"", file.display()))?;
            let version = PluginVersion::parse(text).with_context(|| {
                format!(
                    "{} has version {text:?}; pass --plugin-version",
                    file.display()
                )
            })?;
            return Ok(Some(Found {
                version,
                source: file,
            }));
        }
        dir = Some(parent);
    }
    let manifest = start.join("package.json");
    if !manifest.is_file() {
        return Ok(None);
    }
    let json = read_json(&manifest, limits)?;
    let mut range = None;
    for section in ["dependencies", "devDependencies"] {
        if let Some(v) = json.get(section).and_then(|d| d.get(PLUGIN)) {
            range = Some(v);
        }
    }
    let Some(range) = range else { return Ok(None) };
    let Some(range) = range.as_str() else {
        bail!(
            "{}: the {PLUGIN} dependency is not a string; pass --plugin-version",
            manifest.display()
        );
    };
    let stripped = range.replacen('^', "", 1).replacen('~', "", 1);
    let version = PluginVersion::parse(&stripped).with_context(|| {
        format!(
            "{} asks for {PLUGIN} {range:?}, which names no single version (and it is not installed); pass --plugin-version",
            manifest.display()
        )
    })?;
    Ok(Some(Found {
        version,
        source: manifest,
    }))
}

pub(crate) fn read_json(path: &Path, limits: &Limits) -> Result<serde_json::Value> {
    let bytes = read_bounded(path, limits.max_json_len)?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is not valid JSON", path.display()))
}
