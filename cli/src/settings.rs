//! `wasmpredict serve`'s service settings as flags: one flag per entry of the core's
//! [`SETTINGS`] table, which also holds each default, what a value must be and the help text,
//! so that the flags, the Worker's variables and docs/api.md cannot drift apart.

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};
use std::collections::BTreeMap;
use wasmpredict::http::config::{ConfigError, Setting, SETTINGS};
use wasmpredict::http::ServiceConfig;

/// The settings given as flags, by variable name (a list setting's values joined by commas).
#[derive(Debug, Clone, Default)]
pub struct SettingFlags(BTreeMap<&'static str, String>);

impl SettingFlags {
    /// The service's configuration: each setting from its flag, the admin token from
    /// `admin_token` (read elsewhere), the rest at their defaults. A value that does not parse
    /// is refused naming its flag.
    pub fn config(&self, admin_token: Option<String>) -> Result<ServiceConfig, ConfigError> {
        ServiceConfig::from_settings(
            |s| match s.var {
                "ADMIN_TOKEN" => admin_token.clone(),
                var => self.0.get(var).cloned(),
            },
            |s| match s.flag {
                Some(flag) => format!("--{flag}"),
                None => s.var.to_string(),
            },
        )
    }
}

fn flags() -> impl Iterator<Item = (&'static Setting, &'static str)> {
    SETTINGS.iter().filter_map(|s| s.flag.map(|f| (s, f)))
}

impl FromArgMatches for SettingFlags {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut values = BTreeMap::new();
        for (setting, flag) in flags() {
            if let Some(given) = matches.get_many::<String>(flag) {
                values.insert(setting.var, given.cloned().collect::<Vec<_>>().join(","));
            }
        }
        Ok(SettingFlags(values))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = SettingFlags::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for SettingFlags {
    fn augment_args(command: Command) -> Command {
        flags().fold(command, |command, (setting, flag)| {
            let action = if setting.list {
                ArgAction::Append
            } else {
                ArgAction::Set
            };
            let arg = Arg::new(flag)
                .long(flag)
                .value_name(setting.var)
                .help(setting.help)
                .action(action);
            // The default as `--help` shows it; it reaches the config like a given value.
            command.arg(match setting.default {
                "" => arg,
                default => arg.default_value(default),
            })
        })
    }

    fn augment_args_for_update(command: Command) -> Command {
        SettingFlags::augment_args(command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: SettingFlags,
    }

    fn parse(args: &[&str]) -> Result<ServiceConfig, String> {
        let cli = Cli::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.settings.config(None).map_err(|e| e.to_string())
    }

    #[test]
    fn flags_reach_the_config_and_bad_values_name_the_flag() {
        let c = parse(&[
            "--max-rows",
            "5",
            "--allow-origin",
            "https://a.example",
            "--allow-origin",
            "https://b.example",
        ])
        .expect("parses");
        assert_eq!(c.max_rows, 5);
        assert_eq!(
            c.allowed_origins,
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(c.max_body_bytes, ServiceConfig::default().max_body_bytes);
        assert_eq!(
            parse(&["--max-rows", "10k"]).expect_err("refused"),
            "--max-rows: \"10k\" is not a whole number of rows, at least 1"
        );
    }
}
