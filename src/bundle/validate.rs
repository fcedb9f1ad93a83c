//! The manifest's semantic checks, in one place: what its types cannot say (the format version
//! a member needs, the outputs a task needs, unique field names, the files it names, limits).
//! Every load runs them ([`super::Bundle::from_files`]) before anything is compiled; the training
//! profile, read only where drift is computed, is checked there ([`super::Profile::of`]).

use super::limits;
use super::manifest::{
    Analyzer, Manifest, Step, Task, EXPLAIN_FORMAT_VERSION, PROFILE_FORMAT_VERSION,
    STEPS_4_FORMAT_VERSION,
};
use crate::error::BundleError;
use std::collections::BTreeSet;

fn invalid(message: String) -> BundleError {
    BundleError::Manifest(message)
}

impl Manifest {
    pub fn validate(&self) -> Result<(), BundleError> {
        self.validate_members()?;
        self.validate_task()?;
        self.validate_input()
    }

    /// Members that need a newer format, and the files the manifest names.
    fn validate_members(&self) -> Result<(), BundleError> {
        if self.profile.is_some() && self.format_version < PROFILE_FORMAT_VERSION {
            return Err(invalid(format!(
                "profile needs format_version {PROFILE_FORMAT_VERSION} or newer, the manifest says {}",
                self.format_version
            )));
        }
        if self.explain.is_some() && self.format_version < EXPLAIN_FORMAT_VERSION {
            return Err(invalid(format!(
                "explain needs format_version {EXPLAIN_FORMAT_VERSION} or newer, the manifest says {}",
                self.format_version
            )));
        }
        if self.format_version < STEPS_4_FORMAT_VERSION {
            if let Some(newer) = first_format_4_feature(&self.featurizer) {
                return Err(invalid(format!(
                    "{newer} needs format_version {STEPS_4_FORMAT_VERSION} or newer, the manifest says {}",
                    self.format_version
                )));
            }
        }
        if let Some(file) = &self.explain {
            if !self.files.contains_key(file) {
                return Err(invalid(format!(
                    "explain names '{file}', which is not listed in files"
                )));
            }
        }
        if !self.files.contains_key(&self.model.file) {
            return Err(invalid(format!(
                "model.file '{}' is not listed in files",
                self.model.file
            )));
        }
        Ok(())
    }

    /// A classifier's classes and outputs; a regressor's value.
    fn validate_task(&self) -> Result<(), BundleError> {
        let m = &self.model;
        let classes = self.classes.as_ref().map_or(0, Vec::len);
        limits::check("the number of classes", classes as u64, limits::MAX_OUTPUTS)
            .map_err(BundleError::TooLarge)?;
        match self.task {
            Task::Classification => {
                if classes < 2 {
                    return Err(invalid("a classifier needs at least two classes".into()));
                }
                if m.label.is_none() {
                    return Err(invalid("model.label is required for classification".into()));
                }
                if m.probabilities.is_some() == m.scores.is_some() {
                    return Err(invalid(
                        "exactly one of model.probabilities / model.scores must be set".into(),
                    ));
                }
            }
            Task::Regression => {
                if m.value.is_none() {
                    return Err(invalid("model.value is required for regression".into()));
                }
            }
        }
        Ok(())
    }

    /// At least one field, each named once.
    fn validate_input(&self) -> Result<(), BundleError> {
        if self.input.is_empty() {
            return Err(invalid("input lists no field".into()));
        }
        let mut seen = BTreeSet::new();
        for f in &self.input {
            if f.name.is_empty() {
                return Err(invalid("an input field has an empty name".into()));
            }
            if !seen.insert(f.name.as_str()) {
                return Err(invalid(format!("input field '{}' appears twice", f.name)));
            }
        }
        Ok(())
    }
}

/// The first thing in `step` (itself included) that format version 4 added: a step type, or a
/// character analyzer of a text vectorizer.
fn first_format_4_feature(step: &Step) -> Option<String> {
    let own = step.type_name();
    if Step::FORMAT_4_TYPES.contains(&own) {
        return Some(format!("the featurizer step '{own}'"));
    }
    if let Step::TextVectorizer(params) = step {
        if params.analyzer != Analyzer::Word {
            return Some(format!(
                "the text_vectorizer analyzer '{}'",
                crate::error::wire_name(&params.analyzer)
            ));
        }
    }
    step.children().into_iter().find_map(first_format_4_feature)
}
